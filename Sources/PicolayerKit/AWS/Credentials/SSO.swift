import Crypto
import FoundationEssentials
import Logging

extension CredentialProvider {
    /// IAM Identity Center: the token `aws sso login` cached, exchanged for role credentials (GetRoleCredentials).
    public static let sso = CredentialProvider(name: "IAM Identity Center (SSO)") { lookup in
        try await SSOCredentials.search(lookup)
    }
}

/// IAM Identity Center (botocore's `SSOProvider` and `SSOTokenLoader`). picolayer reads the cached token but does
/// not refresh it: when it has expired, the user runs `aws sso login` again.
public enum SSOCredentials {
    /// What a profile says about SSO, with the session section already merged in.
    struct Settings {
        var startURL: String
        var region: String
        var accountId: String
        var roleName: String
        /// The `sso_session` name, `nil` for a legacy profile.
        var session: String?
    }

    static let bearerHeader = "x-amz-sso_bearer_token"

    public static func search(_ lookup: CredentialLookup) async throws -> (AWSCredentials?, String) {
        let context = lookup.context
        let path = context.configFilePath
        let label = "profile \(context.profileName) in \(path)"
        let profile = context.configProfile()
        let ssoKeys = ["sso_session", "sso_start_url", "sso_account_id", "sso_role_name", "sso_region"]
        guard ssoKeys.contains(where: { profile[$0] != nil }) else {
            return (nil, "\(label) has no sso_session or sso_start_url")
        }
        let settings = try settings(profile, label: label, context: context)
        return (try await credentials(settings, profileName: context.profileName, lookup: lookup), "")
    }

    /// The profile's SSO settings; `sso_start_url` and `sso_region` come from `[sso-session NAME]` when the
    /// profile names one.
    static func settings(_ profile: [String: String], label: String, context: AWSConfigContext) throws -> Settings {
        var values = profile
        var session: String?
        if let name = profile["sso_session"], !name.isEmpty {
            let file = try AWSConfigFile(contentsOfFile: context.configFilePath)
            guard let section = file.sections["sso-session \(name)"] else {
                throw AWSError.invalidCredentials(
                    source: "SSO",
                    reason: "\(label) names sso_session \(name), but there is no [sso-session \(name)] section; "
                        + "add one with sso_start_url and sso_region (aws configure sso-session)")
            }
            for key in ["sso_start_url", "sso_region"] {
                // botocore refuses a profile that contradicts its session rather than pick one of the two.
                if let own = profile[key], let shared = section[key], own != shared {
                    throw AWSError.invalidCredentials(
                        source: "SSO",
                        reason: "\(label) sets \(key) = \(own) but its [sso-session \(name)] says \(shared); "
                            + "remove \(key) from the profile")
                }
                values[key] = section[key]
            }
            session = name
        }
        let required = ["sso_start_url", "sso_region", "sso_account_id", "sso_role_name"]
        let missing = required.filter { (values[$0] ?? "").isEmpty }
        guard missing.isEmpty, let startURL = values["sso_start_url"], let region = values["sso_region"],
            let accountId = values["sso_account_id"], let roleName = values["sso_role_name"]
        else {
            let place = session.map { "\(label) (with [sso-session \($0)])" } ?? label
            throw AWSError.invalidCredentials(
                source: "SSO",
                reason: "\(place) lacks \(missing.joined(separator: ", ")); run aws configure sso or add the keys")
        }
        return Settings(startURL: startURL, region: region, accountId: accountId, roleName: roleName, session: session)
    }

    /// `~/.aws/sso/cache/<sha1 hex of the session name, or of the start URL for a legacy profile>.json`.
    static func cachePath(_ settings: Settings, homeDirectory: String) -> String {
        let key = settings.session ?? settings.startURL
        let digest = Insecure.SHA1.hash(data: Array(key.utf8))
        return homeDirectory + "/.aws/sso/cache/" + TextFormat.hex(digest) + ".json"
    }

    static func credentials(
        _ settings: Settings, profileName: String, lookup: CredentialLookup
    ) async throws -> AWSCredentials {
        let source = "SSO profile \(profileName) (account \(settings.accountId), role \(settings.roleName))"
        let login =
            "Run `aws sso login --profile \(profileName)`"
            + (settings.session.map { " (or `aws sso login --sso-session \($0)`)" } ?? "") + " and try again."
        let token = try cachedToken(settings, lookup: lookup, source: source, login: login)
        let endpoint = try EndpointResolver.endpoint(
            for: .sso, region: settings.region, flag: lookup.endpointURL, environment: lookup.context.environment)
        let query = [("account_id", settings.accountId), ("role_name", settings.roleName)].map {
            "\($0.0)=\(SigV4Signer.uriEncode($0.1, keepSlash: false))"
        }.joined(separator: "&")
        let request = HTTPRequest(
            endpoint: endpoint, method: "GET", path: endpoint.basePath + "/federation/credentials", query: query,
            headers: [(name: bearerHeader, value: token), (name: "Accept", value: "application/json")], body: .empty)
        lookup.logger.debug("GetRoleCredentials: GET \(endpoint.description)/federation/credentials")
        let response: HTTPResponse
        do {
            response = try await lookup.transport.send(request)
        } catch {
            throw AWSError.credentialSourceFailed(
                source: source, reason: "no answer from \(endpoint.description): \(error)",
                remedy: "Check your network (and AWS_ENDPOINT_URL_SSO if set).")
        }
        switch response.status {
        case 200:
            return try roleCredentials(response.body, source: source, accountId: settings.accountId)
        case 401, 403:
            throw AWSError.credentialSourceFailed(
                source: source,
                reason: "the portal refused the cached SSO token (HTTP \(response.status)); it was revoked, or the "
                    + "role \(settings.roleName) is not assigned to you in account \(settings.accountId)",
                remedy: login)
        default:
            let (code, message) = AWSErrorParser.parse(
                status: response.status, headers: response.headers, body: response.body)
            throw AWSError.credentialSourceFailed(
                source: source, reason: "GetRoleCredentials answered \(code) (HTTP \(response.status)): \(message)",
                remedy: "Try again later; if it persists, \(login.prefix(1).lowercased() + login.dropFirst())")
        }
    }

    /// The access token of `aws sso login`'s cache file, refused when missing, unreadable or expired.
    static func cachedToken(_ settings: Settings, lookup: CredentialLookup, source: String, login: String) throws
        -> String
    {
        let path = cachePath(settings, homeDirectory: lookup.context.homeDirectory)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AWSError.credentialSourceFailed(
                source: source, reason: "no cached SSO token at \(path) (you have not logged in)", remedy: login)
        }
        guard let cache = JSONValue.object(parsing: data),
            let token = cache["accessToken"]?.string, !token.isEmpty,
            let expiresText = cache["expiresAt"]?.string
        else {
            throw AWSError.credentialSourceFailed(
                source: source, reason: "the cached SSO token \(path) has no accessToken/expiresAt", remedy: login)
        }
        guard let expiresAt = AWSDate.parse(expiresText) else {
            throw AWSError.credentialSourceFailed(
                source: source, reason: "the cached SSO token \(path) has an unreadable expiresAt '\(expiresText)'",
                remedy: login)
        }
        guard expiresAt > lookup.timing.now() else {
            throw AWSError.credentialSourceFailed(
                source: source, reason: "the cached SSO token expired at \(AWSDate.format(expiresAt))", remedy: login)
        }
        return token
    }

    /// `{"roleCredentials": {accessKeyId, secretAccessKey, sessionToken, expiration (epoch milliseconds)}}`.
    static func roleCredentials(_ body: [UInt8], source: String, accountId: String) throws -> AWSCredentials {
        guard let role = JSONValue.object(parsing: body)?["roleCredentials"]?.object,
            let keyId = role["accessKeyId"]?.string, !keyId.isEmpty,
            let secret = role["secretAccessKey"]?.string, !secret.isEmpty
        else {
            throw AWSError.invalidResponse(
                operation: "GetRoleCredentials", reason: "no roleCredentials with accessKeyId and secretAccessKey")
        }
        let expiration = role["expiration"]?.double.map { Date(timeIntervalSince1970: $0 / 1000) }
        return AWSCredentials(
            accessKeyId: keyId, secretAccessKey: secret, sessionToken: role["sessionToken"]?.string,
            source: source, expiration: expiration, accountId: accountId)
    }
}
