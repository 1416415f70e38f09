/// Records of the ZIP file format (PKWARE APPNOTE 6.3.x), written explicitly little-endian.
///
/// Names follow the specification: `LocalFileHeader` (4.3.7), `CentralDirectoryHeader` (4.3.12),
/// `Zip64EndOfCentralDirectoryRecord` (4.3.14), `Zip64EndOfCentralDirectoryLocator` (4.3.15),
/// `EndOfCentralDirectoryRecord` (4.3.16) and the Zip64 extended information extra field (4.5.3).
enum ZipFormat {
    enum Signature {
        static let localFileHeader: UInt32 = 0x0403_4b50
        static let centralDirectoryHeader: UInt32 = 0x0201_4b50
        static let zip64EndOfCentralDirectoryRecord: UInt32 = 0x0606_4b50
        static let zip64EndOfCentralDirectoryLocator: UInt32 = 0x0706_4b50
        static let endOfCentralDirectoryRecord: UInt32 = 0x0605_4b50
    }

    enum Method {
        static let stored: UInt16 = 0
        static let deflated: UInt16 = 8
    }

    /// "Version needed to extract" values (4.4.3.2).
    enum VersionNeeded {
        static let stored: UInt16 = 10
        static let deflated: UInt16 = 20
        static let zip64: UInt16 = 45
    }

    /// "Version made by": upper byte 3 = UNIX (so readers honour the mode in the external attributes), lower
    /// byte 63 = specification 6.3.
    static let versionMadeBy: UInt16 = (3 << 8) | 63

    /// General-purpose bit 11: file name is UTF-8 (4.4.4, appendix D).
    static let flagUTF8: UInt16 = 1 << 11

    /// Header id of the Zip64 extended information extra field.
    static let zip64ExtraFieldID: UInt16 = 0x0001

    /// A 32-bit field holding this value means "see the Zip64 record"; every value at or above it needs Zip64.
    static let zip64Marker32: UInt64 = 0xFFFF_FFFF
    /// A 16-bit entry count holding this value means "see the Zip64 record".
    static let zip64Marker16: UInt64 = 0xFFFF

    /// MS-DOS directory attribute, set beside the Unix mode for directories.
    static let msdosDirectoryAttribute: UInt32 = 0x10

    static let localFileHeaderFixedSize = 30
    static let centralDirectoryHeaderFixedSize = 46
    static let endOfCentralDirectoryRecordSize = 22
    static let zip64EndOfCentralDirectoryRecordSize = 56
    static let zip64EndOfCentralDirectoryLocatorSize = 20
}

/// Appends little-endian integers and bytes to a growing buffer.
struct LittleEndianWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 64) {
        bytes.reserveCapacity(capacity)
    }

    mutating func u16(_ value: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: value))
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
    }

    mutating func u32(_ value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) {
            bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift)))
        }
    }

    mutating func u64(_ value: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) {
            bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
        }
    }

    mutating func append<S: Sequence>(_ other: S) where S.Element == UInt8 {
        bytes.append(contentsOf: other)
    }
}

/// Reads little-endian integers from a byte buffer, with bounds checks.
struct LittleEndianReader {
    let bytes: [UInt8]
    private(set) var offset: Int

    init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    var remaining: Int { bytes.count - offset }

    mutating func u16() throws(ZipFormatError) -> UInt16 { try next(UInt16.self) }

    mutating func u32() throws(ZipFormatError) -> UInt32 { try next(UInt32.self) }

    mutating func u64() throws(ZipFormatError) -> UInt64 { try next(UInt64.self) }

    private mutating func next<T: FixedWidthInteger & UnsignedInteger>(_ type: T.Type) throws(ZipFormatError) -> T {
        guard let value = LittleEndian.read(type, bytes, at: offset) else { throw ZipFormatError.truncated }
        offset += MemoryLayout<T>.size
        return value
    }

    mutating func take(_ count: Int) throws(ZipFormatError) -> ArraySlice<UInt8> {
        try need(count)
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    mutating func skip(_ count: Int) throws(ZipFormatError) {
        try need(count)
        offset += count
    }

    private func need(_ count: Int) throws(ZipFormatError) {
        if count < 0 || offset + count > bytes.count { throw ZipFormatError.truncated }
    }
}

/// A structural problem found while reading a ZIP file.
enum ZipFormatError: Error {
    case truncated
}

/// MS-DOS date and time as stored in ZIP headers (2-second resolution, years 1980-2107).
struct DOSDateTime: Equatable, Sendable {
    let date: UInt16
    let time: UInt16

    /// 1980-01-01 00:00:00, the earliest time the format can hold and picolayer's default.
    static let epoch = DOSDateTime(date: (1 << 5) | 1, time: 0)

    /// The DOS time of a Unix timestamp read as UTC, clamped to the range the format can hold.
    init(unixTime: Int64) {
        let minimum: Int64 = 315_532_800  // 1980-01-01T00:00:00Z
        let maximum: Int64 = 4_354_819_198  // 2107-12-31T23:59:58Z
        let clamped = min(max(unixTime, minimum), maximum)
        let days = clamped / 86_400
        let seconds = clamped % 86_400
        let (year, month, day) = UTCTime.civil(fromDays: Int(days))
        date = UInt16((year - 1980) << 9 | month << 5 | day)
        time = UInt16((seconds / 3600) << 11 | ((seconds % 3600) / 60) << 5 | (seconds % 60) / 2)
    }

    init(date: UInt16, time: UInt16) {
        self.date = date
        self.time = time
    }
}
