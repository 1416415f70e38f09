import FoundationEssentials

/// `--env-file`: one `KEY=VALUE` a line; blank lines and lines starting with `#` are skipped, an optional
/// `export ` prefix is allowed, and a value wrapped in matching single or double quotes loses them.
public enum EnvironmentFile {
    public static func parse(_ text: String, file: String) throws(EmulatorError) -> [String: String] {
        var variables: [String: String] = [:]
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = rawLine.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst("export ".count)) }
            guard let equals = line.firstIndex(of: "="), equals != line.startIndex else {
                // The line may be a pasted secret: name the file and line, never echo what it holds.
                throw .invalidEnvironmentLine(
                    file: file, line: index + 1, text: "\(rawLine.count) characters, not shown")
            }
            let key = line[..<equals].trimmingWhitespace()
            var value = String(line[line.index(after: equals)...])
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            }
            variables[key] = value
        }
        return variables
    }
}
