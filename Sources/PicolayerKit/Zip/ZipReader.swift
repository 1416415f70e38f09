import FoundationEssentials

/// Reads the central directory of a zip and the contents of its entries (Zip64 included).
///
/// Used where picolayer looks inside a zip it did not just write: `verify ZIP`, `publish` (the ELF header of
/// `picoLisp/bin/picolisp`) and `deploy`. Such a zip may be hostile, so every size and offset it declares is
/// checked against the file's real length with checked arithmetic before use, entries whose bytes overlap are
/// refused, nothing is allocated from a declared size, and an entry's bytes are streamed in bounded chunks
/// and counted as they inflate (see docs/security.md).
public final class ZipReader: Sendable {
    public struct Entry: Sendable, Equatable {
        public enum Kind: Sendable, Equatable { case file, directory, symlink }
        /// The name as stored (folders end with `/`).
        public let path: String
        public let kind: Kind
        /// Permission bits from the Unix external attributes.
        public let mode: UInt16
        public let method: UInt16
        public let crc32: UInt32
        public let compressedSize: UInt64
        public let uncompressedSize: UInt64
        let localHeaderOffset: UInt64
        /// Where the entry's (compressed) bytes start, after its local header; checked to lie in the file.
        let dataOffset: UInt64
    }

    /// What picolayer reads from a zip it did not write.
    public enum Limits {
        /// The most entries a zip may have (a built layer has a few thousand).
        public static let maxEntries: UInt64 = 200_000
        /// The largest central directory read into memory.
        public static let maxDirectoryBytes: UInt64 = 64 << 20
        /// The most `contents(of:)` reads into memory for one entry.
        public static let maxInMemoryEntry: UInt64 = 64 << 20
    }

    public let path: String
    public let entries: [Entry]
    /// The sum of the uncompressed sizes the entries declare (saturating at `UInt64.max`).
    public let declaredUncompressedTotal: UInt64

    public init(contentsOf url: URL) throws(ZipError) {
        path = url.path
        let file = try InputFile(path: url.path)
        do {
            entries = try ZipDirectoryParser(file: file, path: url.path).entries()
        } catch let error as ZipError {
            throw error
        } catch {
            throw ZipError.notAZip(path: url.path, reason: "its central directory is missing or truncated")
        }
        var total: UInt64 = 0
        for entry in entries {
            let (sum, overflow) = total.addingReportingOverflow(entry.uncompressedSize)
            total = overflow ? UInt64.max : sum
        }
        declaredUncompressedTotal = total
    }

    /// The entry with this name (a folder's name may be given with or without its trailing slash).
    public func entry(named name: String) -> Entry? {
        entries.first { $0.path == name || $0.path == name + "/" }
    }

    /// The uncompressed bytes of an entry (a link's target for a symbolic link), at most `limit` bytes.
    public func contents(of entry: Entry, limit: UInt64 = Limits.maxInMemoryEntry) throws(ZipError) -> [UInt8] {
        var result: [UInt8] = []
        try stream(entry, limit: limit) { chunk in result.append(contentsOf: chunk) }
        return result
    }

    /// Hands an entry's uncompressed bytes to `sink` in chunks of at most 256 KiB, counting them as they come.
    ///
    /// Throws `overLimit` when the entry declares more than `limit` bytes, and `hostile` when it inflates to more
    /// or fewer bytes than it declares, its deflate data is invalid, or its CRC-32 does not match. `sink` may
    /// throw a `ZipError` of its own (a full disk), which is passed on.
    public func stream(_ entry: Entry, limit: UInt64, _ sink: ([UInt8]) throws(ZipError) -> Void) throws(ZipError) {
        try checkReadable(entry, limit: limit)
        let file = try InputFile(path: path)
        var produced: UInt64 = 0
        var crc: UInt32 = 0
        func accept(_ chunk: [UInt8]) throws(ZipError) {
            produced += UInt64(chunk.count)
            guard produced <= entry.uncompressedSize else {
                throw ZipError.hostile(
                    path: path, entry: entry.path,
                    reason: "it inflates to more than the \(entry.uncompressedSize) bytes it declares (a zip bomb?)")
            }
            crc = Zlib.crc32(chunk, continuing: crc)
            try sink(chunk)
        }
        let inflater = entry.method == ZipFormat.Method.deflated ? try Inflater() : nil
        var offset = entry.dataOffset
        var remaining = entry.compressedSize
        while remaining > 0 {
            let count = Int(min(remaining, UInt64(Inflater.chunkSize)))
            let input = try file.readBytes(at: offset, count: count)
            guard input.count == count else {
                throw ZipError.hostile(path: path, entry: entry.path, reason: "its data is cut short")
            }
            offset += UInt64(count)
            remaining -= UInt64(count)
            guard let inflater else {
                try accept(input)
                continue
            }
            do {
                _ = try inflater.feed(input) { chunk in try accept(chunk) }
            } catch let error as ZipError {
                throw error
            } catch Inflater.Failure.corrupt(let reason) {
                throw ZipError.hostile(path: path, entry: entry.path, reason: reason)
            } catch {
                throw ZipError.hostile(path: path, entry: entry.path, reason: "\(error)")
            }
            if inflater.finished { break }
        }
        if let inflater, !inflater.finished {
            throw ZipError.hostile(path: path, entry: entry.path, reason: "its deflate stream does not end")
        }
        guard produced == entry.uncompressedSize else {
            throw ZipError.hostile(
                path: path, entry: entry.path,
                reason: "it holds \(produced) bytes, not the \(entry.uncompressedSize) it declares")
        }
        guard crc == entry.crc32 else {
            throw ZipError.hostile(path: path, entry: entry.path, reason: "its CRC-32 does not match its contents")
        }
    }

    /// An entry may be read when it declares at most `limit` bytes and uses a method picolayer inflates.
    private func checkReadable(_ entry: Entry, limit: UInt64) throws(ZipError) {
        guard entry.uncompressedSize <= limit else {
            throw ZipError.overLimit(
                path: path, entry: entry.path, what: "it declares \(entry.uncompressedSize) bytes uncompressed",
                limit: limit)
        }
        guard entry.method == ZipFormat.Method.stored || entry.method == ZipFormat.Method.deflated else {
            throw ZipError.hostile(
                path: path, entry: entry.path,
                reason: "it uses compression method \(entry.method); picolayer reads only stored (0) and deflated (8)")
        }
    }
}
