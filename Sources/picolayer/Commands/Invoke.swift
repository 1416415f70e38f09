import ArgumentParser
import FoundationEssentials
import Logging
import PicolayerKit

#if canImport(Glibc)
    import Glibc
#endif

extension Picolayer {
    /// `picolayer invoke`: runs events through one warm local runtime, as Lambda would.
    struct Invoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run events through the function locally, on one warm runtime, as Lambda would.",
            discussion: """
                The response goes to stdout; the runtime's output and Lambda's START, END and REPORT lines go to \
                stderr. A function error prints the error JSON and exits with status 1.
                """
        )

        @OptionGroup var function: EmulatorOptions

        @Option(help: "A file holding the event, or - for stdin (default: {}).")
        var event: String?

        @Option(help: "A file of events, one JSON document a line; the responses are printed one a line.")
        var events: String?

        @Option(help: .hidden)
        var benchmarkCount: Int?

        @Flag(
            help: "Print each result as one JSON object a line: response, error type and REPORT figures (docs/json.md)."
        )
        var json = false

        @Flag(help: "Run the events again whenever the code or the layer changes, on a fresh runtime, until Ctrl-C.")
        var watch = false

        @Flag(help: "Invoke the deployed function through Lambda's Invoke API instead (prints the log tail too).")
        var remote = false

        @Option(
            name: .customLong("function"),
            help: ArgumentHelp("With --remote: the function's name or ARN (default: function.name).", valueName: "name")
        )
        var remoteFunction: String?

        @OptionGroup(title: "With --remote") var aws: AWSOptions

        @OptionGroup var reporting: ReportingOptions

        func validate() throws {
            if event != nil && events != nil { throw ValidationError("Pass --event or --events, not both.") }
        }

        func run() async throws {
            if remote { return try await invokeRemote(try readEvents()) }
            var configuration = try function.configuration(logger: reporting.logger)
            configuration.watch = watch
            let payloads = try readEvents()
            if let benchmarkCount, let event = payloads.first {
                // `make bench`: no log echo, figures on stdout.
                let figures = try await LocalLambda.with(configuration) { lambda in
                    try await EmulatorBenchmark.run(lambda, event: event, count: benchmarkCount)
                }
                printResult(figures.summary)
                return
            }
            let lambda = LocalLambda(configuration: configuration, output: functionOutput(reporting))
            let oneALine = events != nil || watch
            let (watch, logger) = (self.watch, reporting.logger)
            let folders = [configuration.taskRoot] + (configuration.layerDirectory.map { [$0] } ?? [])
            let (outcome, signal) = await Interrupt.guarding {
                var watcher = CodeWatcher(folders: folders)
                var failed = false
                repeat {
                    watcher.snapshot()
                    failed = false
                    for payload in payloads {
                        let result = try await lambda.invoke(payload)
                        if json {
                            printResult(try result.json())
                        } else {
                            StandardStreams.writeOutput(result.payload)
                            if oneALine { StandardStreams.writeOutput("\n") }
                        }
                        failed = failed || result.isError
                    }
                    guard watch else { break }
                    logger.info(
                        "picolayer invoke: watching \(watcher.folders.joined(separator: " and ")) (Ctrl-C stops)")
                    while !watcher.changed() { try await Task.sleep(for: .milliseconds(200)) }
                    // A burst of saves settles before the events run again.
                    try await Task.sleep(for: .milliseconds(100))
                } while true
                return failed
            }
            await lambda.shutdown()
            if let signal {
                reporting.logger.warning("picolayer invoke: \(signal): stopped the runtime")
                throw ExitCode(130)
            }
            if try outcome.get() { throw ExitCode(1) }
        }

        /// The events, each checked as Lambda's Invoke API checks a payload (JSON, so valid UTF-8): an event
        /// Lambda would refuse is an error here too, never passed on changed.
        private func readEvents() throws -> [[UInt8]] {
            if let events {
                var payloads: [[UInt8]] = []
                for (index, line) in try read(events).split(separator: UInt8(ascii: "\n")).enumerated() {
                    let trimmed = Self.trimmed(line)
                    if trimmed.isEmpty { continue }
                    try check(trimmed, source: "\(events) (event \(index + 1))")
                    payloads.append(trimmed)
                }
                return payloads
            }
            guard let event else { return [Array("{}".utf8)] }
            let payload = try read(event)
            try check(payload, source: event == "-" ? "stdin" : event)
            return [payload]
        }

        /// A line without the blanks around it (space, tab, and the CR of a CRLF line end).
        private static func trimmed(_ line: ArraySlice<UInt8>) -> [UInt8] {
            let blank: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
            guard let first = line.firstIndex(where: { !blank($0) }), let last = line.lastIndex(where: { !blank($0) })
            else { return [] }
            return Array(line[first...last])
        }

        private func check(_ payload: [UInt8], source: String) throws {
            if let problem = EventPayload.problem(payload) {
                throw EmulatorError.invalidEvent(source: source, reason: problem)
            }
        }

        private func read(_ path: String) throws -> [UInt8] {
            if path == "-" { return try OpenFile.standardInput().readToEnd() }
            do {
                return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            } catch {
                throw EmulatorError.unreadableFile(path: path, reason: ErrorText.describe(error))
            }
        }
    }
}
