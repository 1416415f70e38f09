import ArgumentParser
import FoundationEssentials
import Logging
import PicolayerKit

#if canImport(Glibc)
    import Glibc
#endif

extension Picolayer {
    struct Whoami: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the AWS account and identity picolayer's credentials belong to (STS GetCallerIdentity).",
            discussion: """
                Resolves credentials exactly as publish and deploy do (docs/credentials.md) and prints the \
                account, the ARN and which source of the chain was used. Exits 1 with the list of places \
                searched when no credentials are found.
                """)

        @Option(help: "The region whose STS endpoint is asked (default: AWS_REGION, the profile, us-east-1).")
        var region: String?

        @Flag(help: "Print the result as JSON.")
        var json = false

        @OptionGroup var aws: AWSOptions

        @OptionGroup var reporting: ReportingOptions

        func run() async throws {
            let context = aws.context
            let stsRegion = try aws.checked(
                (try? RegionResolver.resolve(flag: region, context: context)) ?? "us-east-1")
            let logger = reporting.logger
            let report = try await aws.withTransport { transport in
                let (credentials, first) = try await CredentialSource.resolvedNow(
                    aws.lookup(transport: transport, region: stsRegion, logger: logger))
                // As deploy --verbose does: which source of the chain answered, on stderr.
                logger.debug("credentials: \(first.source)")
                return try await WhoamiReport.fetch(
                    credentials: credentials, region: stsRegion, endpointFlag: aws.endpointURL,
                    environment: context.environment, transport: transport, logger: logger)
            }
            printResult(json ? try report.json() : report.text(now: Date()))
        }
    }
}
