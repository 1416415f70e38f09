import ArgumentParser
import FoundationEssentials
import PicolayerKit

extension Picolayer {
    /// `picolayer config`: every project setting as the commands will see it, and where each came from.
    struct Config: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the project's settings as resolved, and where each came from.",
            discussion: """
                Reads picolayer.toml of this folder (or PICOLAYER_CONFIG) and the environment. Each setting is \
                resolved in one order: a command's flag, then its environment variable, then picolayer.toml, then \
                picolayer's default; flags belong to each command, so this shows the rest. Unknown keys in the \
                file are an error naming the key and the line. See docs/config.md.
                """)

        @Flag(help: "Print the settings as one JSON object: key -> {value, source}.")
        var json = false

        func run() async throws {
            let settings = try ProjectSettings.current(environment: ProcessInfo.processInfo.environment)
            var rows: [(key: String, value: TOMLValue?, source: String)] = ProjectKey.allCases.map { key in
                let found = settings.value(key)
                return (key.rawValue, found?.value, found?.source.description ?? "not set")
            }
            if let file = settings.file {
                let prefix = ProjectKey.environmentTable + "."
                for (name, entry) in file.document.entries.sorted(by: { $0.key < $1.key }) where name.hasPrefix(prefix)
                {
                    rows.append((name, entry.value, "\(file.path):\(entry.line)"))
                }
            }
            if json {
                var object: [String: JSONValue] = [:]
                for row in rows {
                    object[row.key] = ["value": row.value.map(Self.json) ?? .null, "source": .string(row.source)]
                }
                let document: JSONValue = [
                    "file": settings.file.map { .string($0.path) } ?? .null, "settings": .object(object),
                ]
                printResult(String(decoding: try document.encoded(), as: UTF8.self))
                return
            }
            printResult("file: \(settings.file?.path ?? "none (no picolayer.toml here; PICOLAYER_CONFIG unset)")")
            let width = rows.map(\.key.count).max() ?? 0
            for row in rows {
                let value = row.value.map(Self.text) ?? "-"
                printResult(row.key.rightPadded(width + 2) + value.rightPadded(24) + "  (\(row.source))")
            }
        }

        static func text(_ value: TOMLValue) -> String {
            switch value {
            case .string(let text): return text
            case .integer(let number): return String(number)
            case .boolean(let flag): return flag ? "true" : "false"
            case .array(let items): return "[" + items.map(text).joined(separator: ", ") + "]"
            }
        }

        static func json(_ value: TOMLValue) -> JSONValue {
            switch value {
            case .string(let text): return .string(text)
            case .integer(let number): return .number(Double(number))
            case .boolean(let flag): return .bool(flag)
            case .array(let items): return .array(items.map(json))
            }
        }
    }
}
