import FoundationEssentials

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

        init(json: [String: JSONValue], operation: String) throws {
            guard let arn = json["LayerVersionArn"]?.string, let version = json["Version"]?.int else {
                throw AWSError.invalidResponse(operation: operation, reason: "no LayerVersionArn/Version in the answer")
            }
            let content = json["Content"]?.object
            self.layerVersionArn = arn
            self.layerArn = json["LayerArn"]?.string ?? LambdaClient.layerArn(of: arn)
            self.version = version
            self.codeSha256 = content?["CodeSha256"]?.string
            self.codeSize = content?["CodeSize"]?.int
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
        var fields: [String: JSONValue] = [
            "Description": .string(input.description), "LicenseInfo": .string(input.licenseInfo),
            "CompatibleRuntimes": JSONValue(input.compatibleRuntimes),
        ]
        if !input.compatibleArchitectures.isEmpty {
            fields["CompatibleArchitectures"] = JSONValue(input.compatibleArchitectures)
        }
        let body: RequestBody
        switch input.content {
        case .s3(let bucket, let key):
            fields["Content"] = JSONValue(["S3Bucket": bucket, "S3Key": key])
            body = .bytes(try jsonBytes(fields))
        case .zipFile(let path, let size):
            body = try inlineZipBody(fields: fields, key: "Content", zipPath: path, zipSize: size)
        }
        return AWSRequest(
            operation: "PublishLayerVersion", method: "POST",
            path: "/2018-10-31/layers/\(segment(input.layerName))/versions", headers: jsonHeaders, body: body)
    }

    public func publishLayerVersion(_ input: PublishInput, progress: RequestBody.Progress? = nil) async throws
        -> LayerVersion
    {
        var request = try Self.publishRequest(input)
        request.body.progress = progress
        let response = try await client.send(request)
        return try LayerVersion(
            json: try Self.object(response, "PublishLayerVersion"), operation: "PublishLayerVersion")
    }

    /// The version numbers of the layer, newest first (see `layerVersionSummaries`).
    public func listLayerVersions(layerName: String) async throws -> [Int] {
        try await layerVersionSummaries(layerName: layerName).map(\.version)
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
        var fields: [String: JSONValue] = [
            "StatementId": .string(statementId), "Action": "lambda:GetLayerVersion", "Principal": .string(principal),
        ]
        if let organizationId { fields["OrganizationId"] = .string(organizationId) }
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

    /// The layer's ARN without its version: `arn:aws:lambda:REGION:ACCOUNT:layer:NAME` from `...:NAME:VERSION`.
    public static func layerArn(of versionArn: String) -> String {
        versionArn.lastIndex(of: ":").map { String(versionArn[..<$0]) } ?? versionArn
    }

    /// `current` with any version of `layerArn` replaced by `newVersionArn` (appended when absent); other layers kept.
    public static func replacingLayer(in current: [String], layerArn: String, with newVersionArn: String) -> [String] {
        var replaced = false
        var result: [String] = []
        for arn in current {
            if Self.layerArn(of: arn) == layerArn {
                if !replaced { result.append(newVersionArn) }
                replaced = true
            } else {
                result.append(arn)
            }
        }
        if !replaced { result.append(newVersionArn) }
        return result
    }

    static func jsonBytes(_ object: [String: JSONValue]) throws -> [UInt8] {
        try JSONValue.object(object).encoded()
    }

    static func object(_ response: HTTPResponse, _ operation: String) throws -> [String: JSONValue] {
        guard let json = JSONValue.object(parsing: response.body) else {
            throw AWSError.invalidResponse(
                operation: operation, reason: "expected a JSON object, got \(response.body.count) bytes")
        }
        return json
    }
}
