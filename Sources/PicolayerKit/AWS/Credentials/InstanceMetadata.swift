import FoundationEssentials
import Logging

extension CredentialProvider {
    /// The EC2 instance's role through the instance metadata service, IMDSv2 only (a session token first).
    public static let instanceMetadata = CredentialProvider(name: "EC2 instance metadata (IMDSv2)") { lookup in
        try await InstanceMetadataCredentials.search(lookup)
    }
}

/// The instance metadata service (botocore's `InstanceMetadataFetcher`), without the IMDSv1 fallback.
///
/// Routes used:
/// - `PUT /latest/api/token` with `x-aws-ec2-metadata-token-ttl-seconds` -> the session token
/// - `GET /latest/meta-data/iam/security-credentials/` with `x-aws-ec2-metadata-token` -> the role name
/// - `GET /latest/meta-data/iam/security-credentials/<role>` with the token -> the credential document
public enum InstanceMetadataCredentials {
    static let defaultEndpoint = "http://169.254.169.254"
    static let ipv6Endpoint = "http://[fd00:ec2::254]"
    static let tokenPath = "/latest/api/token"
    static let rolesPath = "/latest/meta-data/iam/security-credentials/"
    static let tokenTTLHeader = "x-aws-ec2-metadata-token-ttl-seconds"
    static let tokenHeader = "x-aws-ec2-metadata-token"
    /// Six hours, the AWS SDKs' value.
    static let tokenTTLSeconds = "21600"
    static let timeout: Duration = .seconds(1)

    /// The provider in the chain, also what `credential_source = Ec2InstanceMetadata` uses. Answers `nil` plus
    /// a note when IMDS is switched off, unreachable (not on EC2), refuses IMDSv2 or has no role attached.
    public static func search(_ lookup: CredentialLookup) async throws -> (AWSCredentials?, String) {
        let env = lookup.context.environment
        if env["AWS_EC2_METADATA_DISABLED"]?.lowercased() == "true" {
            return (nil, "switched off by AWS_EC2_METADATA_DISABLED=true")
        }
        let base = try endpoint(lookup.context)
        let token: String
        let role: String
        switch await fetchToken(lookup, base) {
        case .success(let value): token = value
        case .failure(let note): return (nil, note.text)
        }
        switch await fetchRole(lookup, base, token: token) {
        case .success(let value): role = value
        case .failure(let note): return (nil, note.text)
        }
        return (try await fetchCredentials(lookup, base, token: token, role: role), "")
    }

    /// Why the chain goes on past this provider: a note, not an error.
    struct Note: Error {
        var text: String
    }

    /// The IMDSv2 session token (PUT); no fallback to IMDSv1.
    static func fetchToken(_ lookup: CredentialLookup, _ base: AWSEndpoint) async -> Result<String, Note> {
        let label = base.description
        let tokenReply: HTTPResponse
        do {
            tokenReply = try await send(
                lookup, base, method: "PUT", path: tokenPath, headers: [(tokenTTLHeader, tokenTTLSeconds)])
        } catch {
            return .failure(Note(text: "no answer from \(label) (not on EC2, or the metadata service is unreachable)"))
        }
        switch tokenReply.status {
        case 200:
            return .success(String(decoding: tokenReply.body, as: UTF8.self).trimmingWhitespaceAndNewlines())
        case 403, 404, 405:
            return .failure(
                Note(
                    text: "\(label) refused the IMDSv2 token request (HTTP \(tokenReply.status)); picolayer does not "
                        + "fall back to IMDSv1: enable IMDSv2 on the instance (HttpTokens optional or required)"))
        default:
            return .failure(Note(text: "\(label) answered the IMDSv2 token request with HTTP \(tokenReply.status)"))
        }
    }

    /// The name of the role of the instance profile, the first line of `rolesPath`.
    static func fetchRole(_ lookup: CredentialLookup, _ base: AWSEndpoint, token: String) async -> Result<String, Note>
    {
        let label = base.description
        let noRole = Note(text: "\(label): no IAM role is attached to this instance (attach an instance profile)")
        let rolesReply: HTTPResponse
        do {
            rolesReply = try await send(lookup, base, method: "GET", path: rolesPath, headers: [(tokenHeader, token)])
        } catch {
            return .failure(Note(text: "\(label) gave a token but no answer for \(rolesPath): \(error)"))
        }
        if rolesReply.status == 404 { return .failure(noRole) }
        guard rolesReply.status == 200 else {
            return .failure(Note(text: "\(label) answered \(rolesPath) with HTTP \(rolesReply.status)"))
        }
        let role =
            String(decoding: rolesReply.body, as: UTF8.self)
            .split(whereSeparator: \.isNewline).first.map { $0.trimmingWhitespace() } ?? ""
        return role.isEmpty ? .failure(noRole) : .success(role)
    }

    /// The role's credentials; past the role, a failure is an error, not a note.
    static func fetchCredentials(_ lookup: CredentialLookup, _ base: AWSEndpoint, token: String, role: String)
        async throws -> AWSCredentials
    {
        let source = "EC2 instance metadata (\(base.description), role \(role))"
        let rolePath = rolesPath + SigV4Signer.uriEncode(role, keepSlash: false)
        let credentialsReply: HTTPResponse
        do {
            credentialsReply = try await send(
                lookup, base, method: "GET", path: rolePath, headers: [(tokenHeader, token)])
        } catch {
            throw AWSError.credentialSourceFailed(
                source: source, reason: "no answer for \(rolePath): \(error)",
                remedy: "Try again; if it persists, check the instance's metadata options.")
        }
        guard credentialsReply.status == 200 else {
            throw AWSError.credentialSourceFailed(
                source: source, reason: "\(rolePath) answered HTTP \(credentialsReply.status)",
                remedy: "Check the instance profile attached to the instance.")
        }
        let document = try CredentialDocument.decode(credentialsReply.body, tokenKey: "Token", source: source)
        if let code = document.object["Code"]?.string, code != "Success" {
            throw AWSError.credentialSourceFailed(
                source: source, reason: "the metadata service reports Code \(code)",
                remedy: "Check the instance profile's role (it must exist and trust ec2.amazonaws.com).")
        }
        return document.credentials(source: source)
    }

    /// `AWS_EC2_METADATA_SERVICE_ENDPOINT` (or the profile's `ec2_metadata_service_endpoint`), else the IPv6
    /// address when the mode is `IPv6`, else 169.254.169.254.
    static func endpoint(_ context: AWSConfigContext) throws -> AWSEndpoint {
        let env = context.environment
        let profile = context.configProfile()
        let configured = [env["AWS_EC2_METADATA_SERVICE_ENDPOINT"], profile["ec2_metadata_service_endpoint"]]
            .compactMap { $0 }.first { !$0.isEmpty }
        let mode = [env["AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE"], profile["ec2_metadata_service_endpoint_mode"]]
            .compactMap { $0 }.first { !$0.isEmpty }
        let url = configured ?? (mode?.lowercased() == "ipv6" ? ipv6Endpoint : defaultEndpoint)
        guard let target = LocalEndpointURL(url)?.endpoint else {
            throw AWSError.invalidCredentials(
                source: "EC2 instance metadata",
                reason:
                    "AWS_EC2_METADATA_SERVICE_ENDPOINT '\(url)' is not an http(s)://host[:port] URL; fix or unset it")
        }
        return target
    }

    static func send(
        _ lookup: CredentialLookup, _ base: AWSEndpoint, method: String, path: String, headers: [(String, String)]
    ) async throws -> HTTPResponse {
        lookup.logger.debug("instance metadata: \(method) \(base.description)\(path)")
        return try await lookup.transport.send(
            HTTPRequest(
                endpoint: base, method: method, path: base.basePath + path, query: "",
                headers: headers.map { (name: $0.0, value: $0.1) }, body: .empty, timeout: timeout))
    }
}
