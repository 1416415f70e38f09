import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A temporary file beside the target that becomes the target only when everything was written.
///
/// Writes are buffered; bytes already written can be patched (local headers get their sizes and CRC after the
/// data). `commit()` flushes, syncs and renames; `discard()` removes the file and leaves any existing target alone.
final class OutputFile {
    let targetPath: String
    let temporaryPath: String
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private var bufferStart: UInt64 = 0
    private static let bufferLimit = 1 << 20

    /// Bytes written so far: the offset the next write lands at.
    private(set) var position: UInt64 = 0

    init(target: String) throws(ZipError) {
        targetPath = target
        let folder = PathText.parent(target)
        let folderPath = folder.isEmpty ? "." : folder
        var info = stat()
        guard stat(folderPath, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw ZipError.outputFolderMissing(folderPath)
        }
        let name = PathText.lastComponent(target)
        // Temporaries of killed runs (their PID is gone) are removed first; live ones are left alone.
        TemporaryPaths.shared.sweepStale(in: folderPath) { entry in
            entry.hasPrefix("." + name + ".tmp-") ? ScratchNames.zipTemporaryPID(entry) : nil
        }
        var opened: Int32 = -1
        var failure: Int32 = 0
        let created = TemporaryPaths.shared.creating {
            for attempt in 0..<16 {
                let candidate = folderPath + "/" + ScratchNames.zipTemporary(for: name, attempt: attempt)
                opened = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
                if opened >= 0 { return candidate }
                failure = errno
                if failure != EEXIST { break }
            }
            return nil
        }
        guard let created else {
            throw ZipError.outputNotWritable(path: folderPath, reason: String(cString: strerror(failure)))
        }
        descriptor = opened
        temporaryPath = created
        buffer.reserveCapacity(OutputFile.bufferLimit)
    }

    deinit {
        close(descriptor)
        TemporaryPaths.shared.unregister(temporaryPath)
    }

    func write(_ bytes: [UInt8]) throws(ZipError) {
        buffer.append(contentsOf: bytes)
        position += UInt64(bytes.count)
        if buffer.count >= OutputFile.bufferLimit { try flush() }
    }

    /// Overwrites bytes written earlier, at `offset`.
    func patch(at offset: UInt64, with bytes: [UInt8]) throws(ZipError) {
        precondition(offset + UInt64(bytes.count) <= position, "patch beyond what was written")
        if offset >= bufferStart {
            let start = Int(offset - bufferStart)
            buffer.replaceSubrange(start..<start + bytes.count, with: bytes)
            return
        }
        try flush()
        try writeFully(bytes, at: offset)
    }

    /// Drops everything written from `offset` on; the next write lands there.
    func truncate(to offset: UInt64) throws(ZipError) {
        try flush()
        guard ftruncate(descriptor, off_t(offset)) == 0 else { throw failure() }
        position = offset
        bufferStart = offset
    }

    func flush() throws(ZipError) {
        guard !buffer.isEmpty else { return }
        try writeFully(buffer, at: bufferStart)
        bufferStart += UInt64(buffer.count)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Makes the file durable and moves it over the target.
    func commit() throws(ZipError) {
        try flush()
        guard fsync(descriptor) == 0 else { throw failure() }
        guard rename(temporaryPath, targetPath) == 0 else { throw failure() }
    }

    func discard() {
        unlink(temporaryPath)
    }

    private func writeFully(_ bytes: [UInt8], at offset: UInt64) throws(ZipError) {
        var done = 0
        while done < bytes.count {
            let written = bytes.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return pwrite(descriptor, base + done, raw.count - done, off_t(offset) + off_t(done))
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw failure()
            }
            done += written
        }
    }

    private func failure() -> ZipError {
        ZipError.writeFailed(path: targetPath, reason: String(cString: strerror(errno)))
    }
}

/// Reads a regular file front to back in chunks.
final class InputFile {
    let path: String
    private let descriptor: Int32

    init(path: String) throws(ZipError) {
        self.path = path
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw ZipError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
    }

    deinit {
        close(descriptor)
    }

    /// Where `readChunk` reads next.
    private var position: UInt64 = 0

    /// Reads the next `count` bytes; fewer only at the end of the file.
    func readChunk(upTo count: Int) throws(ZipError) -> [UInt8] {
        let bytes = try readBytes(at: position, count: count)
        position += UInt64(bytes.count)
        return bytes
    }

    /// Reads up to `count` bytes at `offset` without moving the file position; fewer only at the end.
    func readBytes(at offset: UInt64, count: Int) throws(ZipError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        var failed = false
        bytes.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { return }
            while done < count {
                let got = pread(descriptor, base + done, count - done, off_t(offset) + off_t(done))
                if got < 0 {
                    if errno == EINTR { continue }
                    failed = true
                    return
                }
                if got == 0 { return }
                done += got
            }
        }
        if failed { throw ZipError.unreadable(path: path, reason: String(cString: strerror(errno))) }
        if done < count { bytes.removeSubrange(done...) }
        return bytes
    }

    /// The file's current size.
    func size() throws(ZipError) -> UInt64 {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            throw ZipError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        return UInt64(info.st_size)
    }
}
