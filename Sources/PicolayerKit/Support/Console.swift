import FoundationEssentials
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// How much a command says on stderr. The same for every command: `--quiet` leaves warnings and errors,
/// the default adds progress, `--verbose` adds every request attempt and which credential source answered.
public enum Verbosity: Sendable, Equatable {
    case quiet, normal, verbose

    public var logLevel: Logger.Level {
        switch self {
        case .quiet: return .warning
        case .normal: return .info
        case .verbose: return .debug
        }
    }
}

/// Metadata keys the console understands.
public enum ConsoleMetadata {
    /// Shown as `[value] ` before the message: the region of a multi-region publish, `credentials`.
    public static let scope = "scope"
    /// Marks a line that a later one of the same progress replaces (redrawn in place on a terminal).
    public static let progress = "progress"
    /// Where a line is shown: `terminal` (only when stderr is a terminal, e.g. a compile's latest line redrawn in
    /// place) or `log` (only when it is not, e.g. the compile's periodic summary). Absent: both.
    public static let only = "only"

    /// The values of `only`.
    public enum Only: String, Sendable {
        case terminal, log
    }
}

extension Logger {
    /// A logger that says nothing: the default of every kit component, so tests and library users opt in.
    public static let silent = Logger(label: "picolayer", factory: { _ in SwiftLogNoOpLogHandler() })

    /// This logger with `[scope] ` before each of its lines.
    public func scoped(_ scope: String) -> Logger {
        var copy = self
        copy[metadataKey: ConsoleMetadata.scope] = .string(scope)
        return copy
    }
}

/// picolayer's one way to write progress and diagnostics: each message is one line on stderr, written at once with
/// write(2) (no buffer, so a CI log keeps the order of stdout and stderr). With `CI` set, each line starts with a UTC
/// timestamp; on a terminal, progress lines are redrawn in place. Results never come here: they go to stdout.
public struct ConsoleLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let style: Style
    let sink: ConsoleSink

    public struct Style: Sendable {
        /// `2026-12-03T07:31:12Z ` before each line (CI logs).
        public var timestamps: Bool
        /// Progress redrawn in place (stderr is a terminal).
        public var interactive: Bool
        /// `warning:` in yellow and `error:` in red (stderr is a terminal that wants colour).
        public var colour: Bool

        public init(timestamps: Bool, interactive: Bool, colour: Bool = false) {
            self.timestamps = timestamps
            self.interactive = interactive
            self.colour = colour
        }

        /// Timestamps when `CI` is set to anything but `false` or `0`; in place when stderr is a terminal; colour
        /// when stderr is a terminal, `NO_COLOR` is unset or empty (https://no-color.org) and `TERM` is not `dumb`.
        public static func detect(environment: [String: String], terminal: Bool = isatty(STDERR_FILENO) == 1)
            -> Style
        {
            let ci = environment["CI"].map { !["", "0", "false"].contains($0.lowercased()) } ?? false
            let colour = terminal && (environment["NO_COLOR"] ?? "").isEmpty && environment["TERM"] != "dumb"
            return Style(timestamps: ci, interactive: !ci && terminal, colour: colour)
        }
    }

    public init(verbosity: Verbosity, style: Style, sink: ConsoleSink = .standardError) {
        logLevel = verbosity.logLevel
        self.style = style
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        if let only = merged[ConsoleMetadata.only] {
            let wanted = style.interactive ? ConsoleMetadata.Only.terminal : .log
            guard only == .string(wanted.rawValue) else { return }
        }
        let line = Self.render(
            level: event.level, message: event.message.description, metadata: merged, colour: style.colour)
        let stamp = style.timestamps ? UTCTime(Date()).iso8601 + " " : ""
        sink.write(stamp + line, replaceable: style.interactive && merged[ConsoleMetadata.progress] != nil)
    }

    /// The text of one line as a person reads it: `warning: ` or `error: ` before those levels (with `colour`,
    /// that word and its colon in yellow or red, nothing else), the scope in brackets.
    public static func render(
        level: Logger.Level, message: String, metadata: Logger.Metadata, colour: Bool = false
    ) -> String {
        let scope = metadata[ConsoleMetadata.scope].map { "[\($0)] " } ?? ""
        switch level {
        case .warning: return Self.painted("warning:", Colour.yellow, colour) + " " + scope + message
        case .error, .critical: return Self.painted("error:", Colour.red, colour) + " " + scope + message
        default: return scope + message
        }
    }

    /// ANSI SGR sequences, the only colours picolayer writes.
    public enum Colour {
        public static let yellow = "\u{1b}[33m"
        public static let red = "\u{1b}[31m"
        public static let reset = "\u{1b}[0m"
    }

    static func painted(_ text: String, _ colour: String, _ enabled: Bool) -> String {
        enabled ? colour + text + Colour.reset : text
    }

    /// The process's logger: stderr, the style detected from the environment and the terminal.
    public static func logger(verbosity: Verbosity, environment: [String: String]) -> Logger {
        let style = Style.detect(environment: environment)
        return Logger(label: "picolayer") { _ in ConsoleLogHandler(verbosity: verbosity, style: style) }
    }
}

/// Where console lines go; one per process, so a redrawn progress line is cleared before the next line.
public final class ConsoleSink: Sendable {
    private let descriptor: Int32
    private let showingProgress = Mutex(false)

    public init(descriptor: Int32) { self.descriptor = descriptor }

    public static let standardError = ConsoleSink(descriptor: STDERR_FILENO)

    /// Writes `line`; a `replaceable` one stays without its newline, to be overwritten by whatever comes next. A
    /// replaceable line is cut to the terminal's width: a wrapped one could not be cleared (a compiler's command).
    func write(_ line: String, replaceable: Bool) {
        showingProgress.withLock { showing in
            var text = showing ? "\r\u{1b}[K" : ""
            text += replaceable ? Self.fitted(line, columns: columns) : line + "\n"
            showing = replaceable
            StandardStreams.write(descriptor, text)
        }
    }

    /// The terminal's width (TIOCGWINSZ), 80 when it does not say.
    var columns: Int {
        var size = winsize()
        guard ioctl(descriptor, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
        return Int(size.ws_col)
    }

    /// `line` cut to fewer than `columns` characters (the cursor stays on the line), ending in `...` when cut.
    static func fitted(_ line: String, columns: Int) -> String {
        let room = max(columns - 1, 4)
        guard line.count > room else { return line }
        return String(line.prefix(room - 3)) + "..."
    }

    /// Writes one finished line.
    public func writeLine(_ line: String) { write(line, replaceable: false) }

    /// Ends a progress line left on the terminal, so that stdout's next line starts on its own line.
    public func finishLine() {
        showingProgress.withLock { showing in
            if showing { StandardStreams.write(descriptor, "\n") }
            showing = false
        }
    }
}
