import FoundationEssentials

/// Reads and checks the end records and the central directory of a zip that may be hostile.
///
/// Every offset and size is checked against the file's real length with checked arithmetic before it is used;
/// each entry's local header is read to find where its data starts, and entries whose bytes overlap (one
/// compressed stream shared by several entries, a classic zip bomb) are refused.
struct ZipDirectoryParser {
    let file: InputFile
    let path: String

    private struct Directory {
        var count: UInt64
        var size: UInt64
        var offset: UInt64
    }

    func entries() throws -> [ZipReader.Entry] {
        let fileSize = try file.size()
        let directory = try locateDirectory(fileSize: fileSize)
        let (directoryEnd, overflow) = directory.offset.addingReportingOverflow(directory.size)
        guard !overflow, directoryEnd <= fileSize else {
            throw hostile(
                nil,
                "its central directory (\(directory.size) bytes at offset \(directory.offset)) lies outside the "
                    + "file of \(fileSize) bytes")
        }
        guard directory.count <= ZipReader.Limits.maxEntries else {
            throw ZipError.overLimit(
                path: path, entry: nil, what: "it declares \(directory.count) entries",
                limit: ZipReader.Limits.maxEntries)
        }
        guard directory.size <= ZipReader.Limits.maxDirectoryBytes else {
            throw ZipError.overLimit(
                path: path, entry: nil, what: "its central directory has \(directory.size) bytes",
                limit: ZipReader.Limits.maxDirectoryBytes)
        }
        guard directory.count <= directory.size / UInt64(ZipFormat.centralDirectoryHeaderFixedSize) else {
            throw hostile(nil, "it declares \(directory.count) entries in a directory of \(directory.size) bytes")
        }
        var reader = LittleEndianReader(try file.readBytes(at: directory.offset, count: Int(directory.size)))
        var entries: [ZipReader.Entry] = []
        entries.reserveCapacity(Int(directory.count))
        for _ in 0..<directory.count {
            entries.append(try readEntry(&reader, before: directory.offset))
        }
        try checkOverlaps(entries)
        return entries
    }

    private func hostile(_ entry: String?, _ reason: String) -> ZipError {
        ZipError.hostile(path: path, entry: entry, reason: reason)
    }

    /// The end record (and the Zip64 one when there is one): how many entries, and where the directory is.
    private func locateDirectory(fileSize: UInt64) throws -> Directory {
        let minimum = ZipFormat.endOfCentralDirectoryRecordSize
        guard fileSize >= UInt64(minimum) else { throw ZipFormatError.truncated }
        // The end record sits in the last 22 bytes plus a comment of at most 65,535 bytes, after the Zip64
        // locator (20 bytes) when there is one.
        let tailStart =
            fileSize - min(fileSize, UInt64(minimum + 0xFFFF + ZipFormat.zip64EndOfCentralDirectoryLocatorSize))
        let bytes = try file.readBytes(at: tailStart, count: Int(fileSize - tailStart))
        var endOffset = -1
        var candidate = bytes.count - minimum
        while candidate >= 0 {
            var probe = LittleEndianReader(bytes, offset: candidate)
            if try probe.u32() == ZipFormat.Signature.endOfCentralDirectoryRecord {
                endOffset = candidate
                break
            }
            candidate -= 1
        }
        guard endOffset >= 0 else { throw ZipFormatError.truncated }
        var end = LittleEndianReader(bytes, offset: endOffset + 10)
        var directory = Directory(
            count: UInt64(try end.u16()), size: UInt64(try end.u32()), offset: UInt64(try end.u32()))

        let locatorOffset = endOffset - ZipFormat.zip64EndOfCentralDirectoryLocatorSize
        guard locatorOffset >= 0 else { return directory }
        var locator = LittleEndianReader(bytes, offset: locatorOffset)
        guard try locator.u32() == ZipFormat.Signature.zip64EndOfCentralDirectoryLocator else { return directory }
        _ = try locator.u32()
        let recordOffset = try locator.u64()
        let recordSize = UInt64(ZipFormat.zip64EndOfCentralDirectoryRecordSize)
        guard fileSize >= recordSize, recordOffset <= fileSize - recordSize else {
            throw hostile(nil, "its Zip64 end record offset \(recordOffset) lies outside the file of \(fileSize) bytes")
        }
        var record = LittleEndianReader(try file.readBytes(at: recordOffset, count: Int(recordSize)))
        guard try record.u32() == ZipFormat.Signature.zip64EndOfCentralDirectoryRecord else {
            throw hostile(nil, "no Zip64 end record at offset \(recordOffset)")
        }
        try record.skip(8 + 2 + 2 + 4 + 4 + 8)
        directory.count = try record.u64()
        directory.size = try record.u64()
        directory.offset = try record.u64()
        return directory
    }

    /// One central directory header, its Zip64 field applied, its local header read and its data located.
    private func readEntry(_ reader: inout LittleEndianReader, before directoryOffset: UInt64) throws
        -> ZipReader.Entry
    {
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
        if method == ZipFormat.Method.stored, compressed != uncompressed {
            throw hostile(name, "it is stored, yet declares \(compressed) bytes stored and \(uncompressed) unpacked")
        }
        let dataOffset = try locateData(
            name: name, headerOffset: offset, compressedSize: compressed, before: directoryOffset)
        let unixMode = UInt16(truncatingIfNeeded: external >> 16)
        let kind: ZipReader.Entry.Kind
        switch unixMode & 0o170000 {
        case 0o120000: kind = .symlink
        case 0o040000: kind = .directory
        default: kind = name.hasSuffix("/") ? .directory : .file
        }
        return ZipReader.Entry(
            path: name, kind: kind, mode: unixMode & 0o7777, method: method, crc32: crc,
            compressedSize: compressed, uncompressedSize: uncompressed, localHeaderOffset: offset,
            dataOffset: dataOffset)
    }

    /// Where an entry's data starts, after its local header; the data must end before the central directory.
    private func locateData(name: String, headerOffset: UInt64, compressedSize: UInt64, before limit: UInt64)
        throws -> UInt64
    {
        let fixed = UInt64(ZipFormat.localFileHeaderFixedSize)
        guard limit >= fixed, headerOffset <= limit - fixed else {
            throw hostile(name, "its local header offset \(headerOffset) lies outside the entries' part of the file")
        }
        var header = LittleEndianReader(try file.readBytes(at: headerOffset, count: Int(fixed)))
        guard try header.u32() == ZipFormat.Signature.localFileHeader else {
            throw hostile(name, "no local header at offset \(headerOffset)")
        }
        try header.skip(22)
        let variable = UInt64(try header.u16()) + UInt64(try header.u16())
        let dataOffset = headerOffset + fixed + variable  // cannot overflow: headerOffset < limit <= file size
        let (dataEnd, overflow) = dataOffset.addingReportingOverflow(compressedSize)
        guard !overflow, dataEnd <= limit else {
            throw hostile(
                name,
                "its data (\(compressedSize) bytes at offset \(dataOffset)) runs past the entries' part of the "
                    + "file (\(limit) bytes)")
        }
        return dataOffset
    }

    /// Refuses entries whose local header and data overlap another entry's.
    private func checkOverlaps(_ entries: [ZipReader.Entry]) throws {
        let ordered = entries.sorted { $0.localHeaderOffset < $1.localHeaderOffset }
        for (previous, next) in zip(ordered, ordered.dropFirst()) {
            let previousEnd = previous.dataOffset + previous.compressedSize  // checked in locateData
            if next.localHeaderOffset < previousEnd {
                throw hostile(
                    next.path, "its bytes overlap those of \(previous.path) (entries sharing data: a zip bomb?)")
            }
        }
    }
}
