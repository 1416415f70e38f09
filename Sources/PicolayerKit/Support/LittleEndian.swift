/// Little-endian integers read from bytes, with the bounds checked: the one decoder under the ZIP reader
/// (`LittleEndianReader`) and the ELF reader (`ELFFile.Reader`), which add their own errors.
enum LittleEndian {
    /// The `T` stored at `offset`, or nil when it does not lie wholly inside `bytes`.
    static func read<T: FixedWidthInteger & UnsignedInteger>(_: T.Type, _ bytes: [UInt8], at offset: Int) -> T? {
        let size = MemoryLayout<T>.size
        guard offset >= 0, offset <= bytes.count - size else { return nil }
        var value: T = 0
        for index in (0..<size).reversed() { value = value << 8 | T(bytes[offset + index]) }
        return value
    }
}
