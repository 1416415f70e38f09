import FoundationEssentials

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
