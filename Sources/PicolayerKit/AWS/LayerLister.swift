import FoundationEssentials
import Logging

/// Lists a layer's published versions in one or many regions (`picolayer layers`). Each region runs on its own;
/// a failure in one is kept in its entry and does not stop the others.
public struct LayerLister: Sendable {
    public var layerName: String
    public var regions: [String]
    /// Credentials, endpoint overrides, transport and logger; each region's client is built from it.
    public var services: AWSServiceContext

    public init(layerName: String, regions: [String], services: AWSServiceContext) {
        self.layerName = layerName
        self.regions = regions
        self.services = services
    }

    /// Every region's versions, newest first, in the order the regions were given.
    public func run() async -> LayerListing {
        var entries: [String: LayerListing.Region] = [:]
        await withTaskGroup(of: LayerListing.Region.self) { group in
            for region in Set(regions) {
                group.addTask { await self.list(region: region) }
            }
            for await entry in group { entries[entry.region] = entry }
        }
        var seen: Set<String> = []
        let ordered = regions.filter { seen.insert($0).inserted }.compactMap { entries[$0] }
        return LayerListing(layerName: layerName, regions: ordered)
    }

    /// ListLayerVersions, then GetLayerVersion for each version the listing gave no CodeSha256 for (AWS's
    /// listing never does).
    func list(region: String) async -> LayerListing.Region {
        var services = services
        services.logger = services.logger.scoped(region)
        do {
            let lambda = LambdaClient(client: try services.client(for: .lambda, region: region))
            var versions = try await lambda.layerVersionSummaries(layerName: layerName)
            for index in versions.indices where versions[index].codeSha256 == nil {
                versions[index].codeSha256 =
                    try await lambda.getLayerVersion(layerName: layerName, version: versions[index].version).codeSha256
            }
            services.logger.debug("\(versions.count) versions of \(layerName)")
            return LayerListing.Region(region: region, versions: versions, error: nil)
        } catch {
            return LayerListing.Region(region: region, versions: [], error: ErrorText.describe(error))
        }
    }
}

/// What `picolayer layers` prints: per region, the layer's versions or the error that region gave.
public struct LayerListing: Sendable, Equatable {
    public struct Region: Sendable, Equatable {
        public var region: String
        public var versions: [LayerVersionSummary]
        public var error: String?

        public init(region: String, versions: [LayerVersionSummary], error: String?) {
            self.region = region
            self.versions = versions
            self.error = error
        }
    }

    public var layerName: String
    public var regions: [Region]

    public init(layerName: String, regions: [Region]) {
        self.layerName = layerName
        self.regions = regions
    }

    public var anyFailed: Bool { regions.contains { $0.error != nil } }

    /// One line per version (a region without versions or with an error: one line saying so).
    public func table() -> String {
        var rows = [
            ["REGION", "VERSION", "CREATED", "ARCHITECTURES", "RUNTIMES", "LAYER VERSION ARN / ERROR", "CODESHA256"]
        ]
        for entry in regions {
            if entry.error != nil || entry.versions.isEmpty {
                rows.append([entry.region, "-", "-", "-", "-", entry.error ?? "no versions of \(layerName)", "-"])
            }
            for version in entry.versions {
                rows.append([
                    entry.region, String(version.version), version.created ?? "-",
                    Self.list(version.architectures), Self.list(version.runtimes), version.layerVersionArn,
                    version.codeSha256 ?? "-",
                ])
            }
        }
        return TextFormat.table(rows)
    }

    static func list(_ items: [String]) -> String { items.isEmpty ? "-" : items.joined(separator: ",") }

    /// One compact line: `{"layerName", "regions": {region: [{version, layerVersionArn, codeSha256,
    /// architectures, runtimes, created}]}}`, keys sorted; a failed region is `{"error": TEXT}` instead of a list.
    public func json() throws -> String {
        struct Shape: Encodable {
            var layerName: String
            var regions: [String: Entry]
        }
        enum Entry: Encodable {
            case versions([LayerVersionSummary])
            case failed(String)

            func encode(to encoder: any Encoder) throws {
                switch self {
                case .versions(let versions): try versions.encode(to: encoder)
                case .failed(let error): try ["error": error].encode(to: encoder)
                }
            }
        }
        let entries = regions.map { ($0.region, $0.error.map(Entry.failed) ?? Entry.versions($0.versions)) }
        let shape = Shape(layerName: layerName, regions: Dictionary(entries, uniquingKeysWith: { first, _ in first }))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(shape), as: UTF8.self)
    }
}
