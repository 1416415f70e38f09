import FoundationEssentials
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The parsed `~/.aws/config` and `~/.aws/credentials` of this process, keyed by path and checked against the
/// file's size and modification time on every use. A chain of N `source_profile` hops reads each file once
/// instead of 4 N times, and a file's ignored lines are reported once, not once per read.
final class AWSConfigFileCache: Sendable {
    static let shared = AWSConfigFileCache()

    private struct Stamp: Equatable {
        var size: Int64
        var seconds: Int
        var nanoseconds: Int
    }

    private let files = Mutex<[String: (stamp: Stamp, file: AWSConfigFile)]>([:])
    /// Where warnings go; the console (stderr), except in tests. The cache is shared by the whole process, so it
    /// writes to the console's one sink rather than to a command's logger.
    let warn: @Sendable (String) -> Void

    init(warn: @escaping @Sendable (String) -> Void = { ConsoleSink.standardError.writeLine($0) }) {
        self.warn = warn
    }

    func file(at path: String) throws -> AWSConfigFile {
        var info = stat()
        guard stat(path, &info) == 0 else { return try AWSConfigFile(reading: path) }
        #if canImport(Darwin)
            let modified = info.st_mtimespec
        #else
            let modified = info.st_mtim
        #endif
        let stamp = Stamp(size: Int64(info.st_size), seconds: Int(modified.tv_sec), nanoseconds: Int(modified.tv_nsec))
        if let cached = files.withLock({ $0[path] }), cached.stamp == stamp { return cached.file }
        let parsed = try AWSConfigFile(reading: path)
        files.withLock { $0[path] = (stamp, parsed) }
        for ignored in parsed.ignoredLines {
            warn(
                "picolayer: warning: \(path):\(ignored.line): \(ignored.reason); the line is ignored. Fix or remove it."
            )
        }
        return parsed
    }
}
