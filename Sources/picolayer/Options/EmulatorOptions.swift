import ArgumentParser
import FoundationEssentials
import Logging
import PicolayerKit

#if canImport(Glibc)
    import Glibc
#endif

/// The function settings `invoke` and `serve` share: what Lambda would hold in the function's configuration.
/// Each comes from its flag, else picolayer.toml (`[function]`, and `build.output` for the layer), else its default.
struct EmulatorOptions: ParsableArguments {
    @Option(help: "The handler, passed to the runtime as _HANDLER (e.g. main.handler; default: function.handler).")
    var handler: String?

    @Option(help: "The function's code folder, Lambda's /var/task (default: function.code, else .).")
    var taskRoot: String?

    @Option(
        help:
            "The runtime layer folder, Lambda's /opt: bootstrap, bin/, lib/ (default: build.output, else build/layer).")
    var layer: String?

    @Option(help: "Function timeout in seconds, 1-900 (default: function.timeout, else 3).")
    var timeout: Double?

    @Option(
        help:
            "Memory size in MB, 128-10240, shown in REPORT lines and passed to the runtime (default: function.memory, else 128)."
    )
    var memory: Int?

    @Option(
        help:
            "The function name, in the ARN and AWS_LAMBDA_FUNCTION_NAME (default: function.name, else picolayer-function)."
    )
    var functionName: String?

    @Option(help: "The region, in the ARN and AWS_REGION (default: function.region, else us-east-1).")
    var region: String?

    @Option(
        name: .customLong("env"),
        help: "A variable for the function, KEY=VALUE (repeatable), over [function.environment].")
    var variables: [String] = []

    @Option(help: "A file of KEY=VALUE lines (# comments) for the function.")
    var envFile: String?

    func validate() throws {
        // Checked here, at parse time, with the kit's one message for each.
        let seconds = LambdaLimits.timeoutSeconds
        if let timeout, !(Double(seconds.lowerBound)...Double(seconds.upperBound)).contains(timeout) {
            throw ValidationError(LambdaLimits.timeoutOutOfRange("\(timeout) s"))
        }
        if let memory, !LambdaLimits.memoryMegabytes.contains(memory) {
            throw ValidationError(LambdaLimits.memoryOutOfRange(memory))
        }
        _ = try environmentAssignments(variables)
    }

    /// The configuration value for the library: flags over picolayer.toml over the defaults; reads --env-file.
    /// With no layer staged at the default place and no bootstrap in the code folder, the function runs on this
    /// machine's picolisp with picolayer's runtime (`HostLayer`), said on `logger`.
    func configuration(logger: Logger = .silent) throws -> FunctionConfiguration {
        let processEnvironment = ProcessInfo.processInfo.environment
        let settings = try ProjectSettings.current(environment: processEnvironment)
        var environment: [String: String] = settings.file?.environment ?? [:]
        if let envFile {
            let text: String
            do {
                text = try String(contentsOfFile: envFile, encoding: .utf8)
            } catch {
                throw EmulatorError.unreadableFile(path: envFile, reason: ErrorText.describe(error))
            }
            environment.merge(try EnvironmentFile.parse(text, file: envFile)) { _, fromFile in fromFile }
        }
        environment.merge(try environmentAssignments(variables)) { _, fromFlag in fromFlag }
        guard let handler = handler ?? settings.file?.string(.functionHandler) else {
            throw ValidationError(
                "Pass --handler FILE.FUNCTION (e.g. main.handler), or set function.handler in picolayer.toml.")
        }
        let seconds = timeout ?? settings.file?.integer(.functionTimeout).map(Double.init) ?? 3
        let code = taskRoot ?? settings.string(.functionCode, flag: nil, "")?.value ?? "."
        var layerDirectory = layer ?? settings.file?.path(.buildOutput)
        if layerDirectory == nil, (try? LocalLambda.findBootstrap(taskRoot: code, layerDirectory: "build/layer")) == nil
        {
            let cache = BuildConfiguration.defaultCacheDirectory(environment: processEnvironment)
            do {
                layerDirectory = try HostLayer.staged(cache: cache, environment: processEnvironment)
                let note = "picolayer build stages the one Lambda runs"
                logger.info(
                    "no layer at build/layer (\(note)): running on this machine's picolisp with picolayer's runtime")
            } catch {
                logger.debug("no layer from this machine's picolisp either: \(ErrorText.describe(error))")
            }
        }
        let configuration = FunctionConfiguration(
            handler: handler, taskRoot: code, layerDirectory: layerDirectory ?? "build/layer",
            functionName: functionName ?? settings.file?.string(.functionName) ?? "picolayer-function",
            region: region ?? settings.file?.string(.functionRegion) ?? "us-east-1",
            memorySize: memory ?? settings.file?.integer(.functionMemory) ?? 128,
            timeout: .milliseconds(Int64((seconds * 1000).rounded())), userEnvironment: environment)
        try configuration.validate()
        return configuration
    }
}

/// Where the function's own log stream goes (the runtime's output, Lambda's START, END and REPORT lines): stderr
/// as it comes, unbuffered; nowhere with `--quiet`, which leaves only the responses.
func functionOutput(_ reporting: ReportingOptions) -> @Sendable ([UInt8]) -> Void {
    if reporting.quiet { return { _ in } }
    return { bytes in StandardStreams.writeError(bytes) }
}
