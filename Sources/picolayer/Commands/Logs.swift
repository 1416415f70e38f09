import ArgumentParser
import FoundationEssentials
import Logging
import PicolayerKit

extension Picolayer {
    /// `picolayer logs`: a deployed function's CloudWatch Logs.
    struct Logs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a deployed function's logs from CloudWatch Logs (FilterLogEvents), or follow them.",
            discussion: """
                Reads the log group /aws/lambda/NAME from --since ago, every page, in time order; --follow then \
                asks again every 2 seconds until Ctrl-C. Credentials and region as for deploy (see \
                docs/credentials.md; the call needs logs:FilterLogEvents). See docs/logs.md.
                """)

        @Option(
            name: .customLong("function"),
            help: ArgumentHelp(
                "The function's name or ARN (default: function.name of picolayer.toml).", valueName: "name"))
        var functionName: String?

        @Option(help: ArgumentHelp("How far back to start: 30s, 10m, 2h or 1d.", valueName: "age"))
        var since: String = "10m"

        @Flag(help: "Keep printing new lines as they arrive, until Ctrl-C.")
        var follow = false

        @Option(help: "The function's region.")
        var region: String?

        @Flag(help: "Print each line as one JSON object: timestamp (ms), logStream, eventId, message.")
        var json = false

        @OptionGroup var aws: AWSOptions

        @OptionGroup var reporting: ReportingOptions

        func validate() throws {
            if Self.milliseconds(since) == nil {
                throw ValidationError("--since takes a number and s, m, h or d (e.g. 10m), not '\(since)'.")
            }
        }

        /// `10m` as milliseconds; nil when it is not a number and a unit.
        static func milliseconds(_ text: String) -> Int64? {
            guard let unit = text.last, let number = Int64(text.dropLast()), number >= 0, number < 1_000_000 else {
                return nil
            }
            let scale: Int64? = ["s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000][String(unit)]
            return scale.map { number * $0 }
        }

        func run() async throws {
            let settings = try ProjectSettings.current(environment: aws.context.environment)
            guard let name = settings.string(.functionName, flag: functionName, "--function")?.value else {
                throw ValidationError("Pass --function NAME, or set function.name in picolayer.toml.")
            }
            let resolvedRegion = try aws.region(flag: settings.regionFlag(region))
            let group = CloudWatchLogsClient.logGroup(function: name)
            let start = Int64(Date().timeIntervalSince1970 * 1000) - (Self.milliseconds(since) ?? 0)
            let (follow, json) = (self.follow, self.json)
            let logger = reporting.logger
            try await aws.withServices(region: resolvedRegion, logger: logger) { services in
                let logs = CloudWatchLogsClient(client: try services.client(for: .logs, region: resolvedRegion))
                // Ctrl-C ends a --follow as it ends every AWS command: the transport's signal cleanup stops the
                // process by that signal once its temporary files are gone.
                var printer = LogPrinter(json: json)
                try printer.print(try await logs.events(group: group, startTime: start))
                while follow {
                    try await Task.sleep(for: .seconds(2))
                    try printer.print(try await logs.events(group: group, startTime: printer.resumeTime ?? start))
                }
            }
        }
    }
}

/// Prints each event once: `--follow` asks again from the newest timestamp seen, which repeats its events.
struct LogPrinter {
    let json: Bool
    private(set) var resumeTime: Int64?
    private var printedAtResume: Set<String> = []

    init(json: Bool) { self.json = json }

    mutating func print(_ events: [CloudWatchLogsClient.Event]) throws {
        for event in events {
            if let resumeTime, event.timestamp < resumeTime || printedAtResume.contains(event.eventId) { continue }
            if event.timestamp != resumeTime {
                resumeTime = event.timestamp
                printedAtResume = []
            }
            printedAtResume.insert(event.eventId)
            let message = event.message.hasSuffix("\n") ? String(event.message.dropLast()) : event.message
            if json {
                let document: JSONValue = [
                    "timestamp": .number(Double(event.timestamp)), "logStream": .string(event.logStreamName),
                    "eventId": .string(event.eventId), "message": .string(message),
                ]
                printResult(try JSONOutput.encode(document))
            } else {
                let time = UTCTime(Date(timeIntervalSince1970: Double(event.timestamp) / 1000)).iso8601
                printResult("\(time) \(message)")
            }
        }
    }
}
