import FoundationEssentials

/// What one invocation gave back, with the figures of Lambda's `REPORT` line.
public struct InvocationResult: Sendable {
    public var requestID: String
    /// The response bytes, or the error JSON when ``errorType`` is set.
    public var payload: [UInt8]
    /// The runtime's `Content-Type` for a response, if it sent one.
    public var contentType: String?
    /// nil on success; else the error type (`Runtime.ExitError`, `Sandbox.Timedout`, what the runtime posted).
    public var errorType: String?
    /// What the runtime wrote to stdout and stderr during this invocation (and its init, on a cold start).
    public var log: String
    public var duration: Duration
    /// Set on a cold start: from starting the process to its first `/next`.
    public var initDuration: Duration?
    public var memorySize: Int
    /// Peak resident memory of the runtime process, in MB (rounded up).
    public var maxMemoryUsedMB: Int

    public var isError: Bool { errorType != nil }

    /// `START RequestId: ... Version: $LATEST`
    public var startLine: String { Self.startLine(requestID) }

    static func startLine(_ requestID: String) -> String { "START RequestId: \(requestID) Version: $LATEST" }
    /// `END RequestId: ...`
    public var endLine: String { "END RequestId: \(requestID)" }

    /// Lambda's `REPORT` line; Billed Duration counts the init of a custom runtime too.
    public var reportLine: String {
        let durationMs = Self.milliseconds(duration)
        let initMs = initDuration.map(Self.milliseconds) ?? 0
        var line = "REPORT RequestId: \(requestID)\tDuration: \(TextFormat.fixed(durationMs, places: 2)) ms"
        line += "\tBilled Duration: \(Int((durationMs + initMs).rounded(.up))) ms"
        line += "\tMemory Size: \(memorySize) MB\tMax Memory Used: \(maxMemoryUsedMB) MB"
        if initDuration != nil { line += "\tInit Duration: \(TextFormat.fixed(initMs, places: 2)) ms" }
        return line + "\t"
    }

    /// START, the runtime's output, END and REPORT, as CloudWatch would show this invocation.
    public var logText: String {
        var text = startLine + "\n" + log
        if !log.isEmpty && !log.hasSuffix("\n") { text += "\n" }
        return text + endLine + "\n" + reportLine + "\n"
    }

    /// A duration in milliseconds, as the REPORT line and the benchmark print it.
    public static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}

/// A part of a streamed response, on its way from the runtime to the caller.
public struct ResponseChunk: Sendable {
    public var requestID: String
    public var bytes: [UInt8]
    /// The runtime's `Content-Type` for the stream.
    public var contentType: String?
}
