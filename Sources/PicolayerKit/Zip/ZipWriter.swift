import Crypto
import FoundationEssentials

/// How `ZipWriter` compresses and stamps entries.
public struct ZipOptions: Sendable {
    /// zlib level, 0 (store everything) to 9.
    public var level: Int
    /// The time every entry carries, as Unix seconds (SOURCE_DATE_EPOCH); nil means 1980-01-01 00:00.
    public var timestamp: Int64?
    /// How many chunks are compressed at once. The output bytes never depend on it.
    public var threads: Int

    public init(level: Int = 6, timestamp: Int64? = nil, threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.level = level
        self.timestamp = timestamp
        self.threads = max(1, threads)
    }
}

/// What a written zip holds, as `picolayer package` reports it.
public struct ZipReport: Sendable, Codable, Equatable {
    public var path: String
    public var entries: Int
    public var unzippedSize: UInt64
    public var zippedSize: UInt64
    /// SHA-256 of the zip in lower-case hex.
    public var sha256: String
    /// SHA-256 of the zip in base64: the form Lambda shows as `CodeSha256`.
    public var codeSha256: String
    public var zip64: Bool
    public var warnings: [String]
}

extension ZipReport {
    /// Warnings for a layer zip that Lambda will not take as it is.
    static func limitWarnings(zipped: UInt64, unzipped: UInt64) -> [String] {
        var warnings: [String] = []
        if zipped > LambdaLimits.directUploadZippedBytes {
            warnings.append(
                "the zip is \(zipped) bytes; Lambda accepts at most \(LambdaLimits.directUploadZippedBytes) "
                    + "inline. Publish it through S3 (picolayer publish --s3-bucket BUCKET).")
        }
        if unzipped > LambdaLimits.unzippedBytes {
            warnings.append(
                "the unzipped size is \(unzipped) bytes; Lambda rejects more than \(LambdaLimits.unzippedBytes) "
                    + "bytes for a function and its layers together. Leave files out of the layer.")
        }
        return warnings
    }
}

/// Writes reproducible zips of folder trees: sorted entries, normalised Unix modes, fixed timestamps, symbolic
/// links kept as links, Zip64 only where needed, and deflate spread over every core.
///
/// Files are cut into fixed 256 KiB chunks that are compressed independently (each primed with the 32 KiB
/// before it) and joined with sync flushes, as pigz does; the cut points depend only on the file, so the bytes
/// written never depend on the number of threads. Memory stays bounded by a window of chunks in flight.
/// The zip is written to a temporary file beside the target and renamed into place only when complete.
public struct ZipWriter: Sendable {
    /// Bytes per independently compressed chunk. Changing it changes the output bytes.
    static let chunkSize = 256 * 1024
    /// The most chunk bytes read ahead per thread before the window is compressed and written.
    static let windowBytesPerThread = 4 * chunkSize
    static let windowMaxJobs = 512

    public let options: ZipOptions

    public init(options: ZipOptions = ZipOptions()) {
        self.options = options
    }

    /// Zips the tree at `directory` into `output`. An `output` inside the tree is left out of the zip.
    public func write(directory: URL, to output: URL) async throws(ZipError) -> ZipReport {
        let outputPath = output.standardizedFileURL.path
        let tree = try TreeScanner.scan(root: directory, excluding: [outputPath])
        return try await write(tree: tree, to: output)
    }

    /// Zips entries listed earlier by `TreeScanner.scan`. A file whose size differs from the listing is an error.
    public func write(tree: ZipSourceTree, to output: URL) async throws(ZipError) -> ZipReport {
        guard (0...9).contains(options.level) else { throw ZipError.invalidLevel(options.level) }
        let outputPath = output.standardizedFileURL.path
        let file = try OutputFile(target: outputPath)
        do {
            var assembler = Assembler(
                file: file, level: Int32(options.level),
                time: options.timestamp.map { DOSDateTime(unixTime: $0) } ?? .epoch)
            try await feed(tree.entries, into: &assembler)
            let zip64 = try assembler.finish()
            let (hex, base64) = try file.commitAndHash()
            return ZipReport(
                path: outputPath, entries: tree.entries.count, unzippedSize: assembler.unzippedSize,
                zippedSize: assembler.zippedSize, sha256: hex, codeSha256: base64,
                zip64: zip64 || assembler.usedZip64,
                warnings: tree.warnings
                    + ZipReport.limitWarnings(zipped: assembler.zippedSize, unzipped: assembler.unzippedSize))
        } catch let error as ZipError {
            file.discard()
            throw error
        } catch {
            file.discard()
            throw ZipError.writeFailed(path: outputPath, reason: "\(error)")
        }
    }

    /// Reads entries in order, cutting files into chunks, and hands windows of chunks to the assembler.
    private func feed(_ entries: [ZipSourceEntry], into assembler: inout Assembler) async throws {
        var window: [ChunkJob] = []
        var windowBytes = 0
        let windowLimit = options.threads * ZipWriter.windowBytesPerThread

        func flushIfFull(force: Bool) async throws {
            guard force || windowBytes >= windowLimit || window.count >= ZipWriter.windowMaxJobs else { return }
            let results = try await compress(window)
            for (job, result) in zip(window, results) { try assembler.consume(job, result) }
            window.removeAll(keepingCapacity: true)
            windowBytes = 0
        }

        for (index, entry) in entries.enumerated() {
            switch entry.kind {
            case .directory:
                window.append(
                    ChunkJob(entry: entry, index: index, data: [], dictionary: [], isFirst: true, isLast: true))
            case .symlink(let target):
                window.append(
                    ChunkJob(
                        entry: entry, index: index, data: Array(target.utf8), dictionary: [], isFirst: true,
                        isLast: true))
            case .file(let size):
                let input = try InputFile(path: entry.sourcePath)
                var remaining = size
                var previous: [UInt8] = []
                var first = true
                repeat {
                    let wanted = Int(min(remaining, UInt64(ZipWriter.chunkSize)))
                    let data = try input.readChunk(upTo: wanted)
                    if data.count < wanted {
                        throw ZipError.sizeChanged(
                            path: entry.sourcePath, expected: size, actual: size - remaining + UInt64(data.count))
                    }
                    remaining -= UInt64(wanted)
                    let dictionary = previous.suffix(Zlib.windowSize)
                    window.append(
                        ChunkJob(
                            entry: entry, index: index, data: data, dictionary: dictionary, isFirst: first,
                            isLast: remaining == 0))
                    windowBytes += data.count
                    previous = data
                    first = false
                    if remaining > 0 { try await flushIfFull(force: false) }
                } while remaining > 0
                if !(try input.readChunk(upTo: 1)).isEmpty {
                    throw ZipError.sizeChanged(
                        path: entry.sourcePath, expected: size, actual: currentSize(entry.sourcePath))
                }
            }
            try await flushIfFull(force: false)
        }
        try await flushIfFull(force: true)
    }

    /// Compresses a window of chunks with at most `threads` running at once; results come back in job order.
    private func compress(_ jobs: [ChunkJob]) async throws -> [ChunkResult] {
        let level = Int32(options.level)
        let limit = options.threads
        return try await withThrowingTaskGroup(of: (Int, ChunkResult).self) { group in
            var results = [ChunkResult?](repeating: nil, count: jobs.count)
            var next = 0
            func start(_ position: Int) {
                let job = jobs[position]
                group.addTask { (position, try job.run(level: level)) }
            }
            while next < min(limit, jobs.count) {
                start(next)
                next += 1
            }
            while let (position, result) = try await group.next() {
                results[position] = result
                if next < jobs.count {
                    start(next)
                    next += 1
                }
            }
            return results.compactMap { $0 }
        }
    }

    private func currentSize(_ path: String) -> UInt64 {
        FileStatus.size(path).map { UInt64($0) } ?? 0
    }
}

/// One chunk of one entry, with the data it needs to be compressed on its own.
struct ChunkJob: Sendable {
    let entry: ZipSourceEntry
    let index: Int
    let data: [UInt8]
    let dictionary: ArraySlice<UInt8>
    let isFirst: Bool
    let isLast: Bool

    var compressible: Bool {
        if case .directory = entry.kind { return false }
        return true
    }

    func run(level: Int32) throws -> ChunkResult {
        let crc = Zlib.crc32(data)
        guard level > 0, compressible else { return ChunkResult(compressed: nil, crc: crc) }
        let compressed = try Zlib.deflateChunk(data, dictionary: dictionary, level: level, isLast: isLast)
        return ChunkResult(compressed: compressed, crc: crc)
    }
}

struct ChunkResult: Sendable {
    /// The deflated bytes, or nil when the entry is stored.
    let compressed: [UInt8]?
    let crc: UInt32
}

/// Lays entries out in the file in order: local header, data, then the central directory at the end.
struct Assembler {
    private let file: OutputFile
    private let level: Int32
    private let time: DOSDateTime
    private var central = LittleEndianWriter(capacity: 1 << 16)
    private var entryCount: UInt64 = 0
    private var current: OpenEntry?
    private(set) var unzippedSize: UInt64 = 0
    private(set) var zippedSize: UInt64 = 0
    private(set) var usedZip64 = false

    private struct OpenEntry {
        let entry: ZipSourceEntry
        let headerOffset: UInt64
        let dataOffset: UInt64
        let zip64: Bool
        var method: UInt16
        var crc: UInt32 = 0
        var compressedSize: UInt64 = 0
        var uncompressedSize: UInt64 = 0
    }

    init(file: OutputFile, level: Int32, time: DOSDateTime) {
        self.file = file
        self.level = level
        self.time = time
    }

    mutating func consume(_ job: ChunkJob, _ result: ChunkResult) throws {
        if job.isFirst {
            let size: UInt64
            switch job.entry.kind {
            case .file(let fileSize): size = fileSize
            case .symlink(let target): size = UInt64(target.utf8.count)
            case .directory: size = 0
            }
            let offset = file.position
            let zip64 = size >= ZipFormat.zip64Marker32 || offset >= ZipFormat.zip64Marker32
            let method = result.compressed == nil ? ZipFormat.Method.stored : ZipFormat.Method.deflated
            let open = OpenEntry(
                entry: job.entry, headerOffset: offset, dataOffset: 0, zip64: zip64, method: method,
                uncompressedSize: size)
            let header = localHeader(for: open)
            try file.write(header)
            current = OpenEntry(
                entry: job.entry, headerOffset: offset, dataOffset: file.position, zip64: zip64, method: method)
        }
        guard var open = current else { return }
        let bytes = result.compressed ?? job.data
        try file.write(bytes)
        open.crc =
            open.uncompressedSize == 0
            ? result.crc : Zlib.crc32Combine(open.crc, result.crc, secondLength: job.data.count)
        open.uncompressedSize += UInt64(job.data.count)
        open.compressedSize += UInt64(bytes.count)
        if job.isLast {
            if open.method == ZipFormat.Method.deflated && open.compressedSize >= open.uncompressedSize {
                try storeInstead(&open, lastJob: job)
            }
            try file.patch(at: open.headerOffset, with: localHeader(for: open))
            appendCentralRecord(for: open)
            unzippedSize += open.uncompressedSize
            current = nil
        } else {
            current = open
        }
    }

    /// Rewrites an entry's data uncompressed, because deflating did not make it smaller.
    private func storeInstead(_ open: inout OpenEntry, lastJob: ChunkJob) throws {
        try file.truncate(to: open.dataOffset)
        open.method = ZipFormat.Method.stored
        open.compressedSize = open.uncompressedSize
        if lastJob.isFirst {
            try file.write(lastJob.data)
            return
        }
        // A file of several chunks is read again; its CRC must match what was compressed.
        let input = try InputFile(path: open.entry.sourcePath)
        var crc: UInt32 = 0
        var total: UInt64 = 0
        while total < open.uncompressedSize {
            let wanted = Int(min(open.uncompressedSize - total, UInt64(ZipWriter.chunkSize)))
            let data = try input.readChunk(upTo: wanted)
            guard data.count == wanted else { throw ZipError.contentChanged(path: open.entry.sourcePath) }
            crc = Zlib.crc32(data, continuing: crc)
            total += UInt64(wanted)
            try file.write(data)
        }
        guard crc == open.crc else { throw ZipError.contentChanged(path: open.entry.sourcePath) }
    }

    private func flags(for entry: ZipSourceEntry) -> UInt16 {
        entry.zipName.utf8.allSatisfy { $0 < 0x80 } ? 0 : ZipFormat.flagUTF8
    }

    private func versionNeeded(_ open: OpenEntry) -> UInt16 {
        if open.zip64 { return ZipFormat.VersionNeeded.zip64 }
        return open.method == ZipFormat.Method.deflated
            ? ZipFormat.VersionNeeded.deflated : ZipFormat.VersionNeeded.stored
    }

    /// The local file header; the same length whatever the sizes, so it can be patched in place.
    private func localHeader(for open: OpenEntry) -> [UInt8] {
        let name = Array(open.entry.zipName.utf8)
        let sizesInExtra = open.uncompressedSize >= ZipFormat.zip64Marker32 || open.zip64
        var header = LittleEndianWriter(capacity: ZipFormat.localFileHeaderFixedSize + name.count + 20)
        header.u32(ZipFormat.Signature.localFileHeader)
        header.u16(versionNeeded(open))
        header.u16(flags(for: open.entry))
        header.u16(open.method)
        header.u16(time.time)
        header.u16(time.date)
        header.u32(open.crc)
        if sizesInExtra {
            header.u32(UInt32(ZipFormat.zip64Marker32))
            header.u32(UInt32(ZipFormat.zip64Marker32))
        } else {
            header.u32(UInt32(open.compressedSize))
            header.u32(UInt32(open.uncompressedSize))
        }
        header.u16(UInt16(name.count))
        header.u16(sizesInExtra ? 20 : 0)
        header.append(name)
        if sizesInExtra {
            header.u16(ZipFormat.zip64ExtraFieldID)
            header.u16(16)
            header.u64(open.uncompressedSize)
            header.u64(open.compressedSize)
        }
        return header.bytes
    }

    private mutating func appendCentralRecord(for open: OpenEntry) {
        let name = Array(open.entry.zipName.utf8)
        let marker = ZipFormat.zip64Marker32
        var extra = LittleEndianWriter()
        if open.uncompressedSize >= marker { extra.u64(open.uncompressedSize) }
        if open.compressedSize >= marker { extra.u64(open.compressedSize) }
        if open.headerOffset >= marker { extra.u64(open.headerOffset) }
        let extraBytes = extra.bytes
        if !extraBytes.isEmpty || open.zip64 { usedZip64 = true }

        let fileType: UInt32
        switch open.entry.kind {
        case .file: fileType = 0o100000
        case .directory: fileType = 0o040000
        case .symlink: fileType = 0o120000
        }
        var external = (fileType | UInt32(open.entry.mode)) << 16
        if case .directory = open.entry.kind { external |= ZipFormat.msdosDirectoryAttribute }

        central.u32(ZipFormat.Signature.centralDirectoryHeader)
        central.u16(ZipFormat.versionMadeBy)
        central.u16(versionNeeded(open))
        central.u16(flags(for: open.entry))
        central.u16(open.method)
        central.u16(time.time)
        central.u16(time.date)
        central.u32(open.crc)
        central.u32(UInt32(min(open.compressedSize, marker)))
        central.u32(UInt32(min(open.uncompressedSize, marker)))
        central.u16(UInt16(name.count))
        central.u16(extraBytes.isEmpty ? 0 : UInt16(4 + extraBytes.count))
        central.u16(0)  // comment length
        central.u16(0)  // disk number start
        central.u16(0)  // internal attributes
        central.u32(external)
        central.u32(UInt32(min(open.headerOffset, marker)))
        central.append(name)
        if !extraBytes.isEmpty {
            central.u16(ZipFormat.zip64ExtraFieldID)
            central.u16(UInt16(extraBytes.count))
            central.append(extraBytes)
        }
        entryCount += 1
    }

    /// Writes the central directory and its end records; returns whether Zip64 end records were needed.
    mutating func finish() throws -> Bool {
        let directoryOffset = file.position
        let directory = central.bytes
        try file.write(directory)
        let directorySize = UInt64(directory.count)
        let needsZip64 =
            entryCount >= ZipFormat.zip64Marker16 || directoryOffset >= ZipFormat.zip64Marker32
            || directorySize >= ZipFormat.zip64Marker32

        var end = LittleEndianWriter()
        if needsZip64 {
            let recordOffset = file.position
            end.u32(ZipFormat.Signature.zip64EndOfCentralDirectoryRecord)
            end.u64(UInt64(ZipFormat.zip64EndOfCentralDirectoryRecordSize - 12))
            end.u16(ZipFormat.versionMadeBy)
            end.u16(ZipFormat.VersionNeeded.zip64)
            end.u32(0)  // number of this disk
            end.u32(0)  // disk where the central directory starts
            end.u64(entryCount)
            end.u64(entryCount)
            end.u64(directorySize)
            end.u64(directoryOffset)
            end.u32(ZipFormat.Signature.zip64EndOfCentralDirectoryLocator)
            end.u32(0)
            end.u64(recordOffset)
            end.u32(1)  // total number of disks
        }
        end.u32(ZipFormat.Signature.endOfCentralDirectoryRecord)
        end.u16(0)
        end.u16(0)
        end.u16(UInt16(min(entryCount, ZipFormat.zip64Marker16)))
        end.u16(UInt16(min(entryCount, ZipFormat.zip64Marker16)))
        end.u32(UInt32(min(directorySize, ZipFormat.zip64Marker32)))
        end.u32(UInt32(min(directoryOffset, ZipFormat.zip64Marker32)))
        end.u16(0)  // comment length
        try file.write(end.bytes)
        zippedSize = file.position
        return needsZip64
    }
}

extension OutputFile {
    /// Commits the file into place and returns its SHA-256 in hex and base64, read back from disk.
    func commitAndHash() throws(ZipError) -> (String, String) {
        try flush()
        let input = try InputFile(path: temporaryPath)
        var hasher = SHA256()
        while true {
            let block = try input.readChunk(upTo: 1 << 20)
            if block.isEmpty { break }
            hasher.update(data: block)
        }
        let digest = Array(hasher.finalize())
        try commit()
        let hex = TextFormat.hex(digest)
        return (hex, Data(digest).base64EncodedString())
    }
}
