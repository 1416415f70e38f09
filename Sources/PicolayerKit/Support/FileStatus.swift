#if canImport(Glibc)
    import Glibc
#endif

/// What `stat(2)` says of a path (following symlinks): FoundationEssentials' attribute dictionaries hold loosely
/// typed values, so picolayer reads the two fields it needs directly.
enum FileStatus {
    /// The size in bytes, or nil when there is nothing at `path`.
    static func size(_ path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int64(info.st_size)
    }

    /// The permission bits (`0o755`), or nil when there is nothing at `path`.
    static func permissions(_ path: String) -> Int? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int(info.st_mode & 0o7777)
    }
}
