import FoundationEssentials

/// `--env-file`: a dotenv file, read the way dotenv tools (python-dotenv, Docker Compose) read it. One
/// `KEY=VALUE` a line; blank lines and lines starting with `#` are skipped, and an optional `export ` prefix is
/// allowed. A value in double quotes ends at the closing quote and understands `\n`, `\t`, `\"` and `\\`; a
/// value in single quotes is taken literally up to the closing quote; after either, a `# comment` is ignored.
/// An unquoted value ends at ` #` (a `#` after whitespace starts a comment) and loses surrounding whitespace.
public enum EnvironmentFile {
    public static func parse(_ text: String, file: String) throws(EmulatorError) -> [String: String] {
        var variables: [String: String] = [:]
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = rawLine.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = line.dropFirst("export ".count).trimmingWhitespace() }
            guard let equals = line.firstIndex(of: "="), equals != line.startIndex,
                let value = Self.value(of: line[line.index(after: equals)...])
            else {
                // The line may be a pasted secret: name the file and line, never echo what it holds.
                throw .invalidEnvironmentLine(
                    file: file, line: index + 1, text: "\(rawLine.count) characters, not shown")
            }
            variables[line[..<equals].trimmingWhitespace()] = value
        }
        return variables
    }

    /// The value after `=`; nil when a quoted value is not closed, or text other than a comment follows it.
    static func value(of raw: Substring) -> String? {
        let text = raw.trimmingWhitespace()
        guard let quote = text.first, quote == "\"" || quote == "'" else {
            var value = ""
            var previous: Character = " "
            for character in text {
                if character == "#", previous == " " || previous == "\t" { break }
                value.append(character)
                previous = character
            }
            return value.trimmingWhitespace()
        }
        var value = ""
        var escaped = false
        var rest: Substring?
        var position = text.index(after: text.startIndex)
        while position < text.endIndex {
            let character = text[position]
            position = text.index(after: position)
            if escaped {
                switch character {
                case "n": value.append("\n")
                case "t": value.append("\t")
                case "\"", "\\": value.append(character)
                default: value.append("\\"); value.append(character)
                }
                escaped = false
            } else if quote == "\"", character == "\\" {
                escaped = true
            } else if character == quote {
                rest = text[position...]
                break
            } else {
                value.append(character)
            }
        }
        guard let rest else { return nil }
        let after = rest.trimmingWhitespace()
        guard after.isEmpty || after.hasPrefix("#") else { return nil }
        return value
    }
}
