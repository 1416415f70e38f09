/// Trimming, padding and percent-decoding without Foundation (not in FoundationEssentials).
extension StringProtocol {
    /// Without leading and trailing spaces and tabs (any Unicode whitespace but line breaks).
    public func trimmingWhitespace() -> String { trimming(where: { $0.isWhitespace && !$0.isNewline }) }

    /// Without leading and trailing whitespace, line breaks included.
    public func trimmingWhitespaceAndNewlines() -> String { trimming(where: \.isWhitespace) }

    /// Without leading and trailing characters of `set`.
    public func trimming(_ set: Set<Character>) -> String { trimming { set.contains($0) } }

    /// Without leading and trailing characters for which `drop` is true.
    public func trimming(where drop: (Character) -> Bool) -> String {
        guard let first = firstIndex(where: { !drop($0) }), let last = lastIndex(where: { !drop($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}

extension String {
    /// Spaces added on the left up to `width` columns (never cut).
    public func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }

    /// Spaces added on the right up to `width` columns (never cut).
    public func rightPadded(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }

    /// `%XX` sequences decoded (RFC 3986); nil when one is malformed or the bytes are not UTF-8.
    public var percentDecoded: String? {
        var bytes: [UInt8] = []
        var input = Array(utf8)[...]
        while let byte = input.popFirst() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard input.count >= 2, let high = TextFormat.hexValue(input[input.startIndex]),
                let low = TextFormat.hexValue(input[input.startIndex + 1])
            else { return nil }
            bytes.append(high << 4 | low)
            input = input.dropFirst(2)
        }
        return String(validating: bytes, as: UTF8.self)
    }
}
