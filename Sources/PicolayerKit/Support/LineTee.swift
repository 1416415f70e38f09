import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// Copies what a child writes into a pipe to a log file, whole, and hands each line to a closure as it comes: a
/// long build's log stays complete while the console shows that the build is alive.
enum LineTee {
    /// The longest line handed on; the log keeps the rest (a minified file in a compiler's message).
    static let maxLineBytes = 4096

    /// Reads `descriptor` to its end on a thread of its own, writing every byte to `log` (an open descriptor) and
    /// calling `onLine` with each line, without its newline (and only what follows a last carriage return, the
    /// way a terminal would show it); a last line without a newline is handed on too. Closes both descriptors.
    /// Answers the first failed write to the log (named `logPath`); reading goes on to the end regardless, so that
    /// the child never blocks on a full pipe.
    static func copy(
        from descriptor: Int32, to log: Int32, logPath: String, onLine: @escaping @Sendable (String) -> Void
    ) async -> FileError? {
        await withCheckedContinuation { (continuation: CheckedContinuation<FileError?, Never>) in
            Spawn.detachThread {
                let failure = drain(descriptor, log: log, logPath: logPath, onLine: onLine)
                close(descriptor)
                close(log)
                continuation.resume(returning: failure)
            }
        }
    }

    private static func drain(_ descriptor: Int32, log: Int32, logPath: String, onLine: (String) -> Void)
        -> FileError?
    {
        var failure: FileError?
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            let chunk = buffer[0..<count]
            if failure == nil { failure = writeAll(chunk, to: log, path: logPath) }
            var start = chunk.startIndex
            while let newline = chunk[start...].firstIndex(of: UInt8(ascii: "\n")) {
                pending += chunk[start..<newline]
                onLine(text(of: pending))
                pending.removeAll(keepingCapacity: true)
                start = newline + 1
            }
            pending += chunk[start...]
        }
        if !pending.isEmpty { onLine(text(of: pending)) }
        return failure
    }

    private static func writeAll(_ bytes: ArraySlice<UInt8>, to descriptor: Int32, path: String) -> FileError? {
        var offset = bytes.startIndex
        while offset < bytes.endIndex {
            let written = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return FileError(path: path, operation: "append to", code: errno) }
            offset += written
        }
        return nil
    }

    /// What a terminal would show of `line`: the part after its last carriage return, at most `maxLineBytes`.
    static func text(of line: [UInt8]) -> String {
        var bytes = line[...]
        if bytes.last == UInt8(ascii: "\r") { bytes = bytes.dropLast() }
        if let carriageReturn = bytes.lastIndex(of: UInt8(ascii: "\r")) { bytes = bytes[(carriageReturn + 1)...] }
        return String(decoding: bytes.prefix(maxLineBytes), as: UTF8.self)
    }
}
