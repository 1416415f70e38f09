import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// Copies what a child writes into a pipe to a log file, whole, and hands each line to a closure as it comes: a
/// long build's log stays complete while the console shows that the build is alive.
enum LineTee {
    /// The longest line handed on; the log keeps the rest (a minified file in a compiler's message).
    static let maxLineBytes = 4096

    /// Reads `descriptor` to its end (then closes it) on a thread of its own, appending every byte to `log` and
    /// calling `onLine` with each line, without its newline (and only what follows a last carriage return, the
    /// way a terminal would show it); a last line without a newline is handed on too.
    static func copy(
        from descriptor: Int32, appendingTo log: URL, onLine: @escaping @Sendable (String) -> Void
    ) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Spawn.detachThread {
                drain(descriptor, log: log, onLine: onLine)
                close(descriptor)
                continuation.resume()
            }
        }
    }

    private static func drain(_ descriptor: Int32, log: URL, onLine: (String) -> Void) {
        let file = try? OpenFile.writing(log.path, append: true)
        defer { file?.close() }
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            let chunk = buffer[0..<count]
            try? file?.write(chunk)
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
    }

    /// What a terminal would show of `line`: the part after its last carriage return, at most `maxLineBytes`.
    static func text(of line: [UInt8]) -> String {
        var bytes = line[...]
        if bytes.last == UInt8(ascii: "\r") { bytes = bytes.dropLast() }
        if let carriageReturn = bytes.lastIndex(of: UInt8(ascii: "\r")) { bytes = bytes[(carriageReturn + 1)...] }
        return String(decoding: bytes.prefix(maxLineBytes), as: UTF8.self)
    }
}
