import ArgumentParser
import Foundation
import PicolayerKit

extension Picolayer {
    /// `picolayer serve`: the Lambda Invoke API on 127.0.0.1 for aws-cli, boto3 and curl.
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve the Lambda Invoke API on 127.0.0.1 in front of local runtimes.",
            discussion: """
                POST /2015-03-31/functions/NAME/invocations (NAME = --function-name or `function`, as RIE). \
                Use with `aws lambda invoke --endpoint-url http://127.0.0.1:PORT`, boto3 or curl. Ctrl-C stops \
                the runtimes and the server.
                """
        )

        @OptionGroup var function: EmulatorOptions

        @Option(help: "The port to listen on, on 127.0.0.1 (0: any free port).")
        var port: Int = 9000

        @Option(help: "How many runtime instances serve requests at once; others wait in line.")
        var concurrency: Int = 1

        func validate() throws {
            if concurrency < 1 || concurrency > 64 { throw ValidationError("--concurrency must be 1 to 64.") }
            if port < 0 || port > 65535 { throw ValidationError("--port must be 0 to 65535.") }
        }

        func run() async throws {
            let configuration = try function.configuration()
            _ = try LocalLambda.findBootstrap(
                taskRoot: configuration.taskRoot, layerDirectory: configuration.layerDirectory)
            let pool = LocalLambdaPool(
                configuration: configuration, concurrency: concurrency, output: { writeToStandardError($0) })
            let server = try await InvokeAPIServer.start(pool: pool, port: port) { message in
                writeToStandardError(Array(message.utf8))
            }
            let url = "http://127.0.0.1:\(server.port)/2015-03-31/functions/\(configuration.functionName)/invocations"
            writeToStandardError(Array("picolayer serve: listening on \(url) (Ctrl-C stops)\n".utf8))
            let signal = await Interrupt.wait() ?? "cancelled"
            writeToStandardError(Array("picolayer serve: \(signal): stopping the runtimes and the server\n".utf8))
            await server.close()
            await pool.shutdown()
        }
    }
}
