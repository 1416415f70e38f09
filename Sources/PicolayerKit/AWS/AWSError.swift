import FoundationEssentials

/// What can go wrong while talking to AWS. Messages name the value involved and what to do next; none of them
/// contains a secret access key or a session token.
public enum AWSError: Error, LocalizedError, Equatable {
    case noCredentials(searched: [String])
    case partialCredentials(source: String, missing: String)
    /// A source was configured but what it gave (or how it is configured) cannot be used.
    case invalidCredentials(source: String, reason: String)
    /// A source was configured and tried, but failed; `remedy` says what to do.
    case credentialSourceFailed(source: String, reason: String, remedy: String)
    case unreadableConfigFile(path: String, reason: String)
    case noRegion(searched: [String])
    /// A region not in `KnownRegions.all`, with the closest known one when there is one.
    case unknownRegion(String, suggestion: String?)
    /// A listing still had a `NextMarker` after `limit` pages.
    case tooManyPages(operation: String, limit: Int)
    case invalidEndpoint(String)
    /// The service answered with an error (after retries, when the error was retryable).
    case service(operation: String, status: Int, code: String, message: String, requestId: String?)
    /// No answer at all: connection refused, reset, timed out.
    case transport(operation: String, endpoint: String, reason: String)
    /// The service answered 2xx but the body was not what the operation returns.
    case invalidResponse(operation: String, reason: String)
    /// The wire path would be rewritten by the HTTP stack after signing, which would break the signature.
    case unsendablePath(String)

    public var errorDescription: String? {
        switch self {
        case .noCredentials(let searched):
            return "no AWS credentials found. Searched:\n"
                + searched.map { "  - \($0)" }.joined(separator: "\n")
                + "\nSet AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or pass --profile NAME for a configured profile "
                + "(keys, role_arn, sso_session, credential_process); see docs/credentials.md."
        case .partialCredentials(let source, let missing):
            return "incomplete AWS credentials in \(source): \(missing) is missing. Add it or remove the other key."
        case .invalidCredentials(let source, let reason):
            return "unusable AWS credentials from \(source): \(reason)."
        case .credentialSourceFailed(let source, let reason, let remedy):
            return "could not get AWS credentials from \(source): \(reason). \(remedy)"
        case .unreadableConfigFile(let path, let reason):
            return
                "cannot read AWS config file \(path): \(reason). Fix its permissions or point the variable elsewhere."
        case .noRegion(let searched):
            return
                "no AWS region found (searched \(searched.joined(separator: ", "))). Pass --region, e.g. --region us-east-1."
        case .unknownRegion(let region, let suggestion):
            let guess = suggestion.map { ". Did you mean '\($0)'?" } ?? "."
            return
                "unknown region '\(region)'\(guess) (pass --allow-unknown-region for a region newer than this picolayer)"
        case .tooManyPages(let operation, let limit):
            return "\(operation) still had more to list after \(limit) pages; picolayer stops there. "
                + "Delete old versions, or report this if the service keeps answering the same NextMarker."
        case .invalidEndpoint(let url):
            return "endpoint URL '\(url)' is not an http(s)://host[:port] URL. Fix --endpoint-url or AWS_ENDPOINT_URL*."
        case .service(let operation, let status, let code, let message, let requestId):
            let request = requestId.map { " (request id \($0))" } ?? ""
            return "\(operation) failed: \(code) (HTTP \(status)): \(message)\(request)\(Self.hint(code: code))"
        case .transport(let operation, let endpoint, let reason):
            return "\(operation) failed: no answer from \(endpoint): \(reason). Check the endpoint and your network."
        case .invalidResponse(let operation, let reason):
            return "\(operation) answered something picolayer cannot read: \(reason)."
        case .unsendablePath(let path):
            return
                "the request path '\(path)' would be re-encoded by the HTTP client after signing; this is a bug in picolayer."
        }
    }

    /// The error code of a `.service` error, `nil` for the others.
    public var serviceCode: String? {
        if case .service(_, _, let code, _, _) = self { return code }
        return nil
    }

    private static func hint(code: String) -> String {
        switch code {
        case "SignatureDoesNotMatch", "InvalidSignatureException":
            return ". Check the secret access key that goes with this access key id (or the clock, if it is far off)."
        case "InvalidClientTokenId", "UnrecognizedClientException", "InvalidAccessKeyId":
            return ". The access key id is unknown to this endpoint: check the credentials and the region/partition."
        case "ExpiredToken", "ExpiredTokenException":
            return ". The session token has expired: get fresh temporary credentials."
        case "AccessDeniedException", "AccessDenied":
            return ". The identity lacks a permission: see the message for the action to allow."
        default:
            return ""
        }
    }
}

/// Reads AWS error answers: rest-json (`x-amzn-ErrorType`, `__type`/`code`, `message`/`Message`), S3's XML
/// `<Error>` and the query-protocol `<ErrorResponse><Errors><Error>` that moto sends for Lambda too.
public enum AWSErrorParser {
    public static func parse(status: Int, headers: [(name: String, value: String)], body: [UInt8]) -> (
        code: String, message: String
    ) {
        var code = headers.first { $0.name.lowercased() == "x-amzn-errortype" }.map { clean(code: $0.value) }
        var message: String?
        let text = String(decoding: body, as: UTF8.self)
        if let object = JSONValue.object(parsing: body) {
            if code == nil {
                code = (object["__type"]?.string ?? object["code"]?.string ?? object["Code"]?.string)
                    .map(clean(code:))
            }
            message = object["message"]?.string ?? object["Message"]?.string ?? object["errorMessage"]?.string
        } else if text.contains("<") {
            if code == nil { code = xmlElement("Code", in: text) }
            message = xmlElement("Message", in: text)
        }
        let fallbackCode = HTTPStatusName.name(status)
        let fallbackMessage = text.isEmpty ? "no error details in the answer" : String(text.prefix(200))
        return (code.flatMap { $0.isEmpty ? nil : $0 } ?? fallbackCode, message ?? fallbackMessage)
    }

    /// `InvalidSignatureException:http://internal.amazon.com/...` and `aws.protocoltests#Foo` become the bare name.
    static func clean(code: String) -> String {
        var value = Substring(code)
        if let colon = value.firstIndex(of: ":") { value = value[..<colon] }
        if let hash = value.lastIndex(of: "#") { value = value[value.index(after: hash)...] }
        return value.trimmingWhitespace()
    }

    /// The text of the first `<name>...</name>`, XML entities decoded.
    static func xmlElement(_ name: String, in text: String) -> String? {
        guard let open = text.firstRange(of: "<\(name)>"),
            let close = text[open.upperBound...].firstRange(of: "</\(name)>")
        else { return nil }
        return xmlUnescape(String(text[open.upperBound..<close.lowerBound]))
    }

    static func xmlUnescape(_ text: String) -> String {
        text.replacing("&lt;", with: "<").replacing("&gt;", with: ">")
            .replacing("&quot;", with: "\"").replacing("&apos;", with: "'")
            .replacing("&amp;", with: "&")
    }
}

enum HTTPStatusName {
    static func name(_ status: Int) -> String {
        switch status {
        case 400: return "BadRequest"
        case 403: return "Forbidden"
        case 404: return "NotFound"
        case 409: return "Conflict"
        case 413: return "RequestEntityTooLarge"
        case 429: return "TooManyRequests"
        case 500: return "InternalServerError"
        case 502: return "BadGateway"
        case 503: return "ServiceUnavailable"
        case 504: return "GatewayTimeout"
        default: return "HTTP\(status)"
        }
    }
}
