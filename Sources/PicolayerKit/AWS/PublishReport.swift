import FoundationEssentials

/// The outcome in one region.
public struct RegionResult: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable {
        /// A new layer version was created.
        case published
        /// The newest version already had this zip's CodeSha256; nothing was created.
        case unchanged
        case failed
        /// `--dry-run`: nothing was sent.
        case planned
    }

    public var region: String
    public var status: Status
    public var layerVersionArn: String?
    public var version: Int?
    public var codeSha256: String?
    public var madePublic: Bool
    public var functionsUpdated: [String]
    public var error: String?
}

public struct PublishReport: Sendable, Codable, Equatable {
    public var layerName: String
    public var zip: String
    /// Base64 SHA-256 of the zip, as Lambda reports `CodeSha256`.
    public var codeSha256: String
    public var results: [RegionResult]

    public var anyFailed: Bool { results.contains { $0.status == .failed } }

    /// One line per region: region, status, version, ARN, CodeSha256 (error text for failures).
    public func table() -> String {
        var rows = [["REGION", "STATUS", "VERSION", "LAYER VERSION ARN / ERROR", "CODESHA256"]]
        for result in results {
            rows.append([
                result.region, result.status.rawValue, result.version.map(String.init) ?? "-",
                result.error ?? result.layerVersionArn ?? "-", result.codeSha256 ?? "-",
            ])
        }
        return TextFormat.table(rows)
    }

    /// `{"layerName", "zip", "codeSha256", "regions": {region: {...}}}`, keys sorted.
    public func json() throws -> String {
        struct Shape: Encodable {
            var layerName: String
            var zip: String
            var codeSha256: String
            var regions: [String: RegionResult]
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let shape = Shape(
            layerName: layerName, zip: zip, codeSha256: codeSha256,
            regions: Dictionary(results.map { ($0.region, $0) }, uniquingKeysWith: { first, _ in first }))
        return String(decoding: try encoder.encode(shape), as: UTF8.self)
    }
}
