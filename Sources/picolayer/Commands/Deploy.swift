import ArgumentParser
import FoundationEssentials
import Logging
import PicolayerKit

#if canImport(Glibc)
    import Glibc
#endif

extension Picolayer {
    struct Deploy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Deploy a function's code and configuration to AWS Lambda (runtime provided.al2023).",
            discussion: """
                Zips the folder (or takes the zip), uploads it unless the function already has the same CodeSha256, \
                waits until Lambda has applied it, then sets handler, layers (other layers are kept), memory, \
                timeout and environment, waits again, and optionally publishes a version. --env replaces the \
                function's whole set of variables; without --env they are kept. Credentials and region as for \
                publish (see docs/credentials.md).
                """)

        @Option(name: .customLong("function"), help: ArgumentHelp("The function's name (or ARN).", valueName: "name"))
        var functionName: String

        @Option(
            help: ArgumentHelp("The function's folder (zipped reproducibly) or a zip file.", valueName: "dir-or-zip"))
        var code: String

        @Option(help: "path/file.function, e.g. main.handler (default when creating: main.handler).")
        var handler: String?

        @Option(
            name: .customLong("layer"),
            help: ArgumentHelp(
                "A layer version ARN to attach (repeatable); replaces any other version of that layer.",
                valueName: "arn"))
        var layers: [String] = []

        @Flag(help: "Attach the newest version of --layer-name published in the region.")
        var withPublishedLayer = false

        @Option(help: "With --with-published-layer: the layer's name or ARN.")
        var layerName: String = DeployConfiguration.defaultLayerName

        @Flag(help: "Create the function if it does not exist (needs --role).")
        var create = false

        @Option(help: ArgumentHelp("With --create: the execution role ARN.", valueName: "arn"))
        var role: String?

        @Option(help: ArgumentHelp("Memory in MB (128-10240).", valueName: "mb"))
        var memory: Int?

        @Option(help: ArgumentHelp("Timeout in seconds (1-900).", valueName: "seconds"))
        var timeout: Int?

        @Option(help: "x86_64 or arm64 (default: keep the function's; x86_64 when creating).")
        var arch: Architecture?

        @Option(
            name: .customLong("env"),
            help: ArgumentHelp(
                "A variable (repeatable); together they replace the function's whole set.", valueName: "name=value"))
        var env: [String] = []

        @Flag(help: "Publish a version of the deployed code.")
        var publishVersion = false

        @Option(help: "The function's region.")
        var region: String?

        @OptionGroup var aws: AWSOptions

        @OptionGroup var reporting: ReportingOptions

        @Flag(help: "Print the result as JSON.")
        var json = false

        @Flag(help: "Read the function and report what would change, without changing anything.")
        var dryRun = false

        /// Parse-time checks only; the deploy's own rules (`--create` needs `--role`, ...) are
        /// `DeployConfiguration.validate()`'s, run before credentials are looked up.
        func validate() throws {
            _ = try variables()
        }

        /// `--env K=V` as a map; `nil` when none was given (the function keeps its variables).
        func variables() throws -> [String: String]? {
            env.isEmpty ? nil : try environmentAssignments(env)
        }

        func run() async throws {
            let context = aws.context
            let resolvedRegion = try aws.region(flag: region)
            let configuration = DeployConfiguration(
                functionName: functionName, codePath: code, region: resolvedRegion, handler: handler, layers: layers,
                withPublishedLayer: withPublishedLayer, layerName: layerName, create: create, role: role,
                memorySize: memory, timeout: timeout, architecture: arch?.rawValue, environment: try variables(),
                publishVersion: publishVersion, dryRun: dryRun, endpointURL: aws.endpointURL)
            // Before credentials are looked up, so that a refused configuration sends nothing.
            try configuration.validate()
            let logger = reporting.logger
            let report = try await aws.withTransport { transport in
                let lookup = aws.lookup(transport: transport, region: resolvedRegion, logger: logger)
                let resolved = try await CredentialSource.resolvedNow(lookup)
                logger.debug("credentials: \(resolved.first.source)")
                let deployer = Deployer(
                    configuration: configuration, credentials: resolved.source, environment: context.environment,
                    transport: transport, logger: logger)
                return try await deployer.run()
            }
            printResult(json ? try report.json() : report.table())
        }
    }
}
