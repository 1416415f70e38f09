import ArgumentParser
import FoundationEssentials
import Logging
import PicolayerKit

#if canImport(Glibc)
    import Glibc
#endif

extension HTTPPayloadFormat: ExpressibleByArgument {}

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

        @Flag(help: "Print the start line on stdout as one JSON object: url, port, functionName (docs/json.md).")
        var json = false

        @Option(
            help: ArgumentHelp(
                "Also serve plain HTTP on 127.0.0.1:PORT as a function URL would: each request an event of payload "
                    + "format 2.0, the answer back as HTTP (0: any free port; docs/http.md).", valueName: "port"))
        var http: Int?

        @Option(
            name: .customLong("http-payload"),
            help: ArgumentHelp(
                "The front door --http plays: 2.0, a function URL (and API Gateway's HTTP API); 1.0, API Gateway's "
                    + "REST API with a Lambda proxy integration.", valueName: "format"))
        var httpPayload: HTTPPayloadFormat = .v2

        @Flag(help: "After a change to the code or the layer, the next invocation starts a fresh runtime.")
        var watch = false

        @OptionGroup var reporting: ReportingOptions

        @Option(help: "The port to listen on, on 127.0.0.1 (0: any free port).")
        var port: Int = 9000

        @Option(help: "How many runtime instances serve requests at once; others wait in line.")
        var concurrency: Int = 1

        @Option(help: "Connections open at once; more are closed when accepted.")
        var maxConnections: Int = ServeLimits().maxConnections

        @Option(help: "Seconds a connection may go without a complete request head (idle or slow headers).")
        var idleTimeout: Double = 30

        @Option(help: "Seconds the body of a request may take after its head.")
        var requestTimeout: Double = 30

        @Option(help: "Event invocations queued or running at once; more get 429 TooManyRequestsException.")
        var maxQueuedEvents: Int = ServeLimits().maxQueuedEvents

        func validate() throws {
            if concurrency < 1 || concurrency > 64 { throw ValidationError("--concurrency must be 1 to 64.") }
            if port < 0 || port > 65535 { throw ValidationError("--port must be 0 to 65535.") }
            if let http, http < 0 || http > 65535 { throw ValidationError("--http must be 0 to 65535.") }
            if maxConnections < 1 { throw ValidationError("--max-connections must be at least 1.") }
            if maxQueuedEvents < 0 { throw ValidationError("--max-queued-events must be 0 or more.") }
            for (name, value) in [("--idle-timeout", idleTimeout), ("--request-timeout", requestTimeout)]
            where !(value > 0 && value <= 3600) {
                throw ValidationError("\(name) must be more than 0 and at most 3600 seconds, not \(value).")
            }
        }

        private var limits: ServeLimits {
            ServeLimits(
                maxConnections: maxConnections, idleTimeout: .milliseconds(Int64((idleTimeout * 1000).rounded())),
                requestTimeout: .milliseconds(Int64((requestTimeout * 1000).rounded())),
                maxQueuedEvents: maxQueuedEvents)
        }

        func run() async throws {
            var configuration = try function.configuration(logger: reporting.logger)
            configuration.watch = watch
            _ = try LocalLambda.findBootstrap(
                taskRoot: configuration.taskRoot, layerDirectory: configuration.layerDirectory)
            let logger = reporting.logger
            let pool = LocalLambdaPool(
                configuration: configuration, concurrency: concurrency, output: functionOutput(reporting))
            let server = try await InvokeAPIServer.start(pool: pool, port: port, limits: limits, logger: logger)
            let url = "http://127.0.0.1:\(server.port)/2015-03-31/functions/\(configuration.functionName)/invocations"
            let front = try await http.asyncMap { port in
                try await FunctionURLServer.start(
                    pool: pool, port: port, format: httpPayload, limits: limits, logger: logger)
            }
            let httpURL = front.map { "http://127.0.0.1:\($0.port)/" }
            if json {
                var start: [String: JSONValue] = [
                    "url": .string(url), "port": .number(Double(server.port)),
                    "functionName": .string(configuration.functionName),
                ]
                if let httpURL { start["httpUrl"] = .string(httpURL) }
                printResult(try JSONOutput.encode(JSONValue.object(start)))
            }
            logger.info("picolayer serve: listening on \(url) (Ctrl-C stops)")
            if let httpURL { logger.info("picolayer serve: function URL on \(httpURL)") }
            let signal = await Interrupt.wait() ?? "cancelled"
            logger.info("picolayer serve: \(signal): stopping the runtimes and the server")
            await front?.close()
            await server.close()
            await pool.shutdown()
        }
    }
}

extension Optional {
    /// `map` for an async transform.
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
