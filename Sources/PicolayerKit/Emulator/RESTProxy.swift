import FoundationEssentials

/// Which front door `serve --http` plays.
public enum HTTPPayloadFormat: String, Sendable, CaseIterable {
    /// A function URL (and API Gateway's HTTP API): payload format 2.0.
    case v2 = "2.0"
    /// API Gateway's REST API with a Lambda proxy integration on `ANY /{proxy+}` (and `ANY /`): payload format 1.0.
    case v1 = "1.0"

    func event(_ request: FunctionURL.Request) throws -> [UInt8] {
        switch self {
        case .v2: try FunctionURL.event(request)
        case .v1: try RESTProxy.event(request)
        }
    }

    func response(payload: [UInt8], isError: Bool) -> FunctionURL.Response {
        switch self {
        case .v2: FunctionURL.response(payload: payload, isError: isError)
        case .v1: RESTProxy.response(payload: payload, isError: isError)
        }
    }
}

/// API Gateway's REST API in front of a function, as the API Gateway developer guide describes the Lambda proxy
/// integration ("Input format of a Lambda function for proxy integration" and "Output format ..."): header names
/// keep their case, `headers` and `queryStringParameters` hold the last value of a repeated name and the
/// `multiValue` maps hold all of them, cookies stay in the `Cookie` header, and an answer that is not a proxy
/// response is a 502 `{"message": "Internal server error"}`.
enum RESTProxy {
    static let stage = "local"

    static func event(_ request: FunctionURL.Request) throws -> [UInt8] {
        let parts = request.target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = String(parts.first ?? "/")
        let query = parts.count > 1 ? String(parts[1]) : ""
        var headers: [String: JSONValue] = [:]
        var multiHeaders: [String: [String]] = [:]
        for (name, value) in request.headers {
            headers[name] = .string(value)
            multiHeaders[name, default: []].append(value)
        }
        var parameters: [String: JSONValue] = [:]
        var multiParameters: [String: [String]] = [:]
        for (name, value) in FunctionURL.queryPairs(query) {
            parameters[name] = .string(value)
            multiParameters[name, default: []].append(value)
        }
        let contentType = request.headers.last { $0.name.lowercased() == "content-type" }?.value
        let text = FunctionURL.isText(contentType) ? String(validating: request.body, as: UTF8.self) : nil
        let decodedPath = path.percentDecoded ?? path
        let isRoot = decodedPath == "/" || decodedPath.isEmpty
        let resource = isRoot ? "/" : "/{proxy+}"
        let userAgent = request.headers.last { $0.name.lowercased() == "user-agent" }?.value
        let event: [String: JSONValue] = [
            "resource": .string(resource), "path": .string(decodedPath), "httpMethod": .string(request.method),
            "headers": headers.isEmpty ? .null : .object(headers),
            "multiValueHeaders": multiHeaders.isEmpty ? .null : .object(multiHeaders.mapValues { JSONValue($0) }),
            "queryStringParameters": parameters.isEmpty ? .null : .object(parameters),
            "multiValueQueryStringParameters": multiParameters.isEmpty
                ? .null : .object(multiParameters.mapValues { JSONValue($0) }),
            "pathParameters": isRoot ? .null : ["proxy": .string(String(decodedPath.dropFirst()))],
            "stageVariables": .null,
            "requestContext": [
                "accountId": "123456789012", "apiId": "picolayer", "domainName": .string(request.host),
                "domainPrefix": .string(String(request.host.split(separator: ".").first ?? "localhost")),
                "extendedRequestId": .string(request.requestID), "httpMethod": .string(request.method),
                "identity": [
                    "sourceIp": .string(request.sourceIP), "userAgent": userAgent.map(JSONValue.string) ?? .null,
                ],
                "path": .string("/\(stage)\(decodedPath)"), "protocol": "HTTP/1.1",
                "requestId": .string(request.requestID), "requestTime": .string(FunctionURL.clfTime(request.time)),
                "requestTimeEpoch": .number((request.time.timeIntervalSince1970 * 1000).rounded(.down)),
                "resourceId": "picolayer", "resourcePath": .string(resource), "stage": .string(stage),
            ],
            "body": request.body.isEmpty ? .null : .string(text ?? Data(request.body).base64EncodedString()),
            "isBase64Encoded": .bool(text == nil && !request.body.isEmpty),
        ]
        return try JSONValue.object(event).encoded()
    }

    static let internalError = FunctionURL.Response(
        status: 502,
        headers: [("Content-Type", "application/json"), ("x-amzn-ErrorType", "InternalServerErrorException")],
        body: Array(#"{"message": "Internal server error"}"#.utf8))

    /// A proxy response is an object with an integer `statusCode`, optional `headers` (strings),
    /// `multiValueHeaders` (lists of strings, which win over `headers` for the same name), a string `body` and
    /// `isBase64Encoded`. Anything else, or a function error, is API Gateway's 502.
    static func response(payload: [UInt8], isError: Bool) -> FunctionURL.Response {
        guard !isError, case .object(let fields)? = try? JSONValue.parse(payload),
            let status = fields["statusCode"]?.int, (100...599).contains(status)
        else { return internalError }
        var merged: [(name: String, values: [String])] = []
        for (name, value) in (fields["headers"]?.object ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard let text = value.string ?? value.int.map(String.init) else { return internalError }
            merged.append((name, [text]))
        }
        for (name, value) in (fields["multiValueHeaders"]?.object ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard let values = value.array?.compactMap({ $0.string ?? $0.int.map(String.init) }),
                values.count == value.array?.count
            else { return internalError }
            merged.removeAll { $0.name.lowercased() == name.lowercased() }
            merged.append((name, values))
        }
        var headers = merged.flatMap { header in header.values.map { (name: header.name, value: $0) } }
        if !headers.contains(where: { $0.name.lowercased() == "content-type" }) {
            headers.append(("Content-Type", "application/json"))
        }
        if let body = fields["body"], body != .null, body.string == nil { return internalError }
        let text = fields["body"]?.string ?? ""
        guard
            let body = fields["isBase64Encoded"] == .bool(true)
                ? Data(base64Encoded: text).map(Array.init) : Array(text.utf8)
        else { return internalError }
        return FunctionURL.Response(status: status, headers: headers, body: body)
    }
}
