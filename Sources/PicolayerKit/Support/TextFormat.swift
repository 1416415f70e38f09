/// The few number formats picolayer prints, written here because `String(format:)` is not in FoundationEssentials
/// (it would link all of Foundation and its ICU data into the binary).
public enum TextFormat {
    private static let lowerDigits = Array("0123456789abcdef")
    private static let upperDigits = Array("0123456789ABCDEF")

    /// Lowercase hex, two digits a byte (digests, signatures, request ids).
    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        var text = ""
        for byte in bytes {
            text.append(lowerDigits[Int(byte >> 4)])
            text.append(lowerDigits[Int(byte & 0xF)])
        }
        return text
    }

    /// The value of one hex digit, either case; nil for any other byte.
    public static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// `value` in hex, at least `digits` digits (zero-padded), as printf's `%0*x` or `%0*X`.
    public static func hex(_ value: some BinaryInteger, digits: Int, uppercase: Bool = false) -> String {
        let text = String(value, radix: 16, uppercase: uppercase)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }

    /// `value` with exactly `places` decimals, rounded half away from zero, as printf's `%.Nf` does for the
    /// values picolayer prints (durations, sizes, shares).
    public static func fixed(_ value: Double, places: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value < 0 ? "-inf" : "inf") }
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = (abs(value) * scale).rounded(.toNearestOrAwayFromZero)
        guard scaled < 9.0e18 else { return String(value) }
        let whole = UInt64(scaled)
        let divisor = UInt64(scale)
        var text = String(whole / divisor)
        if places > 0 {
            let fraction = String(whole % divisor)
            text += "." + String(repeating: "0", count: places - fraction.count) + fraction
        }
        return (value < 0 && scaled != 0 ? "-" : "") + text
    }

    /// Rows as aligned columns two spaces apart; the last column is not padded (no trailing spaces).
    public static func table(_ rows: [[String]]) -> String {
        let columns = rows.map(\.count).max() ?? 0
        let widths = (0..<columns).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index < row.count - 1 ? cell.rightPadded(widths[index]) : cell
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
