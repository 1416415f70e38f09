import ArgumentParser
import FoundationEssentials
import Logging
import PicolayerKit

#if canImport(Glibc)
    import Glibc
#endif

/// The AWS settings `publish`, `deploy`, `whoami` and `layers` share: which profile, which endpoint, which
/// timeouts, which regions are accepted.
struct AWSOptions: ParsableArguments {
    @Option(help: "Named profile of ~/.aws/config and ~/.aws/credentials (default: AWS_PROFILE, then default).")
    var profile: String?

    @Option(help: "Send requests to this URL instead of the AWS endpoints (e.g. a local moto server).")
    var endpointURL: String?

    @Option(
        help: ArgumentHelp(
            "The role to assume with a web identity token: GitHub Actions' OIDC token, or AWS_WEB_IDENTITY_TOKEN_FILE "
                + "(sets AWS_ROLE_ARN for this run).", valueName: "arn"))
    var roleArn: String?

    @Option(help: "Seconds a server may stay silent before the attempt fails (it is retried, 3 attempts in all).")
    var readTimeout: Int = 60

    @Option(help: "Seconds a credential_process may run before it and its child processes are killed.")
    var credentialProcessTimeout: Int = 60

    @Flag(
        help:
            "Accept a region picolayer does not know, one newer than this picolayer (also: \(KnownRegions.allowEnvironmentName)=1)."
    )
    var allowUnknownRegion = false

    func validate() throws {
        guard readTimeout > 0, credentialProcessTimeout > 0 else {
            throw ValidationError("--read-timeout and --credential-process-timeout take a number of seconds above 0.")
        }
    }

    /// The command's regions: `--regions` (comma-separated), else `--region` or the configuration's
    /// (`RegionResolver`). Each is checked against `KnownRegions` before anything else happens.
    func regions(flag: String?, list: String?) throws -> [String] {
        guard let list else { return [try region(flag: flag)] }
        return try list.split(separator: ",").map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }.map(checked)
    }

    /// `--region` or the configuration's region (`RegionResolver`), checked.
    func region(flag: String?) throws -> String {
        try checked(RegionResolver.resolve(flag: flag, context: context))
    }

    /// `region` when it is known or unknown regions are allowed; otherwise `AWSError.unknownRegion`, which
    /// `Picolayer.main` turns into a usage error (exit 64).
    func checked(_ region: String) throws -> String {
        if allowUnknownRegion || context.environment[KnownRegions.allowEnvironmentName] == "1" { return region }
        return try KnownRegions.check(region)
    }

    /// A live transport with `--read-timeout`, shut down after `body`.
    func withTransport<T: Sendable>(_ body: (HTTPTransport) async throws -> T) async throws -> T {
        // A credential_process child and its scratch folder must not outlive a Ctrl-C.
        TemporaryPaths.shared.removeOnSignals()
        return try await HTTPTransport.withLive(readTimeout: .seconds(readTimeout), body)
    }

    /// The process's view of the AWS configuration (environment read once, here; `--role-arn` over AWS_ROLE_ARN).
    var context: AWSConfigContext {
        var environment = ProcessInfo.processInfo.environment
        if let roleArn { environment["AWS_ROLE_ARN"] = roleArn }
        return AWSConfigContext(environment: environment, explicitProfile: profile)
    }

    /// Runs `body` with the clients' shared context: a live transport, the credentials the chain found for
    /// `region` (the source said at debug level), the endpoint overrides.
    func withServices<T: Sendable>(
        region: String?, logger: Logger, _ body: (AWSServiceContext) async throws -> T
    ) async throws -> T {
        try await withTransport { transport in
            let resolved = try await CredentialSource.resolvedNow(
                lookup(transport: transport, region: region, logger: logger))
            logger.debug("credentials: \(resolved.first.source)")
            let services = AWSServiceContext(
                credentials: resolved.source, environment: context.environment, endpointFlag: endpointURL,
                transport: transport, logger: logger)
            return try await body(services)
        }
    }

    /// A credential lookup over `transport`; its providers' network calls go to `logger` at debug level.
    func lookup(transport: HTTPTransport, region: String?, logger: Logger) -> CredentialLookup {
        var lookup = CredentialLookup(
            context: context, transport: transport, regionFlag: region, logger: logger.scoped("credentials"),
            endpointURL: endpointURL)
        lookup.processTimeout = .seconds(credentialProcessTimeout)
        return lookup
    }
}
