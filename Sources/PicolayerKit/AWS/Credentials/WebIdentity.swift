import FoundationEssentials
import Logging

extension CredentialProvider {
    /// `AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN` (+ `AWS_ROLE_SESSION_NAME`), or the profile keys
    /// `web_identity_token_file` / `role_arn` / `role_session_name`: STS AssumeRoleWithWebIdentity, unsigned. This is
    /// what GitHub Actions' OIDC login gives a CI job.
    public static let webIdentity = CredentialProvider(name: "web identity") { lookup in
        try await WebIdentityCredentials.search(lookup)
    }
}

/// The web identity provider's parts. A `source_profile` holding web identity keys goes through `search` too,
/// with the lookup switched to that profile (so the environment's variables do not apply).
public enum WebIdentityCredentials {
    /// Which settings were found, and where each came from (for messages).
    struct Settings {
        var tokenFile: String
        var roleArn: String
        var sessionName: String?
        var origin: String
    }

    /// The provider in the chain. Environment variables win over the profile one key at a time and are ignored
    /// after `--profile`. A profile whose `role_arn` comes with `source_profile` or `credential_source` belongs
    /// to the assume-role provider and is skipped here.
    public static func search(_ lookup: CredentialLookup) async throws -> (AWSCredentials?, String) {
        let context = lookup.context
        let profile = context.configProfile()
        let profileLabel = "profile \(context.profileName) in \(context.configFilePath)"
        if CredentialProvider.isRoleProfile(profile) {
            return (
                nil, "\(profileLabel) has role_arn with source_profile/credential_source (the assume role provider's)"
            )
        }
        let env = context.explicitProfile == nil ? context.environment : [:]
        func setting(_ variable: String, _ key: String) -> String? {
            [env[variable], profile[key]].compactMap { $0 }.first { !$0.isEmpty }
        }
        guard let tokenFile = setting("AWS_WEB_IDENTITY_TOKEN_FILE", "web_identity_token_file") else {
            let skipped = context.explicitProfile == nil ? "" : " (environment ignored because --profile was given)"
            return (
                nil,
                "AWS_WEB_IDENTITY_TOKEN_FILE is not set and \(profileLabel) has no web_identity_token_file\(skipped)"
            )
        }
        guard let roleArn = setting("AWS_ROLE_ARN", "role_arn") else {
            throw AWSError.invalidCredentials(
                source: "web identity",
                reason: "the token file \(tokenFile) is configured but no role is: set AWS_ROLE_ARN or role_arn in "
                    + profileLabel)
        }
        let settings = Settings(
            tokenFile: tokenFile, roleArn: roleArn,
            sessionName: setting("AWS_ROLE_SESSION_NAME", "role_session_name"),
            origin: (env["AWS_WEB_IDENTITY_TOKEN_FILE"] ?? "").isEmpty ? profileLabel : "environment")
        return (try await assume(settings, lookup: lookup), "")
    }

    /// Reads the token file now (CI systems rotate it) and exchanges it with STS, unsigned.
    static func assume(_ settings: Settings, lookup: CredentialLookup) async throws -> AWSCredentials {
        let source = "web identity (\(settings.roleArn), token file \(settings.tokenFile), from \(settings.origin))"
        let token: String
        do {
            token = try String(contentsOfFile: settings.tokenFile, encoding: .utf8)
                .trimmingWhitespaceAndNewlines()
        } catch {
            throw AWSError.credentialSourceFailed(
                source: source, reason: "cannot read the token file: \(ErrorText.describe(error))",
                remedy: "Check AWS_WEB_IDENTITY_TOKEN_FILE / web_identity_token_file and the file's permissions.")
        }
        guard !token.isEmpty else {
            throw AWSError.credentialSourceFailed(
                source: source, reason: "the token file is empty",
                remedy: "Write the OIDC token into it before running picolayer (see docs/credentials.md).")
        }
        return try await exchange(
            token: token, roleArn: settings.roleArn, sessionName: settings.sessionName, source: source, lookup: lookup)
    }

    /// Exchanges an OIDC token for the role's credentials: STS AssumeRoleWithWebIdentity, unsigned, in the lookup's
    /// STS region (its endpoint overrides apply).
    static func exchange(
        token: String, roleArn: String, sessionName: String?, source: String, lookup: CredentialLookup
    ) async throws -> AWSCredentials {
        let sessionName = sessionName ?? lookup.defaultSessionName
        let region = lookup.stsRegion
        let sts = try STSClient.regional(
            region: region, credentials: CredentialSource { throw AWSError.noCredentials(searched: []) },
            signed: false, endpointFlag: lookup.endpointURL, environment: lookup.context.environment,
            transport: lookup.transport,
            timing: lookup.timing, logger: lookup.logger)
        do {
            return try await sts.assumeRoleWithWebIdentity(
                roleArn: roleArn, sessionName: sessionName, token: token, source: source
            ).credentials
        } catch let error as AWSError {
            throw AWSError.credentialSourceFailed(
                source: source, reason: "STS \(region) " + (error.errorDescription ?? "\(error)"),
                remedy: "Check that the role's trust policy accepts this token's issuer and audience, and that the "
                    + "token has not expired.")
        }
    }
}
