/// Trimming without Foundation's `CharacterSet` (not in FoundationEssentials).
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
