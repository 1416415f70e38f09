import FoundationEssentials

/// What a deploy did.
public struct DeployReport: Sendable, Codable, Equatable {
    public enum CodeAction: String, Sendable, Codable {
        case created
        case updated
        /// The function already had this CodeSha256: nothing was uploaded.
        case unchanged
    }

    public var functionName: String
    public var functionArn: String
    public var region: String
    public var code: CodeAction
    /// Base64 SHA-256 of the zip, as Lambda reports `CodeSha256`.
    public var codeSha256: String
    public var zipBytes: Int64
    /// The configuration fields UpdateFunctionConfiguration changed (`Handler`, `Layers`, ...), none when unchanged.
    public var configurationChanged: [String]
    public var runtime: String?
    public var handler: String?
    public var memorySize: Int?
    public var timeout: Int?
    public var architectures: [String]
    public var layers: [String]
    public var environmentNames: [String]
    public var state: String?
    public var lastUpdateStatus: String?
    /// The version PublishVersion answered, with `--publish-version`.
    public var publishedVersion: String?
    public var publishedVersionArn: String?
    /// `--dry-run`: `code` and `configurationChanged` say what would be done; nothing was.
    public var dryRun = false
    /// `--dry-run`: the names of the zip's entries, in zip order (what would ship); nil otherwise.
    public var files: [String]?

    /// One `name  value` line per fact.
    public func table() -> String {
        var rows: [(String, String)] = dryRun ? [("dry run", "nothing was changed; what a deploy would do:")] : []
        rows += [
            ("function", functionName), ("arn", functionArn), ("region", region), ("code", code.rawValue),
            ("codeSha256", codeSha256), ("zip bytes", String(zipBytes)),
            (
                "configuration",
                configurationChanged.isEmpty ? "unchanged" : configurationChanged.joined(separator: ", ")
            ),
            ("runtime", runtime ?? "-"), ("handler", handler ?? "-"), ("memory", memorySize.map { "\($0) MB" } ?? "-"),
            ("timeout", timeout.map { "\($0) s" } ?? "-"), ("architecture", architectures.joined(separator: ", ")),
            ("layers", layers.isEmpty ? "-" : layers.joined(separator: "\n" + String(repeating: " ", count: 14))),
            ("environment", environmentNames.isEmpty ? "-" : environmentNames.joined(separator: ", ")),
            ("state", "\(state ?? "-") / \(lastUpdateStatus ?? "-")"),
            ("version", publishedVersionArn ?? "-"),
        ]
        return rows.map { $0.0.rightPadded(14) + $0.1 }.joined(separator: "\n")
    }

    /// The report as one JSON object, keys sorted.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
