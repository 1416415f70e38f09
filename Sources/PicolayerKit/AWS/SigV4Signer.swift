import Crypto
import FoundationEssentials

/// An HTTP request as the signer sees it: the exact bytes that go on the wire, before signing.
///
/// `path` is the request target's path exactly as it will be written on the request line (already
/// percent-encoded once, as in `/2018-10-31/layers/arn%3Aaws.../versions`). `query` holds decoded name/value
/// pairs; `wireQuery` encodes them the same way the signer does, so what is signed is what is sent.
public struct SignableRequest: Sendable, Equatable {
    public var method: String
    public var path: String
    public var query: [QueryItem]
    /// Header fields in the order they will be sent; names keep their case, repeats stay separate fields.
    public var headers: [(name: String, value: String)]

    public struct QueryItem: Sendable, Equatable {
        public var name: String
        /// `nil` writes `name` alone on the wire (`?uploads`); the canonical form is `name=` either way.
        public var value: String?
        public init(_ name: String, _ value: String?) {
            self.name = name
            self.value = value
        }
    }

    public init(method: String, path: String, query: [QueryItem] = [], headers: [(name: String, value: String)] = []) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
    }

    public static func == (lhs: SignableRequest, rhs: SignableRequest) -> Bool {
        lhs.method == rhs.method && lhs.path == rhs.path && lhs.query == rhs.query
            && lhs.headers.map { [$0.name, $0.value] } == rhs.headers.map { [$0.name, $0.value] }
    }

    /// The query as it goes on the request line (without `?`), each name and value `UriEncode`d.
    public var wireQuery: String {
        query.map { item in
            let name = SigV4Signer.uriEncode(item.name, keepSlash: false)
            guard let value = item.value else { return name }
            return name + "=" + SigV4Signer.uriEncode(value, keepSlash: false)
        }.joined(separator: "&")
    }

    /// The values of every header field named `name` (case-insensitive), in order.
    public func values(of name: String) -> [String] {
        headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }

    mutating func setHeader(_ name: String, _ value: String) {
        headers.removeAll { $0.name.lowercased() == name.lowercased() }
        headers.append((name: name, value: value))
    }
}

/// The result of signing: the request with `X-Amz-Date`, `Authorization` and friends added, plus every
/// intermediate value of the algorithm so tests and `--debug` output can compare them with AWS's.
public struct SignedRequest: Sendable {
    public var request: SignableRequest
    public var canonicalRequest: String
    public var stringToSign: String
    public var signature: String
    public var authorization: String
}

/// AWS Signature Version 4 for the `Authorization` header, as a value: give it credentials, a scope and the
/// time, and it signs. Steps are named after AWS's specification ("Create a signed AWS API request").
///
/// Two flavours of canonical URI exist. Every service except S3 normalises the path and URI-encodes the wire
/// path once more (`%3A` becomes `%253A`); S3 signs the wire path exactly as sent (`PathRule.s3`).
public struct SigV4Signer: Sendable {
    public enum PathRule: Sendable, Equatable {
        /// Non-S3 services: optional RFC 3986 dot-segment removal and `//` collapsing, then encode once more.
        case encodeAgain(normalize: Bool)
        /// S3: the canonical URI is the wire path, untouched.
        case s3
    }

    public static let algorithm = "AWS4-HMAC-SHA256"
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    /// Header names never signed because the HTTP stack may add, drop or rewrite them.
    static let unsignedHeaders: Set<String> = [
        "authorization", "connection", "expect", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
        "trailer", "transfer-encoding", "upgrade", "user-agent", "x-amzn-trace-id",
    ]

    public var credentials: AWSCredentials
    public var region: String
    public var service: String
    public var pathRule: PathRule
    /// Add and sign `x-amz-content-sha256` (required by S3; Lambda accepts it; moto needs it on body-less GETs).
    public var signsPayloadHeader: Bool
    /// `false` sends `X-Amz-Security-Token` but leaves it out of the canonical request (`omit_session_token`).
    public var signsSessionToken: Bool

    public init(
        credentials: AWSCredentials, region: String, service: String,
        pathRule: PathRule = .encodeAgain(normalize: true),
        signsPayloadHeader: Bool = true, signsSessionToken: Bool = true
    ) {
        self.credentials = credentials
        self.region = region
        self.service = service
        self.pathRule = pathRule
        self.signsPayloadHeader = signsPayloadHeader
        self.signsSessionToken = signsSessionToken
    }

    /// Signs `request` whose body hashes to `payloadHash` (lower-case hex SHA-256, or `UNSIGNED-PAYLOAD`),
    /// as of `date`. The request must already carry its `Host` header.
    public func sign(_ request: SignableRequest, payloadHash: String, at date: Date) -> SignedRequest {
        let amzDate = Self.amzDate(date)
        var request = request
        request.setHeader("X-Amz-Date", amzDate)
        if signsPayloadHeader && request.values(of: "x-amz-content-sha256").isEmpty {
            request.headers.append((name: "x-amz-content-sha256", value: payloadHash))
        }
        if let token = credentials.sessionToken, signsSessionToken {
            request.setHeader("X-Amz-Security-Token", token)
        }
        let payload = request.values(of: "x-amz-content-sha256").first ?? payloadHash
        let canonical = canonicalRequest(request, payloadHash: payload)
        let scope = credentialScope(amzDate: amzDate)
        let toSign = stringToSign(canonicalRequest: canonical.text, amzDate: amzDate, scope: scope)
        let key = signingKey(dateStamp: String(amzDate.prefix(8)))
        let signature = self.signature(stringToSign: toSign, signingKey: key)
        let authorization =
            "\(Self.algorithm) Credential=\(credentials.accessKeyId)/\(scope), SignedHeaders=\(canonical.signedHeaders), Signature=\(signature)"
        request.headers.append((name: "Authorization", value: authorization))
        if let token = credentials.sessionToken, !signsSessionToken {
            request.setHeader("X-Amz-Security-Token", token)
        }
        return SignedRequest(
            request: request, canonicalRequest: canonical.text, stringToSign: toSign, signature: signature,
            authorization: authorization)
    }

    // MARK: - Task 1: canonical request

    /// `Method \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders \n SignedHeaders \n HexPayloadHash`.
    public func canonicalRequest(_ request: SignableRequest, payloadHash: String) -> (
        text: String, signedHeaders: String
    ) {
        let headers = canonicalHeaders(request.headers)
        let text = [
            request.method.uppercased(),
            canonicalURI(request.path),
            Self.canonicalQueryString(request.query),
            headers.block,
            headers.signedHeaders,
            payloadHash,
        ].joined(separator: "\n")
        return (text, headers.signedHeaders)
    }

    /// The path as signed: see `PathRule`.
    public func canonicalURI(_ wirePath: String) -> String {
        switch pathRule {
        case .s3:
            return wirePath.isEmpty ? "/" : wirePath
        case .encodeAgain(let normalize):
            let path = normalize ? Self.normalizedPath(wirePath) : (wirePath.isEmpty ? "/" : wirePath)
            return Self.uriEncode(path, keepSlash: true)
        }
    }

    /// Names and values encoded, sorted by name then value (byte order), `name=` when there is no value.
    public static func canonicalQueryString(_ query: [SignableRequest.QueryItem]) -> String {
        query.map { (uriEncode($0.name, keepSlash: false), uriEncode($0.value ?? "", keepSlash: false)) }
            .sorted {
                $0.0 == $1.0
                    ? Array($0.1.utf8).lexicographicallyPrecedes($1.1.utf8)
                    : Array($0.0.utf8).lexicographicallyPrecedes($1.0.utf8)
            }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }

    /// Lower-cased names sorted; values trimmed with inner whitespace runs collapsed; repeats joined with `,`
    /// in the order received. Returns the block (each line ending in `\n`) and the `SignedHeaders` list.
    public func canonicalHeaders(_ headers: [(name: String, value: String)]) -> (block: String, signedHeaders: String) {
        var joined: [String: [String]] = [:]
        for (name, value) in headers {
            let lower = name.lowercased()
            if Self.unsignedHeaders.contains(lower) { continue }
            if lower == "x-amz-security-token" && !signsSessionToken { continue }
            joined[lower, default: []].append(Self.collapsedWhitespace(value))
        }
        let names = joined.keys.sorted { Array($0.utf8).lexicographicallyPrecedes($1.utf8) }
        let block = names.map { "\($0):\(joined[$0, default: []].joined(separator: ","))\n" }.joined()
        return (block, names.joined(separator: ";"))
    }

    // MARK: - Task 2: string to sign

    public func credentialScope(amzDate: String) -> String {
        "\(amzDate.prefix(8))/\(region)/\(service)/aws4_request"
    }

    public func stringToSign(canonicalRequest: String, amzDate: String, scope: String) -> String {
        [Self.algorithm, amzDate, scope, Self.hexSHA256(Array(canonicalRequest.utf8))].joined(separator: "\n")
    }

    // MARK: - Task 3: signature

    /// `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
    public func signingKey(dateStamp: String) -> SymmetricKey {
        var key = SymmetricKey(data: Array(("AWS4" + credentials.secretAccessKey).utf8))
        for part in [dateStamp, region, service, "aws4_request"] {
            key = SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
        }
        return key
    }

    public func signature(stringToSign: String, signingKey: SymmetricKey) -> String {
        TextFormat.hex(Array(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: signingKey)))
    }

    // MARK: - Helpers named in the specification

    /// `YYYYMMDD'T'HHMMSS'Z'` in UTC.
    public static func amzDate(_ date: Date) -> String {
        UTCTime(date).compact
    }

    /// `UriEncode()`: every byte except `A-Za-z0-9-._~` (and `/` when `keepSlash`) becomes `%XX`, upper-case hex.
    public static func uriEncode(_ text: String, keepSlash: Bool) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if isUnreserved(byte) || (keepSlash && byte == UInt8(ascii: "/")) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "%" + hexDigits[Int(byte >> 4)] + hexDigits[Int(byte & 0xF)]
            }
        }
        return out
    }

    /// RFC 3986 "remove dot segments" plus collapsing of repeated `/`; keeps a leading and a trailing `/`.
    public static func normalizedPath(_ path: String) -> String {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        var output: [Substring] = []
        for segment in segments {
            switch segment {
            case ".": continue
            case "..": _ = output.popLast()
            default: output.append(segment)
            }
        }
        var result = "/" + output.joined(separator: "/")
        let lastSegment = path.split(separator: "/", omittingEmptySubsequences: false).last
        let endsAsDirectory = path.hasSuffix("/") || lastSegment == "." || lastSegment == ".."
        if endsAsDirectory && !output.isEmpty { result += "/" }
        return result
    }

    public static func hexSHA256(_ bytes: [UInt8]) -> String {
        TextFormat.hex(SHA256.hash(data: bytes))
    }

    private static let hexDigits = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "A", "B", "C", "D", "E", "F"]
    private static let hexDigitsLower = hexDigits.map { $0.lowercased() }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// Trims and collapses every run of spaces, tabs and line breaks to one space (obs-fold included).
    static func collapsedWhitespace(_ value: String) -> String {
        value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }).joined(separator: " ")
    }
}
