import FoundationEssentials
import Logging
import Synchronization

/// Shows that a compile is alive without flooding a log: on a terminal its latest line, redrawn in place; in a
/// log (CI) each line at debug (`--verbose`) and, at most every `interval`, one info line with the count so far
/// and the latest line. The compile's log file keeps every line either way.
final class CompileProgress: Sendable {
    static let interval: Duration = .seconds(10)

    private let logger: Logger
    private let label: String
    private let interval: Duration
    private let now: @Sendable () -> ContinuousClock.Instant
    private struct State {
        var lines = 0
        var lastSummary: ContinuousClock.Instant
    }
    private let state: Mutex<State>

    /// `now` is the clock, a parameter so that tests move time without waiting.
    init(
        logger: Logger, label: String, interval: Duration = CompileProgress.interval,
        now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
    ) {
        self.logger = logger
        self.label = label
        self.interval = interval
        self.now = now
        state = Mutex(State(lastSummary: now()))
    }

    /// How many lines the compile has written so far.
    var lines: Int { state.withLock { $0.lines } }

    /// One line of the compile's output, as it comes.
    func line(_ text: String) {
        let time = now()
        let (count, summary) = state.withLock { state -> (Int, Bool) in
            state.lines += 1
            guard time - state.lastSummary >= interval else { return (state.lines, false) }
            state.lastSummary = time
            return (state.lines, true)
        }
        let terminal: Logger.Metadata = [
            ConsoleMetadata.progress: .string(label),
            ConsoleMetadata.only: .string(ConsoleMetadata.Only.terminal.rawValue),
        ]
        let log: Logger.Metadata = [ConsoleMetadata.only: .string(ConsoleMetadata.Only.log.rawValue)]
        logger.info("\(label): \(text)", metadata: terminal)
        logger.debug("\(label) | \(text)", metadata: log)
        if summary { logger.info("\(label): compiling... \(count) lines, last: \(text)", metadata: log) }
    }
}
