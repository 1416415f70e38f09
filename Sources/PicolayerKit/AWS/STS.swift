import FoundationEssentials
import Logging

/// The STS operations picolayer uses (query protocol: form-encoded POST to `/`, XML answers, API 2011-06-15).
public struct STSClient: Sendable {
    public var client: AWSClient

    public init(client: AWSClient) {
        self.client = client
    }

    /// A client for `region`'s regional endpoint (`sts.<region>.amazonaws.com`, the AWS CLI v2 default), or the
    /// `--endpoint-url` (`endpointFlag`) / `AWS_ENDPOINT_URL_STS` / `AWS_ENDPOINT_URL` override.
    public static func regional(
        region: String, credentials: CredentialSource, signed: Bool = true, endpointFlag: String? = nil,
        environment: [String: String], transport: HTTPTransport, timing: AWSTiming = .live,
        logger: Logger = .silent
    ) throws -> STSClient {
        let context = AWSServiceContext(
            credentials: credentials, environment: environment, endpointFlag: endpointFlag, transport: transport,
            timing: timing, logger: logger)
        return STSClient(client: try context.client(for: .sts, region: region, signed: signed))
    }

    /// Who the credentials belong to.
    public struct CallerIdentity: Sendable, Equatable, Codable {
        public var account: String
        public var arn: String
        public var userId: String
    }

    /// What AssumeRole and AssumeRoleWithWebIdentity answer.
    public struct AssumedRole: Sendable {
        public var credentials: AWSCredentials
        public var assumedRoleArn: String?
    }

    public struct AssumeRoleInput: Sendable {
        public var roleArn: String
        public var sessionName: String
        public var externalId: String?
        public var durationSeconds: Int?

        public init(roleArn: String, sessionName: String, externalId: String? = nil, durationSeconds: Int? = nil) {
            self.roleArn = roleArn
            self.sessionName = sessionName
            self.externalId = externalId
            self.durationSeconds = durationSeconds
        }
    }

    public func getCallerIdentity() async throws -> CallerIdentity {
        let xml = try await call("GetCallerIdentity", [])
        guard let account = AWSErrorParser.xmlElement("Account", in: xml),
            let arn = AWSErrorParser.xmlElement("Arn", in: xml)
        else {
            throw AWSError.invalidResponse(operation: "GetCallerIdentity", reason: "no Account/Arn in the answer")
        }
        return CallerIdentity(account: account, arn: arn, userId: AWSErrorParser.xmlElement("UserId", in: xml) ?? "")
    }

    /// Signed `AssumeRole`; `source` names the credentials' origin in the answer's `source`.
    public func assumeRole(_ input: AssumeRoleInput, source: String) async throws -> AssumedRole {
        var parameters = [("RoleArn", input.roleArn), ("RoleSessionName", input.sessionName)]
        if let externalId = input.externalId { parameters.append(("ExternalId", externalId)) }
        if let duration = input.durationSeconds { parameters.append(("DurationSeconds", String(duration))) }
        return try Self.assumedRole(try await call("AssumeRole", parameters), operation: "AssumeRole", source: source)
    }

    /// `AssumeRoleWithWebIdentity`: AWS takes it unsigned, so build the client with `signed: false`.
    public func assumeRoleWithWebIdentity(
        roleArn: String, sessionName: String, token: String, durationSeconds: Int? = nil, source: String
    ) async throws -> AssumedRole {
        var parameters = [("RoleArn", roleArn), ("RoleSessionName", sessionName), ("WebIdentityToken", token)]
        if let duration = durationSeconds { parameters.append(("DurationSeconds", String(duration))) }
        return try Self.assumedRole(
            try await call("AssumeRoleWithWebIdentity", parameters), operation: "AssumeRoleWithWebIdentity",
            source: source)
    }

    /// `Action=NAME&Version=2011-06-15&...`, form-encoded (RFC 3986 unreserved characters kept).
    static func formBody(action: String, _ parameters: [(String, String)]) -> [UInt8] {
        let pairs = [("Action", action), ("Version", "2011-06-15")] + parameters
        return Array(
            pairs.map { name, value in
                SigV4Signer.uriEncode(name, keepSlash: false) + "=" + SigV4Signer.uriEncode(value, keepSlash: false)
            }.joined(separator: "&").utf8)
    }

    func call(_ action: String, _ parameters: [(String, String)]) async throws -> String {
        let request = AWSRequest(
            operation: action, method: "POST", path: "/",
            headers: [(name: "Content-Type", value: "application/x-www-form-urlencoded; charset=utf-8")],
            body: .bytes(Self.formBody(action: action, parameters)))
        let response = try await client.send(request)
        return String(decoding: response.body, as: UTF8.self)
    }

    static func assumedRole(_ xml: String, operation: String, source: String) throws -> AssumedRole {
        guard let block = AWSErrorParser.xmlElement("Credentials", in: xml),
            let keyId = AWSErrorParser.xmlElement("AccessKeyId", in: block),
            let secret = AWSErrorParser.xmlElement("SecretAccessKey", in: block),
            let token = AWSErrorParser.xmlElement("SessionToken", in: block)
        else {
            throw AWSError.invalidResponse(operation: operation, reason: "no Credentials in the answer")
        }
        let expiration = AWSErrorParser.xmlElement("Expiration", in: block).flatMap(AWSDate.parse)
        let arn = AWSErrorParser.xmlElement("AssumedRoleUser", in: xml).flatMap {
            AWSErrorParser.xmlElement("Arn", in: $0)
        }
        let account = arn.flatMap { arn -> String? in
            let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
            return parts.count > 4 && !parts[4].isEmpty ? String(parts[4]) : nil
        }
        return AssumedRole(
            credentials: AWSCredentials(
                accessKeyId: keyId, secretAccessKey: secret, sessionToken: token, source: source,
                expiration: expiration, accountId: account),
            assumedRoleArn: arn)
    }
}
