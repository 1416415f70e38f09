import Foundation

/// Reads the central directory of a zip and the contents of its entries (Zip64 included).
///
/// Used where picolayer looks inside a zip it did not just write: `verify ZIP`, and `publish`, which reads the
/// ELF header of `picoLisp/bin/picolisp`. Only the end records and the central directory are read up front;
/// an entry's bytes are read when asked for, and inflated whole, so ask for small ones.
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
    }

    public let path: String
    public let entries: [Entry]

    public init(contentsOf url: URL) throws(ZipError) {
        path = url.path
        let file = try InputFile(path: url.path)
        do { entries = try ZipReader.readCentralDirectory(file) } catch let error as ZipError {
            throw error
        } catch {
            throw ZipError.notAZip(path: url.path, reason: "its central directory is missing or truncated")
        }
    }

    /// The entry with this name (a folder's name may be given with or without its trailing slash).
    public func entry(named name: String) -> Entry? {
        entries.first { $0.path == name || $0.path == name + "/" }
    }

    /// The uncompressed bytes of an entry (a link's target for a symbolic link).
    public func contents(of entry: Entry) throws(ZipError) -> [UInt8] {
        do {
            let file = try InputFile(path: path)
            var header = LittleEndianReader(
                try file.readBytes(at: entry.localHeaderOffset, count: ZipFormat.localFileHeaderFixedSize))
            guard try header.u32() == ZipFormat.Signature.localFileHeader else {
                throw ZipError.notAZip(path: path, reason: "no local header for \(entry.path)")
            }
            try header.skip(22)
            let nameLength = UInt64(try header.u16())
            let extraLength = UInt64(try header.u16())
            let dataOffset =
                entry.localHeaderOffset + UInt64(ZipFormat.localFileHeaderFixedSize) + nameLength
                + extraLength
            let data = try file.readBytes(at: dataOffset, count: Int(entry.compressedSize))[...]
            guard data.count == Int(entry.compressedSize) else { throw ZipFormatError.truncated }
            let result: [UInt8]
            switch entry.method {
            case ZipFormat.Method.stored: result = Array(data)
            case ZipFormat.Method.deflated: result = try Zlib.inflate(data, expectedSize: Int(entry.uncompressedSize))
            default: throw ZipError.notAZip(path: path, reason: "\(entry.path) uses compression method \(entry.method)")
            }
            guard Zlib.crc32(result) == entry.crc32 else {
                throw ZipError.notAZip(path: path, reason: "CRC mismatch in \(entry.path)")
            }
            return result
        } catch let error as ZipError {
            throw error
        } catch {
            throw ZipError.notAZip(path: path, reason: "\(entry.path) is truncated")
        }
    }

    private static func readCentralDirectory(_ file: InputFile) throws -> [Entry] {
        let minimum = ZipFormat.endOfCentralDirectoryRecordSize
        let fileSize = try file.size()
        guard fileSize >= UInt64(minimum) else { throw ZipFormatError.truncated }
        // The end records sit in the last 22 bytes plus a comment of at most 65,535 bytes, after the Zip64
        // locator (20 bytes) when there is one.
        let tailStart =
            fileSize - min(fileSize, UInt64(minimum + 0xFFFF + ZipFormat.zip64EndOfCentralDirectoryLocatorSize))
        let bytes = try file.readBytes(at: tailStart, count: Int(fileSize - tailStart))
        // The end record sits in the last 22 bytes plus a comment of at most 65,535 bytes.
        var endOffset = -1
        let lowest = 0
        var candidate = bytes.count - minimum
        while candidate >= lowest {
            var probe = LittleEndianReader(bytes, offset: candidate)
            if try probe.u32() == ZipFormat.Signature.endOfCentralDirectoryRecord {
                endOffset = candidate
                break
            }
            candidate -= 1
        }
        guard endOffset >= 0 else { throw ZipFormatError.truncated }
        var end = LittleEndianReader(bytes, offset: endOffset + 10)
        var count = UInt64(try end.u16())
        var directorySize = UInt64(try end.u32())
        var directoryOffset = UInt64(try end.u32())

        let locatorOffset = endOffset - ZipFormat.zip64EndOfCentralDirectoryLocatorSize
        if locatorOffset >= 0 {
            var locator = LittleEndianReader(bytes, offset: locatorOffset)
            if try locator.u32() == ZipFormat.Signature.zip64EndOfCentralDirectoryLocator {
                _ = try locator.u32()
                let recordOffset = try locator.u64()
                var record = LittleEndianReader(
                    try file.readBytes(at: recordOffset, count: ZipFormat.zip64EndOfCentralDirectoryRecordSize))
                guard try record.u32() == ZipFormat.Signature.zip64EndOfCentralDirectoryRecord else {
                    throw ZipFormatError.truncated
                }
                try record.skip(8 + 2 + 2 + 4 + 4 + 8)
                count = try record.u64()
                directorySize = try record.u64()
                directoryOffset = try record.u64()
            }
        }

        guard directoryOffset + directorySize <= fileSize else { throw ZipFormatError.truncated }
        var reader = LittleEndianReader(try file.readBytes(at: directoryOffset, count: Int(directorySize)))
        var entries: [Entry] = []
        entries.reserveCapacity(Int(min(count, 1 << 20)))
        for _ in 0..<count {
            guard try reader.u32() == ZipFormat.Signature.centralDirectoryHeader else { throw ZipFormatError.truncated }
            try reader.skip(2 + 2 + 2)
            let method = try reader.u16()
            try reader.skip(4)
            let crc = try reader.u32()
            var compressed = UInt64(try reader.u32())
            var uncompressed = UInt64(try reader.u32())
            let nameLength = Int(try reader.u16())
            let extraLength = Int(try reader.u16())
            let commentLength = Int(try reader.u16())
            try reader.skip(2 + 2)
            let external = try reader.u32()
            var offset = UInt64(try reader.u32())
            let name = String(decoding: try reader.take(nameLength), as: UTF8.self)
            var extra = LittleEndianReader(Array(try reader.take(extraLength)))
            try reader.skip(commentLength)
            while extra.remaining >= 4 {
                let id = try extra.u16()
                let size = Int(try extra.u16())
                var field = LittleEndianReader(Array(try extra.take(size)))
                guard id == ZipFormat.zip64ExtraFieldID else { continue }
                if uncompressed == ZipFormat.zip64Marker32 { uncompressed = try field.u64() }
                if compressed == ZipFormat.zip64Marker32 { compressed = try field.u64() }
                if offset == ZipFormat.zip64Marker32 { offset = try field.u64() }
            }
            let unixMode = UInt16(truncatingIfNeeded: external >> 16)
            let kind: Entry.Kind
            switch unixMode & 0o170000 {
            case 0o120000: kind = .symlink
            case 0o040000: kind = .directory
            default: kind = name.hasSuffix("/") ? .directory : .file
            }
            entries.append(
                Entry(
                    path: name, kind: kind, mode: unixMode & 0o7777, method: method, crc32: crc,
                    compressedSize: compressed, uncompressedSize: uncompressed, localHeaderOffset: offset))
        }
        return entries
    }
}
