import Logging
import PicolayerKit
import Synchronization

/// Collects what a component logs, each line as the console would show it (`warning: ` and the scope included).
final class LineCollector: Sendable {
    private let lines = Mutex<[String]>([])

    /// A logger at debug level whose lines land here.
    var logger: Logger {
        Logger(label: "test") { _ in CollectingLogHandler(collector: self) }
    }

    var all: [String] { lines.withLock { $0 } }

    func append(_ line: String) { lines.withLock { $0.append(line) } }
}

private struct CollectingLogHandler: LogHandler {
    let collector: LineCollector
    var logLevel: Logger.Level = .debug
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        collector.append(
            ConsoleLogHandler.render(level: event.level, message: event.message.description, metadata: merged))
    }
}
