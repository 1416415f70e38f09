import FoundationEssentials
import Logging

/// AWS access keys. `description` never shows the secret or the session token.
public struct AWSCredentials: Sendable, Equatable, CustomStringConvertible {
    public var accessKeyId: String
    public var secretAccessKey: String
    public var sessionToken: String?
    /// Where they came from, e.g. `environment` or `shared credentials file /root/.aws/credentials [dev]`.
    public var source: String
    /// When temporary credentials stop working; `nil` for long-term keys.
    public var expiration: Date?
    /// The account, when the source says so (`AWS_ACCOUNT_ID`, `credential_process`, SSO).
    public var accountId: String?

    public init(
        accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil, source: String = "",
        expiration: Date? = nil, accountId: String? = nil
    ) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.source = source
        self.expiration = expiration
        self.accountId = accountId
    }

    /// True when the credentials expire within `margin` seconds of `now` (never for long-term keys).
    public func expires(within margin: TimeInterval, of now: Date) -> Bool {
        guard let expiration else { return false }
        return expiration.timeIntervalSince(now) <= margin
    }

    public var description: String {
        "AWSCredentials(\(accessKeyId), secret: <redacted>\(sessionToken == nil ? "" : ", token: <redacted>"), from \(source))"
    }
}

/// What the resolver needs to know about the process: environment, home directory and the `--profile` flag.
public struct AWSConfigContext: Sendable {
    public var environment: [String: String]
    public var homeDirectory: String
    /// `--profile` on the command line. Unlike `AWS_PROFILE`, it switches the environment keys off (AWS CLI rule).
    public var explicitProfile: String?

    public init(environment: [String: String], homeDirectory: String? = nil, explicitProfile: String? = nil) {
        self.environment = environment
        self.homeDirectory =
            homeDirectory ?? environment["HOME"] ?? FileManager.default.homeDirectoryForCurrentUser.path
        self.explicitProfile = explicitProfile
    }

    /// `--profile`, then `AWS_PROFILE`, then `AWS_DEFAULT_PROFILE`, then `default` (AWS CLI v2 order).
    public var profileName: String {
        explicitProfile ?? environment["AWS_PROFILE"] ?? environment["AWS_DEFAULT_PROFILE"] ?? "default"
    }

    public var credentialsFilePath: String {
        expand(environment["AWS_SHARED_CREDENTIALS_FILE"] ?? "~/.aws/credentials")
    }

    public var configFilePath: String {
        expand(environment["AWS_CONFIG_FILE"] ?? "~/.aws/config")
    }

    private func expand(_ path: String) -> String {
        path.hasPrefix("~/") ? homeDirectory + path.dropFirst(1) : path
    }

    /// The profile's section of the config file (`[default]` or `[profile NAME]`), empty if absent or unreadable.
    public func configProfile() -> [String: String] {
        guard let file = try? AWSConfigFile(contentsOfFile: configFilePath) else { return [:] }
        return file.configProfile(profileName) ?? [:]
    }
}

/// Everything a provider may use: the configuration, the network and the clock. Providers that call AWS (STS,
/// the SSO portal) or a local endpoint (container, IMDS) go through `transport`; tests pass their own servers.
public struct CredentialLookup: Sendable {
    public var context: AWSConfigContext
    public var transport: HTTPTransport
    public var timing: AWSTiming
    /// `--region`, used for STS before the environment and the profile.
    public var regionFlag: String?
    /// Profiles entered through `source_profile`, outermost first, to stop cycles.
    public var profileChain: [String]
    /// Told of each network call a provider makes, at debug level (`--verbose`).
    public var logger: Logger
    /// `--endpoint-url`: the STS calls the providers make (AssumeRole, AssumeRoleWithWebIdentity) go there too,
    /// before `AWS_ENDPOINT_URL_STS` and `AWS_ENDPOINT_URL`, so that no call of a run leaves for a public host.
    public var endpointURL: String?
    /// How long `credential_process` may run before it and its children are killed
    /// (`--credential-process-timeout`).
    public var processTimeout: Duration = ProcessCredentials.defaultTimeout

    /// How many `source_profile` hops a chain may take before the lookup gives up (the AWS CLI sets no limit;
    /// real chains are two or three deep).
    public static let maxSourceProfileDepth = 32

    public init(
        context: AWSConfigContext, transport: HTTPTransport = .live(), timing: AWSTiming = .live,
        regionFlag: String? = nil, profileChain: [String] = [], logger: Logger = .silent,
        endpointURL: String? = nil
    ) {
        self.context = context
        self.transport = transport
        self.timing = timing
        self.regionFlag = regionFlag
        self.profileChain = profileChain
        self.logger = logger
        self.endpointURL = endpointURL
    }

    /// The region for STS calls: `--region`, the environment, the profile, else `us-east-1`.
    public var stsRegion: String {
        (try? RegionResolver.resolve(flag: regionFlag, context: context)) ?? "us-east-1"
    }

    /// The STS session name when the profile names none: `picolayer-<unix time>`.
    public var defaultSessionName: String { "picolayer-\(Int(timing.now().timeIntervalSince1970))" }

    /// The same lookup switched to profile `name`, as `source_profile` does: the environment's keys and web
    /// identity variables no longer apply (they belong to the outermost profile only).
    public func switchingProfile(to name: String) -> CredentialLookup {
        var copy = self
        copy.context.explicitProfile = name
        copy.profileChain.append(context.profileName)
        return copy
    }
}

/// One way to find credentials. `search` answers the credentials, or `nil` plus a line saying what it looked at,
/// so that "nothing found" can list every place searched. Throws when something is found but unusable.
public struct CredentialProvider: Sendable {
    public var name: String
    public var search: @Sendable (CredentialLookup) async throws -> (credentials: AWSCredentials?, searched: String)

    public init(
        name: String, search: @escaping @Sendable (CredentialLookup) async throws -> (AWSCredentials?, String)
    ) {
        self.name = name
        self.search = search
    }
}

/// Tries providers in order; the first with credentials wins.
public struct CredentialResolver: Sendable {
    public var providers: [CredentialProvider]

    public init(providers: [CredentialProvider] = CredentialResolver.standardProviders) {
        self.providers = providers
    }

    /// The AWS CLI v2 order, with GitHub Actions' OIDC token beside the web identity token file.
    public static let standardProviders: [CredentialProvider] = [
        .environment, .assumeRole, .webIdentity, .gitHubActions, .sso, .sharedCredentialsFile, .process, .configFile,
        .container,
        .instanceMetadata,
    ]

    /// What a `source_profile` may hold, in botocore's order: a role, web identity, SSO, keys in either file, a
    /// process. No environment keys, no container or instance metadata (those are `credential_source`).
    public static let sourceProfileProviders: [CredentialProvider] = [
        .assumeRole, .webIdentity, .sso, .sharedCredentialsFile, .process, .configFile,
    ]

    public func resolve(_ lookup: CredentialLookup) async throws -> AWSCredentials {
        var searched: [String] = []
        for provider in providers {
            let (credentials, note) = try await provider.search(lookup)
            if let credentials { return credentials }
            searched.append("\(provider.name): \(note)")
        }
        throw AWSError.noCredentials(searched: searched)
    }
}

extension CredentialProvider {
    /// `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN` or `AWS_SECURITY_TOKEN`).
    /// Skipped when `--profile` was given, as the AWS CLI does.
    public static let environment = CredentialProvider(name: "environment") { lookup in
        let context = lookup.context
        if let profile = context.explicitProfile {
            return (nil, "skipped because --profile \(profile) was given")
        }
        let env = context.environment
        let keyId = env["AWS_ACCESS_KEY_ID"].flatMap { $0.isEmpty ? nil : $0 }
        let secret = env["AWS_SECRET_ACCESS_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        switch (keyId, secret) {
        case (nil, nil):
            return (nil, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set")
        case (let keyId?, let secret?):
            // botocore reads AWS_SECURITY_TOKEN first.
            let token = [env["AWS_SECURITY_TOKEN"], env["AWS_SESSION_TOKEN"]].compactMap { $0 }.first { !$0.isEmpty }
            var expiration: Date?
            if let text = env["AWS_CREDENTIAL_EXPIRATION"], !text.isEmpty {
                guard let date = AWSDate.parse(text) else {
                    throw AWSError.invalidCredentials(
                        source: "environment",
                        reason: "AWS_CREDENTIAL_EXPIRATION '\(text)' is not an ISO 8601 time (2026-11-24T12:00:00Z)")
                }
                expiration = date
            }
            let credentials = AWSCredentials(
                accessKeyId: keyId, secretAccessKey: secret, sessionToken: token, source: "environment",
                expiration: expiration, accountId: env["AWS_ACCOUNT_ID"].flatMap { $0.isEmpty ? nil : $0 })
            return (credentials, "")
        case (_?, nil):
            throw AWSError.partialCredentials(source: "environment", missing: "AWS_SECRET_ACCESS_KEY")
        case (nil, _?):
            throw AWSError.partialCredentials(source: "environment", missing: "AWS_ACCESS_KEY_ID")
        }
    }

    /// `[NAME]` in `~/.aws/credentials` (or `AWS_SHARED_CREDENTIALS_FILE`).
    public static let sharedCredentialsFile = CredentialProvider(name: "shared credentials file") { lookup in
        let context = lookup.context
        let path = context.credentialsFilePath
        guard FileManager.default.fileExists(atPath: path) else { return (nil, "\(path) does not exist") }
        let file = try AWSConfigFile(contentsOfFile: path)
        guard let section = file.sections[context.profileName] else {
            return (nil, "\(path) has no [\(context.profileName)] section")
        }
        return try staticKeys(section, source: "\(path) [\(context.profileName)]")
    }

    /// Static keys in `[default]` / `[profile NAME]` of `~/.aws/config` (or `AWS_CONFIG_FILE`).
    public static let configFile = CredentialProvider(name: "config file") { lookup in
        let context = lookup.context
        let path = context.configFilePath
        guard FileManager.default.fileExists(atPath: path) else { return (nil, "\(path) does not exist") }
        let file = try AWSConfigFile(contentsOfFile: path)
        let name = context.profileName
        guard let section = file.configProfile(name) else {
            return (nil, "\(path) has no [\(name == "default" ? "default" : "profile \(name)")] section")
        }
        return try staticKeys(section, source: "\(path) [\(name)]")
    }

    static func staticKeys(_ section: [String: String], source: String) throws -> (AWSCredentials?, String) {
        let keyId = section["aws_access_key_id"].flatMap { $0.isEmpty ? nil : $0 }
        let secret = section["aws_secret_access_key"].flatMap { $0.isEmpty ? nil : $0 }
        switch (keyId, secret) {
        case (let keyId?, let secret?):
            let token = section["aws_session_token"] ?? section["aws_security_token"]
            return (
                AWSCredentials(accessKeyId: keyId, secretAccessKey: secret, sessionToken: token, source: source), ""
            )
        case (nil, nil):
            return (nil, "\(source) has no aws_access_key_id / aws_secret_access_key")
        case (_?, nil):
            throw AWSError.partialCredentials(source: source, missing: "aws_secret_access_key")
        case (nil, _?):
            throw AWSError.partialCredentials(source: source, missing: "aws_access_key_id")
        }
    }
}

/// The INI dialect of `~/.aws/credentials` and `~/.aws/config`: `[section]`, `key = value`, `#`/`;` comments,
/// indented lines continuing the previous value (nested sub-sections such as `s3 =` are kept as raw text).
public struct AWSConfigFile: Sendable {
    public var sections: [String: [String: String]]
    /// Lines that are neither a `[section]`, a `key = value`, a continuation nor a comment, by number (from 1),
    /// with why; they are ignored. The text of the line is never kept: it may be a pasted secret.
    public var ignoredLines: [(line: Int, reason: String)] = []

    /// Reads and parses `path`. A file already parsed and unchanged since (same size and modification time) is
    /// answered from memory, so a long `source_profile` chain reads each file once; the ignored lines are written
    /// to stderr the first time the file is read, naming the file and the line, as the AWS CLI warns.
    public init(contentsOfFile path: String) throws {
        self = try AWSConfigFileCache.shared.file(at: path)
    }

    init(reading path: String) throws {
        do {
            self.init(parsing: try String(contentsOfFile: path, encoding: .utf8))
        } catch {
            throw AWSError.unreadableConfigFile(path: path, reason: ErrorText.describe(error))
        }
    }

    public init(parsing text: String) {
        var sections: [String: [String: String]] = [:]
        var current: String?
        var lastKey: String?
        var ignored: [(line: Int, reason: String)] = []
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        for (index, rawLine) in lines.enumerated() {
            let line = rawLine.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                let name = line.dropFirst().dropLast().split(whereSeparator: \.isWhitespace).joined(separator: " ")
                current = name
                lastKey = nil
                if sections[name] == nil { sections[name] = [:] }
                continue
            }
            guard let section = current else {
                ignored.append((index + 1, "a setting before any [section]"))
                continue
            }
            if rawLine.first?.isWhitespace == true, let key = lastKey {
                sections[section]?[key, default: ""] += "\n" + line
                continue
            }
            guard let eq = line.firstIndex(of: "=") else {
                ignored.append((index + 1, "not `[section]`, `key = value` or a comment"))
                continue
            }
            let key = line[..<eq].trimmingWhitespace().lowercased()
            let value = line[line.index(after: eq)...].trimmingWhitespace()
            sections[section]?[key] = value
            lastKey = key
        }
        self.sections = sections
        self.ignoredLines = ignored
    }

    /// A profile of the config file: `[default]` (or `[profile default]`) and `[profile NAME]`; bare `[NAME]` is not one.
    public func configProfile(_ name: String) -> [String: String]? {
        if name == "default" { return sections["default"] ?? sections["profile default"] }
        return sections["profile \(name)"]
    }
}
