import FoundationEssentials

/// A value of a TOML document, in the part of TOML (v1.0.0, https://toml.io/en/v1.0.0) that picolayer.toml uses:
/// strings, integers, booleans and arrays of them. Inline tables are flattened into dotted keys as they are read.
public enum TOMLValue: Sendable, Equatable {
    case string(String)
    case integer(Int)
    case boolean(Bool)
    case array([TOMLValue])

    /// What a person calls it in an error message.
    public var kind: String {
        switch self {
        case .string: return "a string"
        case .integer: return "an integer"
        case .boolean: return "a boolean"
        case .array: return "an array"
        }
    }
}

/// One key of a document: its value and the line it is on (1-based), for messages that name the line.
public struct TOMLEntry: Sendable, Equatable {
    public var value: TOMLValue
    public var line: Int
}

/// A document read by ``TOMLReader``: every key by its full dotted path (`function.environment.GREETING`), and the
/// tables that were opened by a `[header]`.
public struct TOMLDocument: Sendable, Equatable {
    public var entries: [String: TOMLEntry] = [:]
    public var tables: [String: Int] = [:]
}

/// A refusal: the file, the line and what is wrong there.
public struct TOMLError: Error, LocalizedError, Sendable, Equatable {
    public var file: String
    public var line: Int
    public var reason: String

    public var errorDescription: String? { "\(file):\(line): \(reason)" }
}

/// Reads the subset of TOML picolayer.toml needs, written here rather than taken from a library: it reports the
/// line of every key (for "unknown key" errors), it stays within FoundationEssentials (a TOML library would pull
/// Foundation and its ICU data into the static binary), and its input is bounded. What it does not read (floats,
/// dates, multi-line strings, arrays of tables) is refused with the line, never misread.
public struct TOMLReader {
    /// picolayer.toml files are a few hundred bytes; this is far above any real one.
    public static let maxBytes = 1 << 20
    static let maxDepth = 16

    let file: String
    private var bytes: [UInt8]
    private var position = 0
    private var line = 1

    public static func parse(_ text: String, file: String) throws(TOMLError) -> TOMLDocument {
        guard text.utf8.count <= maxBytes else {
            throw TOMLError(
                file: file, line: 1, reason: "the file is over \(maxBytes) bytes; it cannot be a picolayer.toml")
        }
        var reader = TOMLReader(file: file, bytes: Array(text.utf8))
        return try reader.document()
    }

    private init(file: String, bytes: [UInt8]) {
        self.file = file
        self.bytes = bytes
    }

    // MARK: Lines

    private mutating func document() throws(TOMLError) -> TOMLDocument {
        var document = TOMLDocument()
        var table: [String] = []
        while true {
            skipBlankAndComments()
            guard let byte = peek() else { return document }
            let startLine = line
            if byte == UInt8(ascii: "[") {
                table = try header(into: &document)
            } else {
                let key = try keyPath()
                skipSpaces()
                try expect(UInt8(ascii: "="), "after the key \(key.joined(separator: "."))")
                skipSpaces()
                let value = try self.value(depth: 0)
                try store(table + key, value, line: startLine, into: &document)
            }
            try endOfLine()
        }
    }

    private mutating func header(into document: inout TOMLDocument) throws(TOMLError) -> [String] {
        advance()
        if peek() == UInt8(ascii: "[") { throw fail("arrays of tables ([[...]]) are not used in picolayer.toml") }
        skipSpaces()
        let path = try keyPath()
        skipSpaces()
        try expect(UInt8(ascii: "]"), "to close the table header")
        let name = path.joined(separator: ".")
        if document.tables[name] != nil { throw fail("the table [\(name)] is defined twice") }
        if let entry = document.entries[name] { throw fail("[\(name)] is already a key, on line \(entry.line)") }
        document.tables[name] = line
        return path
    }

    private mutating func store(
        _ path: [String], _ value: Value, line: Int, into document: inout TOMLDocument
    ) throws(TOMLError) {
        let name = path.joined(separator: ".")
        switch value {
        case .plain(let plain):
            if let earlier = document.entries[name] {
                throw TOMLError(file: file, line: line, reason: "\(name) is set twice (first on line \(earlier.line))")
            }
            if document.tables[name] != nil {
                throw TOMLError(file: file, line: line, reason: "\(name) is already a table")
            }
            document.entries[name] = TOMLEntry(value: plain, line: line)
        case .table(let pairs):
            document.tables[name] = document.tables[name] ?? line
            for (key, inner) in pairs { try store(path + key, inner, line: line, into: &document) }
        }
    }

    // MARK: Keys and values

    private indirect enum Value {
        case plain(TOMLValue)
        case table([([String], Value)])
    }

    private mutating func keyPath() throws(TOMLError) -> [String] {
        var parts = [try simpleKey()]
        while true {
            skipSpaces()
            guard peek() == UInt8(ascii: ".") else { return parts }
            advance()
            skipSpaces()
            parts.append(try simpleKey())
        }
    }

    private mutating func simpleKey() throws(TOMLError) -> String {
        switch peek() {
        case UInt8(ascii: "\""): return try basicString()
        case UInt8(ascii: "'"): return try literalString()
        default:
            let start = position
            while let byte = peek(), Self.isBareKeyByte(byte) { advance() }
            guard position > start else { throw fail("expected a key (letters, digits, _ and -, or a quoted name)") }
            return String(decoding: bytes[start..<position], as: UTF8.self)
        }
    }

    private mutating func value(depth: Int) throws(TOMLError) -> Value {
        guard depth < Self.maxDepth else { throw fail("values are nested more than \(Self.maxDepth) deep") }
        switch peek() {
        case UInt8(ascii: "\""): return .plain(.string(try basicString()))
        case UInt8(ascii: "'"): return .plain(.string(try literalString()))
        case UInt8(ascii: "["): return .plain(try array(depth: depth))
        case UInt8(ascii: "{"): return try inlineTable(depth: depth)
        default: return .plain(try scalar())
        }
    }

    private mutating func array(depth: Int) throws(TOMLError) -> TOMLValue {
        advance()
        var items: [TOMLValue] = []
        while true {
            skipBlankAndComments()
            if peek() == UInt8(ascii: "]") {
                advance()
                return .array(items)
            }
            guard case .plain(let item) = try value(depth: depth + 1) else {
                throw fail("inline tables inside arrays are not used in picolayer.toml")
            }
            items.append(item)
            skipBlankAndComments()
            if peek() == UInt8(ascii: ",") {
                advance()
            } else if peek() != UInt8(ascii: "]") {
                throw fail("expected , or ] in the array")
            }
        }
    }

    private mutating func inlineTable(depth: Int) throws(TOMLError) -> Value {
        advance()
        var pairs: [([String], Value)] = []
        skipSpaces()
        if peek() == UInt8(ascii: "}") {
            advance()
            return .table(pairs)
        }
        while true {
            skipSpaces()
            if peek() == UInt8(ascii: "\n") || peek() == UInt8(ascii: "\r") {
                throw fail("an inline table stays on one line; use a [table] for more")
            }
            let key = try keyPath()
            skipSpaces()
            try expect(UInt8(ascii: "="), "after the key \(key.joined(separator: "."))")
            skipSpaces()
            pairs.append((key, try value(depth: depth + 1)))
            skipSpaces()
            if peek() == UInt8(ascii: "}") {
                advance()
                return .table(pairs)
            }
            try expect(UInt8(ascii: ","), "or } in the inline table (an inline table stays on one line)")
        }
    }

    private mutating func scalar() throws(TOMLError) -> TOMLValue {
        let start = position
        while let byte = peek(), !Self.endsScalar(byte) { advance() }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        switch text {
        case "true": return .boolean(true)
        case "false": return .boolean(false)
        case "": throw fail("expected a value")
        default: break
        }
        if let number = Self.integer(text) { return .integer(number) }
        let numeric = text.first.map { ("0"..."9").contains($0) || $0 == "+" || $0 == "-" } ?? false
        let fractionOrDate = text.dropFirst().contains { ".eE:-T".contains($0) }
        if numeric && fractionOrDate || ["inf", "nan", "+inf", "-inf", "+nan", "-nan"].contains(text) {
            throw fail("\(text): floats, dates and times are not used in picolayer.toml")
        }
        throw fail("\(text) is not a value: quote a string (\"...\"), or write a whole number, true or false")
    }

    /// A decimal integer as TOML writes it: an optional sign, no leading zero, `_` only between digits.
    static func integer(_ text: String) -> Int? {
        let unsigned = text.first == "+" || text.first == "-" ? text.dropFirst() : Substring(text)
        guard let first = unsigned.first, let last = unsigned.last, first != "_", last != "_",
            !unsigned.contains("__"), unsigned.count == 1 || first != "0",
            unsigned.allSatisfy({ ("0"..."9").contains($0) || $0 == "_" })
        else { return nil }
        return Int(text.replacing("_", with: ""))
    }

    private mutating func basicString() throws(TOMLError) -> String {
        advance()
        if peek() == UInt8(ascii: "\""), peek(1) == UInt8(ascii: "\"") {
            throw fail("multi-line strings (\"\"\") are not used in picolayer.toml")
        }
        var out: [UInt8] = []
        while let byte = peek() {
            if byte == UInt8(ascii: "\n") { throw fail("a string ends at the end of its line: close it with \"") }
            advance()
            switch byte {
            case UInt8(ascii: "\""): return try text(out)
            case UInt8(ascii: "\\"): out += try escape()
            default:
                if byte < 0x20 && byte != 0x09 || byte == 0x7F { throw fail("a control character in a string") }
                out.append(byte)
            }
        }
        throw fail("the string is not closed")
    }

    private mutating func escape() throws(TOMLError) -> [UInt8] {
        guard let byte = peek() else { throw fail("the string is not closed") }
        advance()
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): return [byte]
        case UInt8(ascii: "n"): return [0x0A]
        case UInt8(ascii: "t"): return [0x09]
        case UInt8(ascii: "r"): return [0x0D]
        case UInt8(ascii: "b"): return [0x08]
        case UInt8(ascii: "f"): return [0x0C]
        case UInt8(ascii: "u"): return try unicodeEscape(digits: 4)
        case UInt8(ascii: "U"): return try unicodeEscape(digits: 8)
        default: throw fail("\\\(Character(Unicode.Scalar(byte))) is not an escape TOML knows")
        }
    }

    private mutating func unicodeEscape(digits: Int) throws(TOMLError) -> [UInt8] {
        var value: UInt32 = 0
        for _ in 0..<digits {
            guard let byte = peek(), let digit = TextFormat.hexValue(byte) else {
                throw fail("\\u and \\U take \(digits) hex digits")
            }
            advance()
            value = value << 4 | UInt32(digit)
        }
        guard let scalar = Unicode.Scalar(value) else { throw fail("\\u escape of a code point that is not one") }
        return Array(String(Character(scalar)).utf8)
    }

    private mutating func literalString() throws(TOMLError) -> String {
        advance()
        if peek() == UInt8(ascii: "'"), peek(1) == UInt8(ascii: "'") {
            throw fail("multi-line strings (''') are not used in picolayer.toml")
        }
        let start = position
        while let byte = peek(), byte != UInt8(ascii: "'") {
            if byte == UInt8(ascii: "\n") { throw fail("a string ends at the end of its line: close it with '") }
            advance()
        }
        guard peek() != nil else { throw fail("the string is not closed") }
        let body = Array(bytes[start..<position])
        advance()
        return try text(body)
    }

    private func text(_ bytes: [UInt8]) throws(TOMLError) -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw fail("a string is not valid UTF-8") }
        return text
    }

    // MARK: Bytes

    private func peek(_ ahead: Int = 0) -> UInt8? {
        position + ahead < bytes.count ? bytes[position + ahead] : nil
    }

    private mutating func advance() {
        if bytes[position] == UInt8(ascii: "\n") { line += 1 }
        position += 1
    }

    private mutating func skipSpaces() {
        while let byte = peek(), byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") { advance() }
    }

    /// Spaces, line ends and comments (inside arrays too).
    private mutating func skipBlankAndComments() {
        while let byte = peek() {
            if byte == UInt8(ascii: "#") {
                while let next = peek(), next != UInt8(ascii: "\n") { advance() }
            } else if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n")
                || byte == UInt8(ascii: "\r")
            {
                advance()
            } else {
                return
            }
        }
    }

    /// After a key's value or a header: only spaces and a comment before the line ends.
    private mutating func endOfLine() throws(TOMLError) {
        skipSpaces()
        if peek() == UInt8(ascii: "#") {
            while let next = peek(), next != UInt8(ascii: "\n") { advance() }
        }
        if peek() == UInt8(ascii: "\r") { advance() }
        guard let byte = peek() else { return }
        guard byte == UInt8(ascii: "\n") else { throw fail("expected the end of the line after the value") }
        advance()
    }

    private mutating func expect(_ byte: UInt8, _ context: String) throws(TOMLError) {
        guard peek() == byte else { throw fail("expected \(Character(Unicode.Scalar(byte))) \(context)") }
        advance()
    }

    private func fail(_ reason: String) -> TOMLError {
        TOMLError(file: file, line: line, reason: reason)
    }

    private static func isBareKeyByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    private static func endsScalar(_ byte: UInt8) -> Bool {
        [
            UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: ","),
            UInt8(ascii: "]"), UInt8(ascii: "}"), UInt8(ascii: "#"),
        ].contains(byte)
    }
}
