import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// A system call on a file that failed, naming the file.
public struct FileError: LocalizedError, Equatable, Sendable {
    public var path: String
    public var operation: String
    public var code: Int32

    public var errorDescription: String? {
        "cannot \(operation) \(path): \(String(cString: strerror(code))) (errno \(code))."
    }
}

/// A file opened with open(2), read and written with plain system calls, closed when the value goes away.
/// picolayer's own small replacement for Foundation's FileHandle, which is not in FoundationEssentials.
public final class OpenFile {
    public let descriptor: Int32
    public let path: String
    private let owned: Bool
    private var closed = false

    init(descriptor: Int32, path: String, owned: Bool) {
        self.descriptor = descriptor
        self.path = path
        self.owned = owned
    }

    deinit { close() }

    /// Opens `path` for reading.
    public static func reading(_ path: String) throws(FileError) -> OpenFile {
        try open(path, flags: O_RDONLY, operation: "open")
    }

    /// Opens `path` for writing, creating it (mode 0644 before the umask) when it is missing; `append` keeps what
    /// is there and writes at its end, otherwise the file is emptied first.
    public static func writing(_ path: String, append: Bool = false) throws(FileError) -> OpenFile {
        try open(path, flags: O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC), operation: "write")
    }

    private static func open(_ path: String, flags: Int32, operation: String) throws(FileError) -> OpenFile {
        var descriptor: Int32
        repeat { descriptor = Glibc.open(path, flags | O_CLOEXEC, 0o644) } while descriptor < 0 && errno == EINTR
        guard descriptor >= 0 else { throw FileError(path: path, operation: operation, code: errno) }
        return OpenFile(descriptor: descriptor, path: path, owned: true)
    }

    /// picolayer's own standard input (never closed by this value).
    public static func standardInput() -> OpenFile { OpenFile(descriptor: 0, path: "standard input", owned: false) }

    /// Up to `count` bytes; fewer only at the end of the file, none once it is reached.
    public func read(upTo count: Int) throws(FileError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = bytes.withUnsafeMutableBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return Glibc.read(descriptor, base + filled, count - filled)
            }
            if got < 0 && errno == EINTR { continue }
            guard got >= 0 else { throw FileError(path: path, operation: "read", code: errno) }
            if got == 0 { break }
            filled += got
        }
        bytes.removeLast(count - filled)
        return bytes
    }

    /// Everything up to the end of the file, in chunks of `chunkSize`.
    public func readToEnd(chunkSize: Int = 1 << 16) throws(FileError) -> [UInt8] {
        var all: [UInt8] = []
        while true {
            let chunk = try read(upTo: chunkSize)
            if chunk.isEmpty { return all }
            all += chunk
        }
    }

    /// Writes every byte, however many calls it takes.
    public func write(_ bytes: some Collection<UInt8>) throws(FileError) {
        let array = Array(bytes)
        var written = 0
        while written < array.count {
            let put = array.withUnsafeBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return Glibc.write(descriptor, base + written, array.count - written)
            }
            if put < 0 && errno == EINTR { continue }
            guard put > 0 else { throw FileError(path: path, operation: "write", code: errno) }
            written += put
        }
    }

    public func seek(to offset: Int64) throws(FileError) {
        guard lseek(descriptor, off_t(offset), SEEK_SET) >= 0 else {
            throw FileError(path: path, operation: "seek in", code: errno)
        }
    }

    /// Closes the descriptor (once; standard streams stay open).
    public func close() {
        guard owned, !closed else { return }
        closed = true
        _ = Glibc.close(descriptor)
    }
}

/// Unbuffered writes to picolayer's own standard output and standard error: each call is one line (or chunk) in
/// order, also when a pipe (CI's log) is on the other end.
public enum StandardStreams {
    public static func writeOutput(_ bytes: some Collection<UInt8>) { writeAll(1, Array(bytes)) }

    public static func writeOutput(_ text: String) { writeAll(1, Array(text.utf8)) }

    public static func writeError(_ text: String) { writeAll(2, Array(text.utf8)) }

    public static func writeError(_ bytes: some Collection<UInt8>) { writeAll(2, Array(bytes)) }

    static func write(_ descriptor: Int32, _ text: String) { writeAll(descriptor, Array(text.utf8)) }

    private static func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) {
        var written = 0
        while written < bytes.count {
            let put = bytes.withUnsafeBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return Glibc.write(descriptor, base + written, bytes.count - written)
            }
            if put < 0 && errno == EINTR { continue }
            if put <= 0 { return }
            written += put
        }
    }
}
