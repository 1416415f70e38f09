import FoundationEssentials
import Logging

extension AWSConfigContext {
    /// Profile `name` as the AWS CLI sees it: `[default]`/`[profile NAME]` of the config file with the keys of
    /// `[NAME]` in the credentials file laid over it (botocore merges the two files per profile). `nil` when
    /// neither file has the profile.
    public func profileSettings(_ name: String) throws -> [String: String]? {
        var merged: [String: String]?
        if FileManager.default.fileExists(atPath: configFilePath) {
            merged = try AWSConfigFile(contentsOfFile: configFilePath).configProfile(name)
        }
        if FileManager.default.fileExists(atPath: credentialsFilePath),
            let section = try AWSConfigFile(contentsOfFile: credentialsFilePath).sections[name]
        {
            merged = (merged ?? [:]).merging(section) { _, fromCredentials in fromCredentials }
        }
        return merged
    }
}

/// How a role profile gets the credentials it assumes the role with.
enum RoleSource: Equatable {
    /// `source_profile = NAME`: that profile's credentials (which may themselves come from a role).
    case profile(String)
    /// `credential_source = Environment | EcsContainer | Ec2InstanceMetadata`.
    case environment
    case container
    case instanceMetadata

    static let credentialSourceValues = ["Environment", "EcsContainer", "Ec2InstanceMetadata"]
}

extension CredentialProvider {
    /// `role_arn` with `source_profile` or `credential_source` in the profile: STS AssumeRole, signed with the
    /// source's credentials. Source profiles may be roles themselves (chains); a cycle is an error, except a
    /// profile naming itself as source while holding static keys (the AWS CLI allows that).
    public static let assumeRole = CredentialProvider(name: "assume role") { lookup in
        let name = lookup.context.profileName
        guard let profile = try lookup.context.profileSettings(name) else {
            return (
                nil, "no profile \(name) in \(lookup.context.configFilePath) or \(lookup.context.credentialsFilePath)"
            )
        }
        guard let roleArn = nonEmpty(profile["role_arn"]) else { return (nil, "profile \(name) has no role_arn") }
        guard let source = try roleSource(profile, profileName: name) else {
            return (nil, "profile \(name) has role_arn but neither source_profile nor credential_source")
        }
        return (try await assumeRoleCredentials(profile: profile, roleArn: roleArn, source: source, lookup: lookup), "")
    }

    private static func nonEmpty(_ value: String?) -> String? {
        guard let value = value?.trimmingWhitespace(), !value.isEmpty else { return nil }
        return value
    }

    /// True when the profile is the assume-role provider's: `role_arn` with `source_profile` or
    /// `credential_source` (empty values count as absent). Other providers that read `role_arn` skip such profiles.
    static func isRoleProfile(_ profile: [String: String]) -> Bool {
        nonEmpty(profile["role_arn"]) != nil
            && (nonEmpty(profile["source_profile"]) != nil || nonEmpty(profile["credential_source"]) != nil)
    }

    static func roleSource(_ profile: [String: String], profileName: String) throws -> RoleSource? {
        let sourceProfile = nonEmpty(profile["source_profile"])
        let credentialSource = nonEmpty(profile["credential_source"])
        switch (sourceProfile, credentialSource) {
        case (nil, nil):
            return nil
        case (_?, _?):
            throw AWSError.invalidCredentials(
                source: "profile \(profileName)",
                reason: "it sets both source_profile and credential_source; keep one of them")
        case (let name?, nil):
            return .profile(name)
        case (nil, let value?):
            switch value {
            case "Environment": return .environment
            case "EcsContainer": return .container
            case "Ec2InstanceMetadata": return .instanceMetadata
            default:
                throw AWSError.invalidCredentials(
                    source: "profile \(profileName)",
                    reason: "credential_source = \(value) is not one of "
                        + RoleSource.credentialSourceValues.joined(separator: ", "))
            }
        }
    }

    /// The credentials the role is assumed with.
    static func sourceCredentials(
        _ source: RoleSource, profile: [String: String], lookup: CredentialLookup
    ) async throws -> AWSCredentials {
        let name = lookup.context.profileName
        let provider: CredentialProvider
        var sourceLookup = lookup
        switch source {
        case .profile(let sourceName) where sourceName == name:
            // A profile that is its own source uses its own static keys (AWS CLI behaviour).
            guard let keys = try staticKeys(profile, source: "profile \(name)").0 else {
                throw AWSError.invalidCredentials(
                    source: "profile \(name)",
                    reason: "source_profile names the profile itself, which has no aws_access_key_id/"
                        + "aws_secret_access_key; point source_profile at another profile or add the keys")
            }
            return keys
        case .profile(let sourceName):
            return try await sourceProfileCredentials(sourceName, lookup: lookup)
        case .environment:
            // credential_source = Environment reads the variables even under --profile.
            sourceLookup.context.explicitProfile = nil
            provider = .environment
        case .container:
            provider = .container
        case .instanceMetadata:
            provider = .instanceMetadata
        }
        let (credentials, note) = try await provider.search(sourceLookup)
        guard let credentials else {
            throw AWSError.credentialSourceFailed(
                source: "credential_source of profile \(name)", reason: "\(provider.name): \(note)",
                remedy: "Make that source available or use source_profile instead.")
        }
        return credentials
    }

    /// The credentials of `source_profile`, resolved like a profile of their own, with a bounded chain and no loop.
    static func sourceProfileCredentials(_ sourceName: String, lookup: CredentialLookup) async throws
        -> AWSCredentials
    {
        let name = lookup.context.profileName
        if lookup.profileChain.count >= CredentialLookup.maxSourceProfileDepth {
            throw AWSError.invalidCredentials(
                source: "profile \(lookup.profileChain.first ?? name)",
                reason: "its source_profile chain is more than \(CredentialLookup.maxSourceProfileDepth) profiles "
                    + "deep (at \(name) -> \(sourceName)); end the chain at a profile with keys")
        }
        if lookup.profileChain.contains(sourceName) {
            let loop = (lookup.profileChain + [name, sourceName]).joined(separator: " -> ")
            throw AWSError.invalidCredentials(
                source: "profile \(name)",
                reason: "source_profile makes a loop (\(loop)); end the chain at a profile with keys")
        }
        guard try lookup.context.profileSettings(sourceName) != nil else {
            throw AWSError.invalidCredentials(
                source: "profile \(name)",
                reason: "its source_profile \(sourceName) is in neither \(lookup.context.configFilePath) "
                    + "nor \(lookup.context.credentialsFilePath); add [profile \(sourceName)] or fix the name")
        }
        let sourceLookup = lookup.switchingProfile(to: sourceName)
        let resolver = CredentialResolver(providers: CredentialResolver.sourceProfileProviders)
        do {
            return try await resolver.resolve(sourceLookup)
        } catch AWSError.noCredentials(let searched) {
            throw AWSError.credentialSourceFailed(
                source: "source_profile \(sourceName) of profile \(name)",
                reason: "it has no credentials. Searched:\n" + searched.map { "  - \($0)" }.joined(separator: "\n"),
                remedy: "Give profile \(sourceName) keys, a role, sso_session or credential_process.")
        }
    }

    static func assumeRoleCredentials(
        profile: [String: String], roleArn: String, source: RoleSource, lookup: CredentialLookup
    ) async throws -> AWSCredentials {
        let name = lookup.context.profileName
        if let serial = nonEmpty(profile["mfa_serial"]) {
            throw AWSError.credentialSourceFailed(
                source: "profile \(name)",
                reason: "assuming \(roleArn) needs a code from MFA device \(serial), and picolayer does not prompt",
                remedy:
                    "Run `aws sts assume-role` (or `aws configure export-credentials --profile \(name) --format env`) "
                    + "and pass the result in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN.")
        }
        var duration: Int?
        if let text = nonEmpty(profile["duration_seconds"]) {
            guard let value = Int(text), (900...43_200).contains(value) else {
                throw AWSError.invalidCredentials(
                    source: "profile \(name)", reason: "duration_seconds = \(text) is not 900 to 43200")
            }
            duration = value
        }
        let sourceCredentials = try await sourceCredentials(source, profile: profile, lookup: lookup)
        let sessionName =
            nonEmpty(profile["role_session_name"]) ?? lookup.defaultSessionName
        let region = lookup.stsRegion
        lookup.logger.debug("AssumeRole \(roleArn) for profile \(name) in \(region) with \(sourceCredentials.source)")
        let sts = try STSClient.regional(
            region: region, credentials: .fixed(sourceCredentials), endpointFlag: lookup.endpointURL,
            environment: lookup.context.environment, transport: lookup.transport, timing: lookup.timing,
            logger: lookup.logger)
        let input = STSClient.AssumeRoleInput(
            roleArn: roleArn, sessionName: sessionName, externalId: nonEmpty(profile["external_id"]),
            durationSeconds: duration)
        do {
            let assumed = try await sts.assumeRole(
                input, source: "assume role \(roleArn) (profile \(name), from \(sourceCredentials.source))")
            return assumed.credentials
        } catch let error as AWSError {
            throw AWSError.credentialSourceFailed(
                source: "profile \(name)", reason: "AssumeRole \(roleArn) failed: \(ErrorText.describe(error))",
                remedy:
                    "Check that \(sourceCredentials.source) may call sts:AssumeRole on it and that the role trusts them."
            )
        }
    }
}
