import FoundationEssentials

/// One published version of a layer with the fields bref's `layers.json` lists.
public struct LayerVersionSummary: Sendable, Codable, Equatable {
    public var version: Int
    public var layerVersionArn: String
    /// `Content.CodeSha256`. ListLayerVersions leaves it out on AWS (moto includes it); `LayerLister` then reads
    /// it with GetLayerVersion.
    public var codeSha256: String?
    public var architectures: [String]
    public var runtimes: [String]
    /// `CreatedDate` as Lambda gives it (`2026-11-24T10:00:00.000+0000`).
    public var created: String?

    public init(
        version: Int, layerVersionArn: String, codeSha256: String? = nil, architectures: [String] = [],
        runtimes: [String] = [], created: String? = nil
    ) {
        self.version = version
        self.layerVersionArn = layerVersionArn
        self.codeSha256 = codeSha256
        self.architectures = architectures
        self.runtimes = runtimes
        self.created = created
    }

    /// An item of `LayerVersions`; nil without `Version` or `LayerVersionArn`.
    init?(item: JSONValue) {
        guard let version = item["Version"]?.int, let arn = item["LayerVersionArn"]?.string else { return nil }
        self.init(
            version: version, layerVersionArn: arn, codeSha256: item["Content"]?["CodeSha256"]?.string,
            architectures: item["CompatibleArchitectures"]?.array?.compactMap(\.string) ?? [],
            runtimes: item["CompatibleRuntimes"]?.array?.compactMap(\.string) ?? [],
            created: item["CreatedDate"]?.string)
    }
}

extension LambdaClient {
    /// How many pages of `ListLayerVersions` are followed before giving up (50 versions a page).
    public static let maxListPages = 100

    /// Every version of the layer, newest first (follows `NextMarker`, at most `maxListPages` pages). A layer
    /// that does not exist has none.
    public func layerVersionSummaries(layerName: String) async throws -> [LayerVersionSummary] {
        var versions: [LayerVersionSummary] = []
        var marker: String?
        for _ in 0..<Self.maxListPages {
            var query: [SignableRequest.QueryItem] = []
            if let marker { query.append(.init("Marker", marker)) }
            let request = AWSRequest(
                operation: "ListLayerVersions", method: "GET",
                path: "/2018-10-31/layers/\(Self.segment(layerName))/versions", query: query)
            let response: HTTPResponse
            do {
                response = try await client.send(request)
            } catch let error as AWSError where error.serviceCode == "ResourceNotFoundException" {
                return []
            }
            let json = try Self.object(response, "ListLayerVersions")
            versions += (json["LayerVersions"]?.array ?? []).compactMap(LayerVersionSummary.init(item:))
            guard let next = json["NextMarker"]?.string, !next.isEmpty else {
                return versions.sorted { $0.version > $1.version }
            }
            marker = next
        }
        throw AWSError.tooManyPages(operation: "ListLayerVersions", limit: Self.maxListPages)
    }
}
