import FoundationEssentials
import Logging

/// What every client of one command shares: the credentials, the endpoint overrides (`--endpoint-url`,
/// `AWS_ENDPOINT_URL_<SERVICE>`, `AWS_ENDPOINT_URL`), the transport, the clock and the logger. `client(for:region:)`
/// builds the client for one service in one region.
public struct AWSServiceContext: Sendable {
    public var credentials: CredentialSource
    public var environment: [String: String]
    /// `--endpoint-url`, which wins over the environment's overrides.
    public var endpointFlag: String?
    public var transport: HTTPTransport
    public var timing: AWSTiming
    /// Receives every request attempt at debug level (`--verbose`).
    public var logger: Logger

    public init(
        credentials: CredentialSource, environment: [String: String], endpointFlag: String? = nil,
        transport: HTTPTransport, timing: AWSTiming = .live, logger: Logger = .silent
    ) {
        self.credentials = credentials
        self.environment = environment
        self.endpointFlag = endpointFlag
        self.transport = transport
        self.timing = timing
        self.logger = logger
    }

    /// A client for `service` in `region`; `signed: false` for the calls AWS takes unsigned.
    public func client(for service: AWSService, region: String, signed: Bool = true) throws -> AWSClient {
        let endpoint = try EndpointResolver.endpoint(
            for: service, region: region, flag: endpointFlag, environment: environment)
        return AWSClient(
            service: service, region: region, endpoint: endpoint, credentials: credentials, signsRequests: signed,
            transport: transport, timing: timing, logger: logger)
    }
}
