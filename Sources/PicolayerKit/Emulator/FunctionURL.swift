import FoundationEssentials

/// What a Lambda function URL makes of an HTTP request, and of the function's answer: the request and response
/// payload format 2.0 of the Lambda developer guide ("Invoking Lambda function URLs", request and response
/// payloads), which API Gateway's HTTP API also uses.
public enum FunctionURL {
    /// The request as the event a function URL sends.
    public struct Request: Sendable {
        public var method: String
        /// The request target: path and query, as sent.
        public var target: String
        public var headers: [(name: String, value: String)]
        public var body: [UInt8]
        public var sourceIP: String
        public var host: String
        public var requestID: String
        public var time: Date

        public init(
            method: String, target: String, headers: [(name: String, value: String)], body: [UInt8], sourceIP: String,
            host: String, requestID: String, time: Date
        ) {
            self.method = method
            self.target = target
            self.headers = headers
            self.body = body
            self.sourceIP = sourceIP
            self.host = host
            self.requestID = requestID
            self.time = time
        }
    }

    /// Content types whose body is passed as text; any other body (or one that is not UTF-8) is base64.
    static func isText(_ contentType: String?) -> Bool {
        guard let type = contentType?.split(separator: ";").first?.trimmingWhitespace().lowercased() else {
            return true
        }
        return type.hasPrefix("text/") || type.hasSuffix("+json") || type.hasSuffix("+xml")
            || ["application/json", "application/xml", "application/javascript", "application/x-www-form-urlencoded"]
                .contains(type)
    }

    /// The payload format 2.0 event for `request`.
    public static func event(_ request: Request) throws -> [UInt8] {
        let parts = request.target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = String(parts.first ?? "/")
        let query = parts.count > 1 ? String(parts[1]) : ""
        var headers: [String: String] = [:]
        var cookies: [String] = []
        for (name, value) in request.headers {
            let key = name.lowercased()
            if key == "cookie" {
                cookies += value.split(separator: ";").map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
                continue
            }
            // Repeated headers are joined with commas, as the function URL does.
            headers[key] = headers[key].map { $0 + "," + value } ?? value
        }
        let contentType = headers["content-type"]
        let text = isText(contentType) ? String(validating: request.body, as: UTF8.self) : nil
        let timeEpoch = Int64((request.time.timeIntervalSince1970 * 1000).rounded(.down))
        var event: [String: JSONValue] = [
            "version": "2.0", "routeKey": "$default", "rawPath": .string(path), "rawQueryString": .string(query),
            "headers": JSONValue(headers),
            "requestContext": [
                "accountId": "anonymous", "apiId": "picolayer", "domainName": .string(request.host),
                "domainPrefix": .string(String(request.host.split(separator: ".").first ?? "localhost")),
                "http": [
                    "method": .string(request.method), "path": .string(path), "protocol": "HTTP/1.1",
                    "sourceIp": .string(request.sourceIP), "userAgent": .string(headers["user-agent"] ?? ""),
                ],
                "requestId": .string(request.requestID), "routeKey": "$default", "stage": "$default",
                "time": .string(clfTime(request.time)), "timeEpoch": .number(Double(timeEpoch)),
            ],
            "isBase64Encoded": .bool(text == nil && !request.body.isEmpty),
        ]
        if !cookies.isEmpty { event["cookies"] = JSONValue(cookies) }
        if let parameters = queryParameters(query) { event["queryStringParameters"] = JSONValue(parameters) }
        if !request.body.isEmpty {
            event["body"] = .string(text ?? Data(request.body).base64EncodedString())
        }
        return try JSONValue.object(event).encoded()
    }

    /// `a=1&b=2&a=3` as `{"a": "1,3", "b": "2"}` (decoded; repeated names joined with commas); nil when empty.
    static func queryParameters(_ query: String) -> [String: String]? {
        guard !query.isEmpty else { return nil }
        var parameters: [String: String] = [:]
        for (name, value) in queryPairs(query) {
            parameters[name] = parameters[name].map { $0 + "," + value } ?? value
        }
        return parameters
    }

    /// `a=1&a=2&b` as `[("a", "1"), ("a", "2"), ("b", "")]`, in order and decoded (`+` is a space), as both
    /// front doors read a query.
    static func queryPairs(_ query: String) -> [(name: String, value: String)] {
        func decode(_ text: Substring) -> String {
            let spaced = String(text).replacing("+", with: " ")
            return spaced.percentDecoded ?? spaced
        }
        return query.split(separator: "&").map { pair in
            let halves = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (decode(halves[0]), halves.count > 1 ? decode(halves[1]) : "")
        }
    }

    /// `03/Dec/2026:09:00:00 +0000`, the request context's `time`.
    static func clfTime(_ date: Date) -> String {
        let time = UTCTime(date)
        return "\(UTCTime.pad(time.day, 2))/\(UTCTime.monthNames[time.month - 1])/\(time.year):"
            + "\(UTCTime.pad(time.hour, 2)):\(UTCTime.pad(time.minute, 2)):\(UTCTime.pad(time.second, 2)) +0000"
    }

    /// The HTTP answer for a function's result.
    public struct Response: Sendable, Equatable {
        public var status: Int
        public var headers: [(name: String, value: String)]
        public var body: [UInt8]

        public static func == (lhs: Response, rhs: Response) -> Bool {
            lhs.status == rhs.status && lhs.body == rhs.body
                && lhs.headers.map { [$0.name, $0.value] } == rhs.headers.map { [$0.name, $0.value] }
        }
    }

    /// How a function URL answers: a function error is 502; an object with `statusCode` gives its status,
    /// `headers`, `cookies` (as `Set-Cookie`) and `body` (`isBase64Encoded` decoded); any other JSON is the body
    /// of a 200 `application/json`; a payload that is not JSON is sent as it is.
    public static func response(payload: [UInt8], isError: Bool) -> Response {
        if isError {
            return Response(
                status: 502, headers: [("Content-Type", "application/json")],
                body: Array(#"{"Message":"Internal Server Error"}"#.utf8))
        }
        guard let json = try? JSONValue.parse(payload) else {
            return Response(status: 200, headers: [("Content-Type", "application/json")], body: payload)
        }
        guard case .object(let fields) = json, let status = fields["statusCode"]?.int else {
            return Response(status: 200, headers: [("Content-Type", "application/json")], body: payload)
        }
        var headers: [(name: String, value: String)] = []
        for (name, value) in (fields["headers"]?.object ?? [:]).sorted(by: { $0.key < $1.key }) {
            headers.append(
                (name, value.string ?? (try? value.encoded()).map { String(decoding: $0, as: UTF8.self) } ?? ""))
        }
        for cookie in fields["cookies"]?.array ?? [] {
            if let text = cookie.string { headers.append(("Set-Cookie", text)) }
        }
        if !headers.contains(where: { $0.name.lowercased() == "content-type" }) {
            headers.append(("Content-Type", "application/json"))
        }
        let text = fields["body"]?.string ?? ""
        let base64 = fields["isBase64Encoded"] == .bool(true)
        let body = base64 ? Data(base64Encoded: text).map(Array.init) : Array(text.utf8)
        guard let body else {
            return Response(
                status: 502, headers: [("Content-Type", "application/json")],
                body: Array(#"{"Message":"Internal Server Error"}"#.utf8))
        }
        return Response(status: (100...599).contains(status) ? status : 502, headers: headers, body: body)
    }
}
