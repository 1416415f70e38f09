import FoundationEssentials

/// The function operations `picolayer deploy` uses (API version 2015-03-31):
///
/// ```
/// GET  /2015-03-31/functions/{name}                GetFunction
/// POST /2015-03-31/functions                       CreateFunction          (201)
/// PUT  /2015-03-31/functions/{name}/code           UpdateFunctionCode
/// PUT  /2015-03-31/functions/{name}/configuration  UpdateFunctionConfiguration
/// POST /2015-03-31/functions/{name}/versions       PublishVersion          (201)
/// ```
extension LambdaClient {
    /// What GetFunction (its `Configuration`) and the update operations answer: the fields deploy reads.
    public struct FunctionInfo: Sendable, Equatable {
        public var functionName: String
        public var functionArn: String
        public var runtime: String?
        public var handler: String?
        public var memorySize: Int?
        public var timeout: Int?
        public var architectures: [String]
        public var environment: [String: String]
        /// Layer version ARNs, in order.
        public var layers: [String]
        /// Base64 SHA-256 of the code zip.
        public var codeSha256: String?
        /// `Pending`, `Active`, `Inactive` or `Failed`; absent in some older answers.
        public var state: String?
        public var stateReason: String?
        /// `InProgress`, `Successful` or `Failed`; absent right after CreateFunction.
        public var lastUpdateStatus: String?
        public var lastUpdateStatusReason: String?
        /// `$LATEST`, or the number PublishVersion gave.
        public var version: String?

        public init(json: [String: JSONValue], operation: String) throws {
            guard let name = json["FunctionName"]?.string, let arn = json["FunctionArn"]?.string else {
                throw AWSError.invalidResponse(
                    operation: operation, reason: "no FunctionName/FunctionArn in the answer")
            }
            functionName = name
            functionArn = arn
            runtime = json["Runtime"]?.string
            handler = json["Handler"]?.string
            memorySize = json["MemorySize"]?.int
            timeout = json["Timeout"]?.int
            architectures = (json["Architectures"]?.array ?? []).compactMap(\.string)
            environment = json["Environment"]?["Variables"]?.stringObject ?? [:]
            layers = (json["Layers"]?.array ?? []).compactMap { $0["Arn"]?.string }
            codeSha256 = json["CodeSha256"]?.string
            state = json["State"]?.string
            stateReason = json["StateReason"]?.string
            lastUpdateStatus = json["LastUpdateStatus"]?.string
            lastUpdateStatusReason = json["LastUpdateStatusReason"]?.string
            version = json["Version"]?.string
        }
    }

    /// What CreateFunction is given. The code is always the zip inline, streamed from the file.
    public struct CreateFunctionInput: Sendable {
        public var functionName: String
        public var role: String
        public var runtime: String
        public var handler: String
        public var zipPath: String
        public var zipSize: Int64
        /// Empty: Lambda's default (`x86_64`).
        public var architectures: [String]
        public var memorySize: Int?
        public var timeout: Int?
        public var environment: [String: String]?
        public var layers: [String]
        public var description: String?

        public init(
            functionName: String, role: String, runtime: String = "provided.al2023", handler: String, zipPath: String,
            zipSize: Int64, architectures: [String] = [], memorySize: Int? = nil, timeout: Int? = nil,
            environment: [String: String]? = nil, layers: [String] = [], description: String? = nil
        ) {
            self.functionName = functionName
            self.role = role
            self.runtime = runtime
            self.handler = handler
            self.zipPath = zipPath
            self.zipSize = zipSize
            self.architectures = architectures
            self.memorySize = memorySize
            self.timeout = timeout
            self.environment = environment
            self.layers = layers
            self.description = description
        }
    }

    /// What UpdateFunctionConfiguration changes; `nil` fields are left as they are.
    public struct ConfigurationUpdate: Sendable, Equatable {
        public var handler: String?
        public var memorySize: Int?
        public var timeout: Int?
        /// The whole map of variables (Lambda replaces it as a whole).
        public var environment: [String: String]?
        public var layers: [String]?

        public init(
            handler: String? = nil, memorySize: Int? = nil, timeout: Int? = nil,
            environment: [String: String]? = nil, layers: [String]? = nil
        ) {
            self.handler = handler
            self.memorySize = memorySize
            self.timeout = timeout
            self.environment = environment
            self.layers = layers
        }

        public var isEmpty: Bool { self == ConfigurationUpdate() }

        var fields: [String: JSONValue] {
            var fields: [String: JSONValue] = [:]
            if let handler { fields["Handler"] = .string(handler) }
            if let memorySize { fields["MemorySize"] = .number(Double(memorySize)) }
            if let timeout { fields["Timeout"] = .number(Double(timeout)) }
            if let environment { fields["Environment"] = ["Variables": JSONValue(environment)] }
            if let layers { fields["Layers"] = JSONValue(layers) }
            return fields
        }
    }

    static func functionPath(_ name: String, _ suffix: String = "") -> String {
        "/2015-03-31/functions/\(segment(name))\(suffix)"
    }

    /// A JSON body of `fields` with `"<key>":{"ZipFile":"<base64 of the file>"}` (or `"ZipFile":"..."` at the top
    /// level when `key` is nil) spliced in before the closing brace, the base64 streamed from disk.
    static func inlineZipBody(fields: [String: JSONValue], key: String?, zipPath: String, zipSize: Int64) throws
        -> RequestBody
    {
        var head = try jsonBytes(fields)
        head.removeLast()  // "}"
        if head.count > 1 { head += Array(",".utf8) }
        let tail: String
        if let key {
            head += Array(#""\#(key)":{"ZipFile":""#.utf8)
            tail = #""}}"#
        } else {
            head += Array(#""ZipFile":""#.utf8)
            tail = #""}"#
        }
        return RequestBody(parts: [
            .bytes(head), .file(path: zipPath, offset: 0, length: zipSize, base64: true), .bytes(Array(tail.utf8)),
        ])
    }

    public static func createFunctionRequest(_ input: CreateFunctionInput) throws -> AWSRequest {
        var fields: [String: JSONValue] = [
            "FunctionName": .string(input.functionName), "Role": .string(input.role),
            "Runtime": .string(input.runtime), "Handler": .string(input.handler), "PackageType": "Zip",
        ]
        if !input.architectures.isEmpty { fields["Architectures"] = JSONValue(input.architectures) }
        if !input.layers.isEmpty { fields["Layers"] = JSONValue(input.layers) }
        if let memorySize = input.memorySize { fields["MemorySize"] = .number(Double(memorySize)) }
        if let timeout = input.timeout { fields["Timeout"] = .number(Double(timeout)) }
        if let environment = input.environment { fields["Environment"] = ["Variables": JSONValue(environment)] }
        if let description = input.description { fields["Description"] = .string(description) }
        return AWSRequest(
            operation: "CreateFunction", method: "POST", path: "/2015-03-31/functions", headers: jsonHeaders,
            body: try inlineZipBody(fields: fields, key: "Code", zipPath: input.zipPath, zipSize: input.zipSize))
    }

    /// The `UpdateFunctionCode` request: `{"Architectures":[...],"ZipFile":"<base64>"}`, streamed.
    public static func updateFunctionCodeRequest(
        functionName: String, zipPath: String, zipSize: Int64, architectures: [String]
    ) throws -> AWSRequest {
        var fields: [String: JSONValue] = [:]
        if !architectures.isEmpty { fields["Architectures"] = JSONValue(architectures) }
        return AWSRequest(
            operation: "UpdateFunctionCode", method: "PUT", path: functionPath(functionName, "/code"),
            headers: jsonHeaders,
            body: try inlineZipBody(fields: fields, key: nil, zipPath: zipPath, zipSize: zipSize))
    }

    /// The function's configuration, or `nil` when there is no such function (ResourceNotFoundException).
    public func getFunction(functionName: String) async throws -> FunctionInfo? {
        let request = AWSRequest(operation: "GetFunction", method: "GET", path: Self.functionPath(functionName))
        let response: HTTPResponse
        do {
            response = try await client.send(request)
        } catch let error as AWSError where error.serviceCode == "ResourceNotFoundException" {
            return nil
        }
        let json = try Self.object(response, "GetFunction")
        guard let configuration = json["Configuration"]?.object else {
            throw AWSError.invalidResponse(operation: "GetFunction", reason: "no Configuration in the answer")
        }
        return try FunctionInfo(json: configuration, operation: "GetFunction")
    }

    /// The function's configuration; a missing function is the service's ResourceNotFoundException error.
    public func getFunctionConfiguration(functionName: String) async throws -> FunctionInfo {
        let request = AWSRequest(
            operation: "GetFunctionConfiguration", method: "GET",
            path: Self.functionPath(functionName, "/configuration"))
        let response = try await client.send(request)
        return try FunctionInfo(
            json: try Self.object(response, "GetFunctionConfiguration"), operation: "GetFunctionConfiguration")
    }

    public func createFunction(_ input: CreateFunctionInput, progress: RequestBody.Progress? = nil) async throws
        -> FunctionInfo
    {
        var request = try Self.createFunctionRequest(input)
        request.body.progress = progress
        let response = try await client.send(request)
        return try FunctionInfo(json: try Self.object(response, "CreateFunction"), operation: "CreateFunction")
    }

    public func updateFunctionCode(
        functionName: String, zipPath: String, zipSize: Int64, architectures: [String],
        progress: RequestBody.Progress? = nil
    ) async throws -> FunctionInfo {
        var request = try Self.updateFunctionCodeRequest(
            functionName: functionName, zipPath: zipPath, zipSize: zipSize, architectures: architectures)
        request.body.progress = progress
        let response = try await client.send(request)
        return try FunctionInfo(json: try Self.object(response, "UpdateFunctionCode"), operation: "UpdateFunctionCode")
    }

    public func updateFunctionConfiguration(functionName: String, _ update: ConfigurationUpdate) async throws
        -> FunctionInfo
    {
        let request = AWSRequest(
            operation: "UpdateFunctionConfiguration", method: "PUT",
            path: Self.functionPath(functionName, "/configuration"), headers: Self.jsonHeaders,
            body: .bytes(try Self.jsonBytes(update.fields)))
        let response = try await client.send(request)
        return try FunctionInfo(
            json: try Self.object(response, "UpdateFunctionConfiguration"), operation: "UpdateFunctionConfiguration")
    }

    /// Publishes `$LATEST` as a new version, only if its code still has `codeSha256` (Lambda refuses otherwise).
    public func publishVersion(functionName: String, codeSha256: String?, description: String? = nil) async throws
        -> FunctionInfo
    {
        var fields: [String: JSONValue] = [:]
        if let codeSha256 { fields["CodeSha256"] = .string(codeSha256) }
        if let description { fields["Description"] = .string(description) }
        let request = AWSRequest(
            operation: "PublishVersion", method: "POST", path: Self.functionPath(functionName, "/versions"),
            headers: Self.jsonHeaders, body: .bytes(try Self.jsonBytes(fields)))
        let response = try await client.send(request)
        return try FunctionInfo(json: try Self.object(response, "PublishVersion"), operation: "PublishVersion")
    }
}
