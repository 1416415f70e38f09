import ArgumentParser
import FoundationEssentials
import PicolayerKit

#if canImport(Glibc)
    import Glibc
#endif

/// The function settings `invoke` and `serve` share: what Lambda would hold in the function's configuration.
struct EmulatorOptions: ParsableArguments {
    @Option(help: "The handler, passed to the runtime as _HANDLER (e.g. main.handler).")
    var handler: String

    @Option(help: "The function's code folder (Lambda's /var/task).")
    var taskRoot: String = "."

    @Option(help: "The runtime layer folder (Lambda's /opt): bootstrap, bin/, lib/.")
    var layer: String = "build/layer"

    @Option(help: "Function timeout in seconds (1-900).")
    var timeout: Double = 3

    @Option(help: "Memory size in MB (128-10240), shown in REPORT lines and passed to the runtime.")
    var memory: Int = 128

    @Option(help: "The function name, in the ARN and AWS_LAMBDA_FUNCTION_NAME.")
    var functionName: String = "picolayer-function"

    @Option(help: "The region, in the ARN and AWS_REGION.")
    var region: String = "us-east-1"

    @Option(name: .customLong("env"), help: "A variable for the function, KEY=VALUE (repeatable).")
    var variables: [String] = []

    @Option(help: "A file of KEY=VALUE lines (# comments) for the function.")
    var envFile: String?

    func validate() throws {
        // Checked here, at parse time, with the kit's one message for each.
        let seconds = LambdaLimits.timeoutSeconds
        if !(Double(seconds.lowerBound)...Double(seconds.upperBound)).contains(timeout) {
            throw ValidationError(LambdaLimits.timeoutOutOfRange("\(timeout) s"))
        }
        if !LambdaLimits.memoryMegabytes.contains(memory) {
            throw ValidationError(LambdaLimits.memoryOutOfRange(memory))
        }
        _ = try environmentAssignments(variables)
    }

    /// The configuration value for the library; reads --env-file.
    func configuration() throws -> FunctionConfiguration {
        var environment: [String: String] = [:]
        if let envFile {
            let text: String
            do {
                text = try String(contentsOfFile: envFile, encoding: .utf8)
            } catch {
                throw EmulatorError.unreadableFile(path: envFile, reason: ErrorText.describe(error))
            }
            environment = try EnvironmentFile.parse(text, file: envFile)
        }
        environment.merge(try environmentAssignments(variables)) { _, fromFlag in fromFlag }
        let configuration = FunctionConfiguration(
            handler: handler, taskRoot: taskRoot, layerDirectory: layer, functionName: functionName, region: region,
            memorySize: memory, timeout: .milliseconds(Int64((timeout * 1000).rounded())),
            userEnvironment: environment)
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
