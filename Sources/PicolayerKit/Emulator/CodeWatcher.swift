import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// `--watch`: tells whether a file of the function's code or its layer changed since the last `snapshot()`.
///
/// It compares each file's path, size, modification time and inode, walked when asked (before an invocation),
/// so a burst of saves between two invocations counts once, nothing runs between invocations, and an
/// invocation in flight is never touched. The walk is bounded: past `maxEntries` the rest is not looked at.
public struct CodeWatcher: Sendable {
    public static let maxEntries = 20_000
    public var folders: [String]
    private var baseline: Int?

    public init(folders: [String]) {
        self.folders = folders
    }

    /// Remembers the code as it is now.
    public mutating func snapshot() { baseline = Self.stamp(folders) }

    /// Whether the code differs from the last snapshot (false before the first).
    public func changed() -> Bool {
        guard let baseline else { return false }
        return Self.stamp(folders) != baseline
    }

    /// A hash of every entry's path, size, mtime and inode below `folders` (links not followed).
    static func stamp(_ folders: [String]) -> Int {
        var hasher = Hasher()
        var seen = 0
        var pending = folders
        while let folder = pending.popLast(), seen < maxEntries {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { continue }
            for name in names.sorted() where seen < maxEntries {
                seen += 1
                let path = folder + "/" + name
                var info = stat()
                guard lstat(path, &info) == 0 else { continue }
                hasher.combine(path)
                hasher.combine(Int64(info.st_size))
                hasher.combine(UInt64(info.st_ino))
                #if canImport(Darwin)
                    hasher.combine(info.st_mtimespec.tv_sec)
                    hasher.combine(info.st_mtimespec.tv_nsec)
                #else
                    hasher.combine(info.st_mtim.tv_sec)
                    hasher.combine(info.st_mtim.tv_nsec)
                #endif
                if info.st_mode & S_IFMT == S_IFDIR, name != ".git" { pending.append(path) }
            }
        }
        return hasher.finalize()
    }
}
