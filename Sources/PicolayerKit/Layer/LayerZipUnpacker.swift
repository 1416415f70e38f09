import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Unpacks a layer zip for `verify` into a private scratch folder, keeping modes and symbolic links as Lambda
/// would see them under /opt.
///
/// The zip may be hostile (docs/security.md): every name is checked before anything is written (no absolute
/// paths, no `..`, no entry twice, nothing beneath a link or a file), the declared total must fit Lambda's
/// unzipped limit, each entry is streamed and counted as it inflates, files are created with `O_EXCL |
/// O_NOFOLLOW`, and links are made last, so extraction never writes through a link.
enum LayerZipUnpacker {
    /// The most a layer may unpack to: Lambda's limit for a function and all its layers.
    static let unzippedLimit = LambdaLimits.unzippedBytes
    /// The longest link target accepted.
    static let maxLinkTarget: UInt64 = 4096

    static func withUnpacked<T: Sendable>(
        _ zip: URL, _ body: (URL, Int64) async throws -> T
    ) async throws -> T {
        let reader = try ZipReader(contentsOf: zip)
        let size = FileStatus.size(zip.path) ?? 0
        let plan = try UnpackPlan(reader: reader)
        guard reader.declaredUncompressedTotal <= unzippedLimit else {
            throw ZipError.overLimit(
                path: zip.path, entry: nil,
                what: "its entries declare \(reader.declaredUncompressedTotal) bytes uncompressed in total",
                limit: unzippedLimit)
        }
        let root = try makeScratchFolder()
        defer { ScratchFolders.remove(root) }
        try extract(plan, from: reader, into: root.path)
        return try await body(root, size)
    }

    /// A fresh folder only this user can enter (mode 0700), under the temporary folder; registered with
    /// ``ScratchFolders`` so that an interrupt removes it too.
    static func makeScratchFolder(prefix: String = "picolayer-verify") throws -> URL {
        let template = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-XXXXXX").path
        var bytes = Array(template.utf8CString)
        guard let made = mkdtemp(&bytes) else {
            throw ZipError.outputNotWritable(path: template, reason: String(cString: strerror(errno)))
        }
        let url = URL(fileURLWithPath: String(cString: made))
        ScratchFolders.register(url)
        return url
    }

    private static func extract(_ plan: UnpackPlan, from reader: ZipReader, into root: String) throws {
        var written: UInt64 = 0
        for entry in plan.directories {
            try makeFolders(plan.name(of: entry).split(separator: "/").map(String.init), in: root)
        }
        for entry in plan.files {
            let name = plan.name(of: entry)
            let parts = name.split(separator: "/").map(String.init)
            try makeFolders(Array(parts.dropLast()), in: root)
            written = try writeFile(entry, named: name, at: root + "/" + name, from: reader, writtenSoFar: written)
        }
        for entry in plan.links {
            let name = plan.name(of: entry)
            let target = try plan.linkTarget(of: entry, from: reader)
            try makeFolders(Array(name.split(separator: "/").map(String.init).dropLast()), in: root)
            guard symlink(target, root + "/" + name) == 0 else {
                throw ZipError.writeFailed(path: root + "/" + name, reason: String(cString: strerror(errno)))
            }
        }
    }

    /// Creates each folder of `parts` below `root` that is missing; an existing one must be a real folder.
    private static func makeFolders(_ parts: [String], in root: String) throws {
        var path = root
        for part in parts {
            path += "/" + part
            if mkdir(path, 0o755) == 0 { continue }
            let failure = errno
            var info = stat()
            guard failure == EEXIST, lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
                throw ZipError.writeFailed(path: path, reason: String(cString: strerror(failure)))
            }
        }
    }

    /// Streams one entry into a new file (never an existing one, never through a link); returns the running total.
    private static func writeFile(
        _ entry: ZipReader.Entry, named name: String, at path: String, from reader: ZipReader,
        writtenSoFar: UInt64
    ) throws -> UInt64 {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw ZipError.writeFailed(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        var total = writtenSoFar
        try reader.stream(entry, limit: unzippedLimit - min(unzippedLimit, writtenSoFar)) {
            (chunk: [UInt8]) throws(ZipError) -> Void in
            total += UInt64(chunk.count)
            guard total <= unzippedLimit else {
                throw ZipError.overLimit(
                    path: reader.path, entry: name, what: "the entries unpack to more than their declared total",
                    limit: unzippedLimit)
            }
            try writeAll(chunk, to: descriptor, path: path)
        }
        // Permission bits only: set-user-ID, set-group-ID and sticky bits are dropped.
        guard fchmod(descriptor, mode_t(entry.mode & 0o777)) == 0 else {
            throw ZipError.writeFailed(path: path, reason: String(cString: strerror(errno)))
        }
        return total
    }

    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32, path: String) throws(ZipError) {
        var done = 0
        while done < bytes.count {
            let count = bytes.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return write(descriptor, base + done, raw.count - done)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw ZipError.writeFailed(path: path, reason: String(cString: strerror(errno)))
            }
            done += count
        }
    }
}
