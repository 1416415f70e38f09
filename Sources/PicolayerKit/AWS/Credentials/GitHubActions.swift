import FoundationEssentials
import Logging

extension CredentialProvider {
    /// GitHub Actions' own OIDC token: with `ACTIONS_ID_TOKEN_REQUEST_URL` and `ACTIONS_ID_TOKEN_REQUEST_TOKEN` (set
    /// in a job with `permissions: id-token: write`) and a role (`AWS_ROLE_ARN`, or `--role-arn`), picolayer asks
    /// GitHub for a token for the audience `sts.amazonaws.com` and exchanges it with STS AssumeRoleWithWebIdentity,
    /// so a workflow needs no other action and no long-lived keys.
    public static let gitHubActions = CredentialProvider(name: "GitHub Actions OIDC") { lookup in
        try await GitHubActionsCredentials.search(lookup)
    }
}

/// The GitHub Actions OIDC provider's parts (GitHub's "Configuring OpenID Connect in Amazon Web Services" guide:
/// the token request is `GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=...` with the request token as a bearer token,
/// answered with `{"value": "<JWT>"}`).
public enum GitHubActionsCredentials {
    /// The audience AWS's IAM OIDC provider for GitHub expects by default.
    public static let audience = "sts.amazonaws.com"
    static let timeout: Duration = .seconds(10)

    public static func search(_ lookup: CredentialLookup) async throws -> (AWSCredentials?, String) {
        let env = lookup.context.environment
        func value(_ name: String) -> String? { env[name].flatMap { $0.isEmpty ? nil : $0 } }
        guard let url = value("ACTIONS_ID_TOKEN_REQUEST_URL"),
            let requestToken = value("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
        else {
            return (
                nil,
                "ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set (not a GitHub "
                    + "Actions job with id-token: write)"
            )
        }
        if lookup.context.explicitProfile != nil {
            return (nil, "skipped because --profile was given")
        }
        guard let roleArn = value("AWS_ROLE_ARN") else {
            return (nil, "no role to assume: set AWS_ROLE_ARN or pass --role-arn")
        }
        let source = "GitHub Actions OIDC (\(roleArn))"
        let token = try await requestIDToken(url: url, requestToken: requestToken, source: source, lookup: lookup)
        let credentials = try await WebIdentityCredentials.exchange(
            token: token, roleArn: roleArn, sessionName: value("AWS_ROLE_SESSION_NAME"), source: source, lookup: lookup)
        return (credentials, "")
    }

    /// Asks GitHub's token endpoint for an ID token for `audience`; https only, except to loopback (tests).
    static func requestIDToken(
        url: String, requestToken: String, source: String, lookup: CredentialLookup
    ) async throws -> String {
        guard var target = LocalEndpointURL(url),
            target.endpoint.scheme == "https" || ContainerCredentials.isLoopback(target.endpoint.host)
        else {
            throw AWSError.invalidCredentials(
                source: source,
                reason: "ACTIONS_ID_TOKEN_REQUEST_URL is not an https URL; GitHub sets it in jobs with "
                    + "`permissions: id-token: write`")
        }
        let extra = "audience=" + audience
        target.query = target.query.isEmpty ? extra : target.query + "&" + extra
        let request = HTTPRequest(
            endpoint: target.endpoint, method: "GET", path: target.path, query: target.query,
            headers: [
                (name: "Authorization", value: "bearer \(requestToken)"), (name: "Accept", value: "application/json"),
            ],
            body: .empty, timeout: timeout)
        lookup.logger.debug("GitHub Actions OIDC: GET \(target.endpoint)\(target.path) (audience \(audience))")
        let response: HTTPResponse
        do {
            response = try await lookup.transport.send(request)
        } catch {
            throw AWSError.credentialSourceFailed(
                source: source, reason: "GitHub's token endpoint did not answer: \(error)",
                remedy: "Re-run the job; check that it has `permissions: id-token: write`.")
        }
        guard response.status == 200 else {
            throw AWSError.credentialSourceFailed(
                source: source,
                reason: "GitHub's token endpoint answered HTTP \(response.status): "
                    + CredentialDocument.snippet(response.body),
                remedy: "Give the job `permissions: id-token: write` (and `contents: read`).")
        }
        guard let object = JSONValue.object(parsing: response.body),
            let token = object["value"]?.string, !token.isEmpty
        else {
            throw AWSError.invalidCredentials(
                source: source,
                reason: "GitHub's token endpoint answered without a \"value\": "
                    + CredentialDocument.snippet(response.body, redacted: true))
        }
        return token
    }
}
