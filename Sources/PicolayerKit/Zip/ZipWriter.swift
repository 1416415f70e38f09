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
                LambdaLimits.tooLargeInline("the zip", size: Int64(clamping: zipped))
                    + " Publish it through S3 (picolayer publish --s3-bucket BUCKET).")
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

    /// Zips the tree at `directory` into `output`. An `output` inside the tree is left out of the zip, and so is
    /// what `rules` ignore.
    public func write(directory: URL, to output: URL, ignoring rules: IgnoreRules? = nil) async throws(ZipError)
        -> ZipReport
    {
        let outputPath = output.standardizedFileURL.path
        let tree = try TreeScanner.scan(root: directory, excluding: [outputPath], ignoring: rules)
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
