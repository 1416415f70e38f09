import FoundationEssentials
import Logging

/// One AWS API call before signing: the path is relative to the endpoint and already percent-encoded once.
public struct AWSRequest: Sendable {
    public var operation: String
    public var method: String
    public var path: String
    public var query: [SignableRequest.QueryItem]
    public var headers: [(name: String, value: String)]
    public var body: RequestBody
    /// Known hex SHA-256 of the body; computed by streaming the body once when `nil`.
    public var payloadHash: String?

    public init(
        operation: String, method: String, path: String, query: [SignableRequest.QueryItem] = [],
        headers: [(name: String, value: String)] = [], body: RequestBody = .empty, payloadHash: String? = nil
    ) {
        self.operation = operation
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.payloadHash = payloadHash
    }
}

/// The clock and the waiting, injected so tests neither read the real time nor really sleep.
public struct AWSTiming: Sendable {
    public var now: @Sendable () -> Date
    public var sleep: @Sendable (Duration) async throws -> Void
    /// A number in [0, 1) for the backoff jitter.
    public var random: @Sendable () -> Double

    public init(
        now: @escaping @Sendable () -> Date, sleep: @escaping @Sendable (Duration) async throws -> Void,
        random: @escaping @Sendable () -> Double
    ) {
        self.now = now
        self.sleep = sleep
        self.random = random
    }

    public static let live = AWSTiming(
        now: { Date() }, sleep: { try await Task.sleep(for: $0) }, random: { Double.random(in: 0..<1) })
}

/// The difference between the server's clock and ours, learnt from a clock-skew answer's `Date` header.
actor ClockOffset {
    var seconds: TimeInterval = 0
    func set(_ value: TimeInterval) { seconds = value }
}

/// Signs and sends AWS requests for one service in one region, with AWS "standard" retries and one re-signed
/// retry after a clock-skew answer.
public struct AWSClient: Sendable {
    public var service: AWSService
    public var region: String
    public var endpoint: AWSEndpoint
    public var credentials: CredentialSource
    /// False for the few calls AWS takes unsigned (STS AssumeRoleWithWebIdentity): no Authorization is sent.
    public var signsRequests: Bool
    public var transport: HTTPTransport
    public var timing: AWSTiming
    public var maxAttempts: Int
    /// Told each attempt just before it is sent, at debug level (`--verbose`); secrets are never in it.
    public var logger: Logger
    let offset = ClockOffset()

    /// Skew beyond which the server's time is adopted (the SDKs use 5 minutes; Lambda's window is 5 minutes).
    static let skewThreshold: TimeInterval = 300
    static let maxBackoffSeconds = 20.0
    /// A `Retry-After` longer than this is not waited for; the error is reported instead.
    static let maxRetryAfterSeconds = 60.0

    static let throttlingCodes: Set<String> = [
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
        "TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
        "RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled", "SlowDown",
        "PriorRequestNotComplete", "EC2ThrottledException",
    ]
    static let transientCodes: Set<String> = ["RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete"]
    static let transientStatuses: Set<Int> = [500, 502, 503, 504]
    static let clockSkewCodes: Set<String> = [
        "RequestTimeTooSkewed", "RequestExpired", "RequestInTheFuture", "InvalidSignatureException", "AuthFailure",
        "SignatureDoesNotMatch",
    ]

    public init(
        service: AWSService, region: String, endpoint: AWSEndpoint, credentials: CredentialSource,
        signsRequests: Bool = true, transport: HTTPTransport, timing: AWSTiming = .live, maxAttempts: Int = 3,
        logger: Logger = .silent
    ) {
        self.service = service
        self.region = region
        self.endpoint = endpoint
        self.credentials = credentials
        self.signsRequests = signsRequests
        self.transport = transport
        self.timing = timing
        self.maxAttempts = max(1, maxAttempts)
        self.logger = logger
    }

    /// The same client with fixed credentials (long-term keys, or tests).
    public init(
        service: AWSService, region: String, endpoint: AWSEndpoint, credentials: AWSCredentials,
        transport: HTTPTransport, timing: AWSTiming = .live, maxAttempts: Int = 3,
        logger: Logger = .silent
    ) {
        self.init(
            service: service, region: region, endpoint: endpoint, credentials: .fixed(credentials),
            transport: transport, timing: timing, maxAttempts: maxAttempts, logger: logger)
    }

    func signer(_ credentials: AWSCredentials) -> SigV4Signer {
        SigV4Signer(
            credentials: credentials, region: region, service: service.rawValue,
            pathRule: service == .s3 ? .s3 : .encodeAgain(normalize: true), signsPayloadHeader: true)
    }

    /// Signs `request` with `credentials` as of `date`, without sending it.
    public func signed(
        _ request: AWSRequest, payloadHash: String, at date: Date, credentials: AWSCredentials
    ) -> SignedRequest {
        var headers: [(name: String, value: String)] = [(name: "Host", value: endpoint.hostHeader)]
        headers += request.headers
        let signable = SignableRequest(
            method: request.method, path: endpoint.basePath + request.path, query: request.query, headers: headers)
        return signer(credentials).sign(signable, payloadHash: payloadHash, at: date)
    }

    /// The request as sent without a signature: the canonical path and query, the caller's headers.
    func unsigned(_ request: AWSRequest) -> SignableRequest {
        SignableRequest(
            method: request.method, path: endpoint.basePath + request.path, query: request.query,
            headers: request.headers)
    }

    /// Sends `request` and answers the 2xx response; any other answer becomes `AWSError.service`. Each attempt is
    /// signed anew (`wireRequest`); a failed answer is parsed (`serviceError`), may correct the clock once
    /// (`correctedSkew`) and is retried by the standard retry policy (`retryDelay`).
    public func send(_ request: AWSRequest) async throws -> HTTPResponse {
        let payloadHash: String
        if let known = request.payloadHash {
            payloadHash = known
        } else {
            payloadHash = try await request.body.sha256Hex()
        }
        var attempt = 1
        var skewCorrected = false
        while true {
            let signedAt = timing.now().addingTimeInterval(await offset.seconds)
            let wire = try await wireRequest(request, payloadHash: payloadHash, at: signedAt)
            logger.debug(
                "\(request.operation) attempt \(attempt): \(request.method) \(endpoint.description)\(wire.path)")
            let response: HTTPResponse
            do {
                response = try await transport.send(wire)
            } catch let error as AWSError {
                throw error
            } catch {
                guard attempt < maxAttempts else {
                    throw AWSError.transport(
                        operation: request.operation, endpoint: endpoint.description, reason: "\(error)")
                }
                try await timing.sleep(backoff(attempt: attempt))
                attempt += 1
                continue
            }
            if (200..<300).contains(response.status) { return response }

            let (code, failure) = Self.serviceError(response, operation: request.operation)
            if !skewCorrected, let serverTime = await correctedSkew(code: code, response: response, signedAt: signedAt)
            {
                skewCorrected = true
                logger.debug("\(request.operation): clock skew corrected to server time \(serverTime); signing again")
                continue
            }
            guard let delay = retryDelay(code: code, response: response, attempt: attempt) else { throw failure }
            logger.debug("\(request.operation): \(code), retrying in \(delay)")
            try await timing.sleep(delay)
            attempt += 1
        }
    }

    /// Signing: the request as sent, signed as of `date` (or unsigned for the calls AWS takes so).
    func wireRequest(_ request: AWSRequest, payloadHash: String, at date: Date) async throws -> HTTPRequest {
        let outgoing: SignableRequest
        if signsRequests {
            let current = try await credentials.current()
            outgoing = signed(request, payloadHash: payloadHash, at: date, credentials: current).request
        } else {
            outgoing = unsigned(request)
        }
        return HTTPRequest(
            endpoint: endpoint, method: request.method, path: outgoing.path, query: outgoing.wireQuery,
            headers: outgoing.headers.filter { $0.name.lowercased() != "host" }
                + [(name: "Host", value: endpoint.hostHeader)],
            body: request.body)
    }

    /// Error parsing: the service's error code and the `AWSError.service` that reports it.
    static func serviceError(_ response: HTTPResponse, operation: String) -> (code: String, error: AWSError) {
        let (code, message) = AWSErrorParser.parse(
            status: response.status, headers: response.headers, body: response.body)
        let failure = AWSError.service(
            operation: operation, status: response.status, code: code, message: message,
            requestId: response.header("x-amzn-RequestId") ?? response.header("x-amz-request-id"))
        return (code, failure)
    }

    /// Skew correction: after a clock-skew answer whose `Date` is more than `skewThreshold` from the signing
    /// time, adopts the server's time for the following signatures and answers it.
    func correctedSkew(code: String, response: HTTPResponse, signedAt: Date) async -> Date? {
        guard Self.clockSkewCodes.contains(code),
            let serverTime = response.header("Date").flatMap(Self.parseHTTPDate),
            abs(serverTime.timeIntervalSince(signedAt)) > Self.skewThreshold
        else { return nil }
        await offset.set(serverTime.timeIntervalSince(timing.now()))
        return serverTime
    }

    /// Retry policy: the pause before trying a throttled or transient answer again, `nil` when it is not retried
    /// (not retryable, out of attempts, or a `Retry-After` longer than `maxRetryAfterSeconds`).
    func retryDelay(code: String, response: HTTPResponse, attempt: Int) -> Duration? {
        let retryable =
            Self.throttlingCodes.contains(code) || Self.transientCodes.contains(code)
            || Self.transientStatuses.contains(response.status)
        guard retryable, attempt < maxAttempts else { return nil }
        let delay = backoff(attempt: attempt)
        // An unparseable Retry-After (`nan`, `inf`, a date, garbage) counts as absent: normal backoff.
        if let header = response.header("Retry-After"),
            let seconds = Double(header.trimmingWhitespace()), seconds.isFinite
        {
            guard seconds <= Self.maxRetryAfterSeconds else { return nil }
            return .milliseconds(Int64(max(0, seconds) * 1000))
        }
        return delay
    }

    /// `rand(0,1) * min(2^(attempt-1), 20)` seconds: truncated binary exponential backoff with full jitter.
    func backoff(attempt: Int) -> Duration {
        let ceiling = min(Double(1 << min(max(attempt - 1, 0), 30)), Self.maxBackoffSeconds)
        return .milliseconds(Int64(timing.random() * ceiling * 1000))
    }

    /// RFC 7231 IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
    static func parseHTTPDate(_ text: String) -> Date? {
        UTCTime.parseHTTPDate(text)?.date
    }
}
