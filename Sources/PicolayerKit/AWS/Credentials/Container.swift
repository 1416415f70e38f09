import FoundationEssentials
import Logging

extension CredentialProvider {
    /// The ECS task role / EKS Pod Identity endpoint: `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` or
    /// `AWS_CONTAINER_CREDENTIALS_FULL_URI`, with `AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE)`.
    public static let container = CredentialProvider(name: "container credentials") { lookup in
        try await ContainerCredentials.search(lookup)
    }
}

/// The container credential endpoint (botocore's `ContainerProvider`).
public enum ContainerCredentials {
    /// The ECS agent's address, the base of a relative URI.
    static let ecsHost = "169.254.170.2"
    /// Plain-http hosts allowed besides loopback: ECS, and EKS Pod Identity over IPv4 and IPv6.
    static let allowedHTTPHosts: Set<String> = ["169.254.170.2", "169.254.170.23", "[fd00:ec2::23]"]
    static let attempts = 3
    static let attemptTimeout: Duration = .seconds(2)
    static let pause: Duration = .seconds(1)

    /// The provider in the chain: `nil` plus a note when neither variable is set; throws when one is set but no
    /// credentials come back. Also what `credential_source = EcsContainer` uses.
    public static func search(_ lookup: CredentialLookup) async throws -> (AWSCredentials?, String) {
        let env = lookup.context.environment
        let relative = env["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"].flatMap { $0.isEmpty ? nil : $0 }
        let full = env["AWS_CONTAINER_CREDENTIALS_FULL_URI"].flatMap { $0.isEmpty ? nil : $0 }
        let url: String
        if let relative {
            url = "http://\(ecsHost)\(relative.hasPrefix("/") ? "" : "/")\(relative)"
        } else if let full {
            url = full
        } else {
            return (nil, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and AWS_CONTAINER_CREDENTIALS_FULL_URI are not set")
        }
        let variable = relative != nil ? "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI" : "AWS_CONTAINER_CREDENTIALS_FULL_URI"
        let target = try parse(url, variable: variable)
        var headers: [(name: String, value: String)] = [(name: "Accept", value: "application/json")]
        if let authorization = try authorization(env) { headers.append((name: "Authorization", value: authorization)) }
        let source = "container credentials (\(url))"
        let request = HTTPRequest(
            endpoint: target.endpoint, method: "GET", path: target.path, query: target.query, headers: headers,
            body: .empty, timeout: attemptTimeout)

        var failure = ""
        for attempt in 1...attempts {
            if attempt > 1 { try await lookup.timing.sleep(pause) }
            lookup.logger.debug("container credentials attempt \(attempt): GET \(url)")
            do {
                let response = try await lookup.transport.send(request)
                if response.status == 200 {
                    let document = try CredentialDocument.decode(response.body, tokenKey: "Token", source: source)
                    return (document.credentials(source: source), "")
                }
                failure = "HTTP \(response.status): \(CredentialDocument.snippet(response.body))"
            } catch let error as AWSError {
                throw error
            } catch {
                failure = "no answer: \(error)"
            }
        }
        throw AWSError.credentialSourceFailed(
            source: source, reason: "\(attempts) attempts failed, the last with \(failure)",
            remedy: "Check the task role or EKS Pod Identity association (and the authorization token), or unset "
                + "\(variable) if this is not a container.")
    }

    /// The endpoint and the exact path and query of `url`; plain http only to loopback and the AWS link-local hosts.
    static func parse(_ url: String, variable: String) throws -> LocalEndpointURL {
        guard let target = LocalEndpointURL(url) else {
            throw AWSError.invalidCredentials(
                source: "container credentials",
                reason: "\(variable) '\(url)' is not an http(s) URL; set it to e.g. http://127.0.0.1:8080/creds")
        }
        let host = target.endpoint.host
        if target.endpoint.scheme == "http", !isLoopback(host), !allowedHTTPHosts.contains(host.lowercased()) {
            throw AWSError.invalidCredentials(
                source: "container credentials",
                reason: "\(variable) '\(url)' uses plain http to \(host); http is allowed only to loopback, "
                    + "169.254.170.2, 169.254.170.23 or [fd00:ec2::23]. Use https for any other host")
        }
        return target
    }

    /// Parsed as an address, never by prefix: `127.evil.example` is not loopback.
    static func isLoopback(_ host: String) -> Bool { LoopbackAddress.contains(host) }

    /// The `Authorization` value: the token file's contents (read on each call, EKS rotates it), else the variable.
    static func authorization(_ env: [String: String]) throws -> String? {
        var value: String?
        var origin = "AWS_CONTAINER_AUTHORIZATION_TOKEN"
        if let path = env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"], !path.isEmpty {
            origin = "the file \(path) (AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE)"
            do {
                value = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw AWSError.credentialSourceFailed(
                    source: "container credentials", reason: "cannot read \(origin): \(ErrorText.describe(error))",
                    remedy: "Check the path and its permissions.")
            }
        } else if let token = env["AWS_CONTAINER_AUTHORIZATION_TOKEN"], !token.isEmpty {
            value = token
        }
        if let value, value.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\r\n" }) {
            throw AWSError.invalidCredentials(
                source: "container credentials",
                reason: "the authorization token from \(origin) contains a line break; remove it (e.g. printf, "
                    + "not echo)")
        }
        return value
    }
}

/// An `http(s)://host[:port][/path][?query]` URL of a local credential endpoint, split for `HTTPRequest`; IPv6
/// hosts keep their brackets.
struct LocalEndpointURL {
    var endpoint: AWSEndpoint
    /// The percent-encoded path, `/` when empty.
    var path: String
    var query: String

    init?(_ url: String) {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty
        else { return nil }
        let bracketed = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        endpoint = AWSEndpoint(scheme: scheme, host: bracketed, port: components.port)
        path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        query = components.percentEncodedQuery ?? ""
    }
}

/// The JSON credential document that the container endpoint, instance metadata and `credential_process` answer:
/// `AccessKeyId`, `SecretAccessKey`, a token (`Token` or `SessionToken`), `Expiration`, `AccountId`.
struct CredentialDocument {
    var accessKeyId: String
    var secretAccessKey: String
    var sessionToken: String?
    var expiration: Date?
    var accountId: String?
    /// The whole object, for fields only one source has (`Version`, `Code`).
    var object: [String: JSONValue]

    static func decode(_ body: [UInt8], tokenKey: String, source: String) throws -> CredentialDocument {
        guard let object = JSONValue.object(parsing: body) else {
            throw AWSError.invalidCredentials(
                source: source, reason: "the answer is not a JSON object: \(snippet(body, redacted: true))")
        }
        func text(_ key: String) -> String? { object[key]?.string.flatMap { $0.isEmpty ? nil : $0 } }
        let missing = ["AccessKeyId", "SecretAccessKey"].filter { text($0) == nil }
        guard missing.isEmpty, let keyId = text("AccessKeyId"), let secret = text("SecretAccessKey") else {
            throw AWSError.invalidCredentials(
                source: source, reason: "the answer has no \(missing.joined(separator: " or "))")
        }
        var expiration: Date?
        if let value = text("Expiration") {
            guard let date = AWSDate.parse(value) else {
                throw AWSError.invalidCredentials(
                    source: source, reason: "Expiration '\(value)' is not an ISO 8601 time (2026-11-24T12:00:00Z)")
            }
            expiration = date
        }
        return CredentialDocument(
            accessKeyId: keyId, secretAccessKey: secret, sessionToken: text(tokenKey), expiration: expiration,
            accountId: text("AccountId"), object: object)
    }

    func credentials(source: String) -> AWSCredentials {
        AWSCredentials(
            accessKeyId: accessKeyId, secretAccessKey: secretAccessKey, sessionToken: sessionToken, source: source,
            expiration: expiration, accountId: accountId)
    }

    /// The start of an answer for an error message; `redacted` drops it when it might hold a secret.
    static func snippet(_ body: [UInt8], redacted: Bool = false) -> String {
        if body.isEmpty { return "(empty)" }
        if redacted { return "\(body.count) bytes, not shown" }
        let text = String(decoding: body.prefix(200), as: UTF8.self)
        return text.replacing("\n", with: " ")
    }
}
