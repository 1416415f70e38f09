import FoundationEssentials
import Logging
import NIOCore
import NIOHTTP1

/// The Lambda Invoke API (2015-03-31) on 127.0.0.1, enough for `aws lambda invoke --endpoint-url`, boto3 and
/// curl:
///
/// | method | path                                                | answer                                  |
/// |--------|-----------------------------------------------------|-----------------------------------------|
/// | POST   | /2015-03-31/functions/{name or "function"}/invocations | 200 RequestResponse, 202 Event, 204 DryRun |
/// | POST   | /2021-11-15/functions/{name}/response-streaming-invocations | 200 event stream (buffered), 204 DryRun |
/// | any    | anything else                                       | 404 ResourceNotFoundException          |
///
/// Function errors are 200 with `X-Amz-Function-Error: Unhandled`, as on Lambda.
public struct InvokeAPIServer: Sendable {
    private let server: HTTPServer
    public var port: Int { server.port }

    /// - Parameters:
    ///   - logger: receives the server's own messages (failed event invocations); the function's log stream goes
    ///     to the pool's `output`.
    ///   - limits: connections, timeouts and the `Event` queue (see ``ServeLimits``).
    public static func start(
        pool: LocalLambdaPool,
        port: Int = 0,
        limits: ServeLimits = ServeLimits(),
        logger: Logger = .silent
    ) async throws(EmulatorError) -> InvokeAPIServer {
        let names = [pool.configuration.functionName, InvokeAPI.rieFunctionName, pool.configuration.functionARN]
        let queued = BoundedCounter(limit: limits.maxQueuedEvents)
        let server = try await HTTPServer.start(port: port, limits: limits) {
            InvokeAPIHandler(pool: pool, functionNames: Set(names), queuedEvents: queued, logger: logger)
        }
        return InvokeAPIServer(server: server)
    }

    public func close() async {
        await server.close()
    }
}

final class InvokeAPIHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let pool: LocalLambdaPool
    private let functionNames: Set<String>
    private let logger: Logger
    private let queuedEvents: BoundedCounter
    private var collector = RequestCollector(limit: RuntimeAPI.maxPayloadSize)

    init(
        pool: LocalLambdaPool, functionNames: Set<String>, queuedEvents: BoundedCounter,
        logger: Logger
    ) {
        self.pool = pool
        self.functionNames = functionNames
        self.queuedEvents = queuedEvents
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let request = collector.take(unwrapInboundIn(data)) else { return }
        handle(context: context, head: request.head, event: request.body, overLimit: request.overLimit)
    }

    /// Why a request is refused, in Lambda's error shape: `{"Type":"User","message":...}` with the type in
    /// `X-Amzn-ErrorType`; a throttle adds its `Reason` and `Retry-After`.
    struct Refusal: Error {
        var status: HTTPResponseStatus
        var type: String
        var message: String
        var reason: String? = nil
    }

    /// What a valid invoke request asks for.
    struct Request {
        var event: [UInt8]
        var invocationType: String
        var streaming: Bool
        var clientContext: String?
        var traceID: String?
        var wantsTail: Bool
        var keepAlive: Bool
    }

    private func handle(context: ChannelHandlerContext, head: HTTPRequestHead, event: [UInt8], overLimit: Bool) {
        let request: Request
        switch parse(head: head, event: event, overLimit: overLimit) {
        case .success(let parsed): request = parsed
        case .failure(let refusal):
            Self.refuse(refusal, context: context, keepAlive: head.isKeepAlive)
            return
        }
        switch request.invocationType {
        case "DryRun":
            context.writeHTTPResponse(status: .noContent, body: nil, keepAlive: request.keepAlive)
        case "Event":
            queue(request, context: context)
        case "RequestResponse" where request.streaming:
            invokeStreaming(request, context: context)
        case "RequestResponse":
            invokeBuffered(request, context: context)
        default:
            Self.refuse(
                Refusal(
                    status: .badRequest, type: "InvalidParameterValueException",
                    message:
                        "Invocation type \(request.invocationType) is not one of RequestResponse, Event, DryRun."),
                context: context, keepAlive: request.keepAlive)
        }
    }

    /// The request checked in Lambda's order: operation, function and qualifier, size, body, client context.
    private func parse(head: HTTPRequestHead, event: [UInt8], overLimit: Bool) -> Result<Request, Refusal> {
        let uriParts = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = uriParts.first.map(String.init) ?? head.uri
        guard head.method == .POST, let (name, streaming) = Self.route(path) else {
            return .failure(
                Refusal(
                    status: .notFound, type: "UnknownOperationException",
                    message: "No such operation: \(head.method.rawValue) \(path)"))
        }
        let query = uriParts.count > 1 ? String(uriParts[1]) : nil
        switch InvokeTarget.parse(functionName: name.percentDecoded ?? name, query: query) {
        case .failure(let refusal): return .failure(refusal)
        case .success(let target):
            if let refusal = target.refusal(servedNames: functionNames) { return .failure(refusal) }
        }
        let invocationType = head.headers.first(name: InvokeAPI.Header.invocationType) ?? "RequestResponse"
        // A body over the synchronous limit was dropped while it arrived (overLimit); Event has a lower one.
        let limit = overLimit || invocationType != "Event" ? RuntimeAPI.maxPayloadSize : InvokeAPI.maxEventPayloadSize
        if overLimit || event.count > limit {
            return .failure(
                Refusal(
                    status: .payloadTooLarge, type: "RequestTooLargeException",
                    message: "Request must be smaller than \(limit) bytes for the InvokeFunction operation"))
        }
        if let problem = EventPayload.problem(event) {
            return .failure(
                Refusal(
                    status: .badRequest, type: "InvalidRequestContentException",
                    message: "Could not parse request body into json: \(problem)"))
        }
        var clientContext: String?
        if let encoded = head.headers.first(name: InvokeAPI.Header.clientContext) {
            guard let data = Data(base64Encoded: encoded), let text = String(data: data, encoding: .utf8) else {
                return .failure(
                    Refusal(
                        status: .badRequest, type: "InvalidRequestContentException",
                        message: "Client context must be a valid Base64-encoded JSON object."))
            }
            clientContext = text
        }
        return .success(
            Request(
                event: event, invocationType: invocationType, streaming: streaming, clientContext: clientContext,
                traceID: head.headers.first(name: InvokeAPI.Header.traceID),
                wantsTail: head.headers.first(name: InvokeAPI.Header.logType)?.lowercased() == "tail",
                keepAlive: head.isKeepAlive))
    }

    private static func refuse(_ refusal: Refusal, context: ChannelHandlerContext, keepAlive: Bool) {
        let reasonField = refusal.reason.map { "\"Reason\":\(LambdaJSON.quote($0))," } ?? ""
        let body = context.channel.allocator.buffer(
            string: "{\(reasonField)\"Type\":\"User\",\"message\":\(LambdaJSON.quote(refusal.message))}")
        var headers = [(InvokeAPI.Header.errorType, refusal.type)]
        if refusal.reason != nil { headers.append(("Retry-After", "1")) }
        context.writeHTTPResponse(status: refusal.status, headers: headers, body: body, keepAlive: keepAlive)
    }

    /// An `Event` invocation: 202 at once and the invocation in the background, or 429 when the queue is full.
    private func queue(_ request: Request, context: ChannelHandlerContext) {
        guard queuedEvents.acquire() else {
            Self.refuse(
                Refusal(
                    status: .tooManyRequests, type: "TooManyRequestsException",
                    message:
                        "Rate Exceeded. \(queuedEvents.limit) Event invocations are queued or running (--max-queued-events).",
                    reason: "ConcurrentInvocationLimitExceeded"),
                context: context, keepAlive: request.keepAlive)
            return
        }
        let (pool, logger, queued) = (self.pool, self.logger, queuedEvents)
        Task {
            defer { queued.release() }
            do {
                _ = try await pool.invoke(request.event, clientContext: request.clientContext, traceID: request.traceID)
            } catch {
                logger.error("serve: event invocation failed: \(ErrorText.describe(error))")
            }
        }
        context.writeHTTPResponse(status: .accepted, body: nil, keepAlive: request.keepAlive)
    }

    /// A `RequestResponse` invocation answered in one piece once the function returns.
    private func invokeBuffered(_ request: Request, context: ChannelHandlerContext) {
        let pool = self.pool
        let promise = context.eventLoop.makePromise(of: InvocationResult.self)
        promise.completeWithTask {
            try await pool.invoke(request.event, clientContext: request.clientContext, traceID: request.traceID)
        }
        promise.futureResult.assumeIsolated().whenComplete { result in
            switch result {
            case .success(let result):
                context.writeHTTPResponse(
                    status: .ok, headers: Self.headers(for: result, tail: request.wantsTail),
                    body: context.channel.allocator.buffer(bytes: result.payload),
                    contentType: result.contentType ?? "application/json", keepAlive: request.keepAlive)
            case .failure(let error):
                Self.refuse(
                    Refusal(status: .internalServerError, type: "ServiceException", message: Self.describe(error)),
                    context: context, keepAlive: request.keepAlive)
            }
        }
    }

    /// `InvokeWithResponseStream`: parts go out as `PayloadChunk` events as they arrive, the head with the first;
    /// chunks and the final result all run on this channel's loop, in order.
    private func invokeStreaming(_ request: Request, context: ChannelHandlerContext) {
        let pool = self.pool
        let loop = context.eventLoop
        let boundContext = NIOLoopBound(context, eventLoop: loop)
        let headSent = NIOLoopBoundBox(false, eventLoop: loop)
        let promise = loop.makePromise(of: InvocationResult.self)
        promise.completeWithTask {
            try await pool.invoke(request.event, clientContext: request.clientContext, traceID: request.traceID) {
                chunk in
                loop.execute {
                    let context = boundContext.value
                    if !headSent.value {
                        headSent.value = true
                        context.write(NIOAny(HTTPServerResponsePart.head(Self.streamHead(chunk))), promise: nil)
                    }
                    let message = EventStreamMessage.event(
                        type: "PayloadChunk", contentType: "application/octet-stream", payload: chunk.bytes)
                    context.writeAndFlush(
                        NIOAny(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: message)))), promise: nil)
                }
            }
        }
        promise.futureResult.assumeIsolated().whenComplete { result in
            if headSent.value {
                Self.finishStream(result, request: request, context: context)
            } else {
                Self.answerUnstreamed(result, request: request, context: context)
            }
        }
    }

    /// A streaming invocation that sent no part: the whole event stream in one answer.
    private static func answerUnstreamed(
        _ result: Result<InvocationResult, any Error>, request: Request, context: ChannelHandlerContext
    ) {
        switch result {
        case .success(let result):
            context.writeHTTPResponse(
                status: .ok, headers: headers(for: result, tail: false),
                body: context.channel.allocator.buffer(
                    bytes: eventStream(for: result, tail: request.wantsTail, withPayload: true)),
                contentType: result.contentType ?? "application/octet-stream", keepAlive: request.keepAlive)
        case .failure(let error):
            refuse(
                Refusal(status: .internalServerError, type: "ServiceException", message: describe(error)),
                context: context, keepAlive: request.keepAlive)
        }
    }

    /// The end of a stream whose head went out: `InvokeComplete` (with the error, if any), then the last chunk.
    private static func finishStream(
        _ result: Result<InvocationResult, any Error>, request: Request, context: ChannelHandlerContext
    ) {
        let complete: [UInt8]
        switch result {
        case .success(let result):
            complete = eventStream(for: result, tail: request.wantsTail, withPayload: false)
        case .failure(let error):
            complete = EventStreamMessage.event(
                type: "InvokeComplete", contentType: "application/json",
                payload: Array(
                    ("{\"ErrorCode\":\"ServiceException\",\"ErrorDetails\":" + LambdaJSON.quote(describe(error))
                        + "}").utf8))
        }
        context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: complete)))), promise: nil)
        context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)), promise: nil)
        if !request.keepAlive { context.close(promise: nil) }
    }

    /// `(function name, response streaming?)` for the two invoke paths, nil for anything else.
    private static func route(_ path: String) -> (String, Bool)? {
        for (prefix, suffix, streaming) in [
            (InvokeAPI.pathPrefix, InvokeAPI.pathSuffix, false),
            (InvokeAPI.streamingPathPrefix, InvokeAPI.streamingPathSuffix, true),
        ] where path.hasPrefix(prefix) && path.hasSuffix(suffix) && path.count > prefix.count + suffix.count {
            return (String(path.dropFirst(prefix.count).dropLast(suffix.count)), streaming)
        }
        return nil
    }

    /// `InvokeWithResponseStream`'s body after the streamed parts: the payload as one `PayloadChunk` when it
    /// was not streamed (`withPayload`), then `InvokeComplete` with the error, if any, and the log tail.
    private static func eventStream(for result: InvocationResult, tail: Bool, withPayload: Bool) -> [UInt8] {
        var body: [UInt8] = []
        if withPayload && !result.isError && !result.payload.isEmpty {
            body += EventStreamMessage.event(
                type: "PayloadChunk", contentType: "application/octet-stream", payload: result.payload)
        }
        var fields: [String] = []
        if let errorType = result.errorType {
            fields.append("\"ErrorCode\":" + LambdaJSON.quote(errorType))
            fields.append("\"ErrorDetails\":" + LambdaJSON.quote(String(decoding: result.payload, as: UTF8.self)))
        }
        if tail {
            let last = Array(result.logText.utf8).suffix(InvokeAPI.logTailSize)
            fields.append("\"LogResult\":" + LambdaJSON.quote(Data(last).base64EncodedString()))
        }
        body += EventStreamMessage.event(
            type: "InvokeComplete", contentType: "application/json",
            payload: Array(("{" + fields.joined(separator: ",") + "}").utf8))
        return body
    }

    /// The head of a streamed answer, sent with its first part (no length: chunked).
    private static func streamHead(_ chunk: ResponseChunk) -> HTTPResponseHead {
        var head = HTTPResponseHead(version: .http1_1, status: .ok)
        head.headers.add(name: "Content-Type", value: chunk.contentType ?? "application/octet-stream")
        head.headers.add(name: InvokeAPI.Header.requestID, value: chunk.requestID)
        head.headers.add(name: InvokeAPI.Header.executedVersion, value: "$LATEST")
        head.headers.add(name: "Transfer-Encoding", value: "chunked")
        return head
    }

    private static func describe(_ error: any Error) -> String {
        (error as? LocalizedError)?.errorDescription ?? "\(error)"
    }

    private static func headers(for result: InvocationResult, tail: Bool) -> [(String, String)] {
        var headers = [
            (InvokeAPI.Header.requestID, result.requestID),
            (InvokeAPI.Header.executedVersion, "$LATEST"),
        ]
        if result.isError { headers.append((InvokeAPI.Header.functionError, "Unhandled")) }
        if tail {
            let text = Array(result.logText.utf8)
            let last = text.suffix(InvokeAPI.logTailSize)
            headers.append((InvokeAPI.Header.logResult, Data(last).base64EncodedString()))
        }
        return headers
    }
}
