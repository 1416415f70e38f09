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
                timeout and environment, waits again, and optionally publishes a version. --env (over \
                [function.environment] of picolayer.toml) replaces the function's whole set of variables, or is \
                laid over it with --merge-env; with neither, the variables are kept. Every option can come from \
                picolayer.toml (see docs/config.md). Credentials and region as for publish (docs/credentials.md). A folder is zipped without what picolayer's default ignore rules, \
                its .picolayerignore, --exclude and --include leave out (see docs/deploy.md).
                """)

        @Option(
            name: .customLong("function"),
            help: ArgumentHelp(
                "The function's name or ARN (default: function.name of picolayer.toml).", valueName: "name"))
        var functionName: String?

        @Option(
            help: ArgumentHelp(
                "The function's folder (zipped reproducibly) or a zip file (default: function.code, or . with a "
                    + "picolayer.toml).", valueName: "dir-or-zip"))
        var code: String?

        @OptionGroup var ignore: IgnoreFlags

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

        @Option(help: "With --with-published-layer: the layer's name or ARN (default: layer.name, else picolisp).")
        var layerName: String?

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
                "A variable (repeatable), over [function.environment] of picolayer.toml; together they replace the "
                    + "function's whole set, unless --merge-env.", valueName: "name=value"))
        var env: [String] = []

        @Flag(
            help: "Keep the function's variables that --env and picolayer.toml do not name (default: replace them all)."
        )
        var mergeEnv = false

        @Flag(help: "Publish a version of the deployed code.")
        var publishVersion = false

        @Option(help: "The function's region.")
        var region: String?

        @OptionGroup var aws: AWSOptions

        @OptionGroup var reporting: ReportingOptions

        @Flag(help: "Print the result as JSON.")
        var json = false

        @Flag(help: "Read the function and report what would change and the files that would ship; change nothing.")
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
            let settings = try ProjectSettings.current(environment: context.environment)
            let configuration = try deployConfiguration(settings, context: context)
            // Before credentials are looked up, so that a refused configuration sends nothing.
            try configuration.validate()
            let logger = reporting.logger
            let report = try await aws.withTransport { transport in
                let lookup = aws.lookup(transport: transport, region: configuration.region, logger: logger)
                let resolved = try await CredentialSource.resolvedNow(lookup)
                logger.debug("credentials: \(resolved.first.source)")
                let deployer = Deployer(
                    configuration: configuration, credentials: resolved.source, environment: context.environment,
                    transport: transport, logger: logger)
                return try await deployer.run()
            }
            printResult(json ? try report.json() : report.table())
        }

        /// Flags over the environment over picolayer.toml over the defaults, option by option (docs/config.md).
        func deployConfiguration(_ settings: ProjectSettings, context: AWSConfigContext) throws -> DeployConfiguration {
            guard let name = settings.string(.functionName, flag: functionName, "--function")?.value else {
                throw ValidationError("Pass --function NAME, or set function.name in picolayer.toml.")
            }
            guard
                let codePath = code
                    ?? (settings.file != nil ? settings.string(.functionCode, flag: nil, "")?.value : nil)
            else {
                throw ValidationError("Pass --code DIR-OR-ZIP, or set function.code in picolayer.toml.")
            }
            let region = try aws.region(flag: settings.regionFlag(self.region))
            let flagged = try variables()
            let environment =
                settings.file?.environment.isEmpty == false || flagged != nil
                ? settings.functionEnvironment(overrides: flagged ?? [:]) : nil
            let architecture = arch?.rawValue ?? settings.string(.functionArchitecture, flag: nil, "")?.value
            var configuration = DeployConfiguration(
                functionName: name, codePath: codePath, region: region,
                handler: settings.string(.functionHandler, flag: handler, "--handler")?.value,
                layers: settings.strings(.functionLayers, flag: layers, "--layer")?.value ?? [],
                withPublishedLayer: settings.boolean(.functionPublishedLayer, flag: withPublishedLayer, "").value,
                layerName: settings.string(.layerName, flag: layerName, "--layer-name")?.value
                    ?? DeployConfiguration.defaultLayerName,
                create: settings.boolean(.functionCreate, flag: create, "--create").value,
                role: settings.string(.functionRole, flag: role, "--role")?.value,
                memorySize: memory ?? settings.file?.integer(.functionMemory),
                timeout: timeout ?? settings.file?.integer(.functionTimeout), architecture: architecture,
                environment: environment, publishVersion: publishVersion, dryRun: dryRun,
                endpointURL: aws.endpointURL, ignore: ignore.options)
            configuration.mergeEnvironment = mergeEnv
            return configuration
        }
    }
}
