import Foundation

/// The Lambda control-plane operations picolayer uses (rest-json, API versions 2018-10-31 and 2015-03-31).
public struct LambdaClient: Sendable {
    public var client: AWSClient

    public init(client: AWSClient) {
        self.client = client
    }

    /// What `PublishLayerVersion` and `GetLayerVersion` answer (the fields picolayer reads).
    public struct LayerVersion: Sendable, Codable, Equatable {
        public var layerArn: String
        public var layerVersionArn: String
        public var version: Int
        public var codeSha256: String?
        public var codeSize: Int?

        init(json: [String: Any], operation: String) throws {
            guard let arn = json["LayerVersionArn"] as? String, let version = (json["Version"] as? NSNumber)?.intValue
            else {
                throw AWSError.invalidResponse(operation: operation, reason: "no LayerVersionArn/Version in the answer")
            }
            let content = json["Content"] as? [String: Any]
            self.layerVersionArn = arn
            self.layerArn = json["LayerArn"] as? String ?? String(arn[..<(arn.lastIndex(of: ":") ?? arn.endIndex)])
            self.version = version
            self.codeSha256 = content?["CodeSha256"] as? String
            self.codeSize = (content?["CodeSize"] as? NSNumber)?.intValue
        }
    }

    /// Where the layer's code comes from.
    public enum LayerContent: Sendable {
        /// The zip inline, base64 in the JSON body, streamed from this file.
        case zipFile(path: String, size: Int64)
        case s3(bucket: String, key: String)
    }

    public struct PublishInput: Sendable {
        public var layerName: String
        public var content: LayerContent
        public var description: String
        public var licenseInfo: String
        public var compatibleRuntimes: [String]
        public var compatibleArchitectures: [String]

        public init(
            layerName: String, content: LayerContent, description: String, licenseInfo: String,
            compatibleRuntimes: [String], compatibleArchitectures: [String]
        ) {
            self.layerName = layerName
            self.content = content
            self.description = description
            self.licenseInfo = licenseInfo
            self.compatibleRuntimes = compatibleRuntimes
            self.compatibleArchitectures = compatibleArchitectures
        }
    }

    static func segment(_ value: String) -> String { SigV4Signer.uriEncode(value, keepSlash: false) }
    static let jsonHeaders: [(name: String, value: String)] = [(name: "Content-Type", value: "application/json")]

    /// The `PublishLayerVersion` request. With inline content the body is
    /// `{..., "Content": {"ZipFile": "` + base64(file) + `"}}` streamed from disk, never built in memory.
    public static func publishRequest(_ input: PublishInput) throws -> AWSRequest {
        var fields: [String: Any] = [
            "Description": input.description, "LicenseInfo": input.licenseInfo,
            "CompatibleRuntimes": input.compatibleRuntimes,
        ]
        if !input.compatibleArchitectures.isEmpty { fields["CompatibleArchitectures"] = input.compatibleArchitectures }
        let body: RequestBody
        switch input.content {
        case .s3(let bucket, let key):
            fields["Content"] = ["S3Bucket": bucket, "S3Key": key]
            body = .bytes(try jsonBytes(fields))
        case .zipFile(let path, let size):
            body = try inlineZipBody(fields: fields, key: "Content", zipPath: path, zipSize: size)
        }
        return AWSRequest(
            operation: "PublishLayerVersion", method: "POST",
            path: "/2018-10-31/layers/\(segment(input.layerName))/versions", headers: jsonHeaders, body: body)
    }

    public func publishLayerVersion(_ input: PublishInput) async throws -> LayerVersion {
        let response = try await client.send(try Self.publishRequest(input))
        return try LayerVersion(
            json: try Self.object(response, "PublishLayerVersion"), operation: "PublishLayerVersion")
    }

    /// Every version of the layer, newest first (follows `NextMarker`). A layer that does not exist has none.
    public func listLayerVersions(layerName: String) async throws -> [Int] {
        var versions: [Int] = []
        var marker: String?
        for _ in 0..<1000 {
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
            let items = json["LayerVersions"] as? [[String: Any]] ?? []
            versions += items.compactMap { ($0["Version"] as? NSNumber)?.intValue }
            guard let next = json["NextMarker"] as? String, !next.isEmpty else { break }
            marker = next
        }
        return versions.sorted(by: >)
    }

    public func getLayerVersion(layerName: String, version: Int) async throws -> LayerVersion {
        let request = AWSRequest(
            operation: "GetLayerVersion", method: "GET",
            path: "/2018-10-31/layers/\(Self.segment(layerName))/versions/\(version)")
        let response = try await client.send(request)
        return try LayerVersion(json: try Self.object(response, "GetLayerVersion"), operation: "GetLayerVersion")
    }

    /// Grants `lambda:GetLayerVersion`. Answers `false` when a statement with this id already existed (409).
    @discardableResult
    public func addLayerVersionPermission(
        layerName: String, version: Int, statementId: String, principal: String, organizationId: String?
    ) async throws -> Bool {
        var fields: [String: Any] = [
            "StatementId": statementId, "Action": "lambda:GetLayerVersion", "Principal": principal,
        ]
        if let organizationId { fields["OrganizationId"] = organizationId }
        let request = AWSRequest(
            operation: "AddLayerVersionPermission", method: "POST",
            path: "/2018-10-31/layers/\(Self.segment(layerName))/versions/\(version)/policy", headers: Self.jsonHeaders,
            body: .bytes(try Self.jsonBytes(fields)))
        do {
            _ = try await client.send(request)
            return true
        } catch AWSError.service(_, 409, _, _, _) {
            return false
        }
    }

    /// The function's layer version ARNs, in order.
    public func getFunctionLayers(functionName: String) async throws -> [String] {
        let request = AWSRequest(
            operation: "GetFunctionConfiguration", method: "GET",
            path: "/2015-03-31/functions/\(Self.segment(functionName))/configuration")
        let json = try Self.object(try await client.send(request), "GetFunctionConfiguration")
        let layers = json["Layers"] as? [[String: Any]] ?? []
        return layers.compactMap { $0["Arn"] as? String }
    }

    public func updateFunctionLayers(functionName: String, layers: [String]) async throws {
        let request = AWSRequest(
            operation: "UpdateFunctionConfiguration", method: "PUT",
            path: "/2015-03-31/functions/\(Self.segment(functionName))/configuration", headers: Self.jsonHeaders,
            body: .bytes(try Self.jsonBytes(["Layers": layers])))
        _ = try await client.send(request)
    }

    /// `current` with any version of `layerArn` replaced by `newVersionArn` (appended when absent); other layers kept.
    public static func replacingLayer(in current: [String], layerArn: String, with newVersionArn: String) -> [String] {
        var replaced = false
        var result: [String] = []
        for arn in current {
            let base = arn.lastIndex(of: ":").map { String(arn[..<$0]) } ?? arn
            if base == layerArn {
                if !replaced { result.append(newVersionArn) }
                replaced = true
            } else {
                result.append(arn)
            }
        }
        if !replaced { result.append(newVersionArn) }
        return result
    }

    static func jsonBytes(_ object: [String: Any]) throws -> [UInt8] {
        Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
    }

    static func object(_ response: HTTPResponse, _ operation: String) throws -> [String: Any] {
        guard let json = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] else {
            throw AWSError.invalidResponse(
                operation: operation, reason: "expected a JSON object, got \(response.body.count) bytes")
        }
        return json
    }
}
