import FoundationEssentials
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
    ///   - log: receives the server's own messages (failed event invocations); the function's log stream goes
    ///     to the pool's `output`.
    ///   - limits: connections, timeouts and the `Event` queue (see ``ServeLimits``).
    public static func start(
        pool: LocalLambdaPool,
        port: Int = 0,
        limits: ServeLimits = ServeLimits(),
        log: @escaping @Sendable (String) -> Void = { _ in }
    ) async throws(EmulatorError) -> InvokeAPIServer {
        let names = [pool.configuration.functionName, InvokeAPI.rieFunctionName, pool.configuration.functionARN]
        let queued = BoundedCounter(limit: limits.maxQueuedEvents)
        let server = try await HTTPServer.start(port: port, limits: limits) {
            InvokeAPIHandler(pool: pool, functionNames: Set(names), queuedEvents: queued, log: log)
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
    private let log: @Sendable (String) -> Void
    private let queuedEvents: BoundedCounter
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var overLimit = false

    init(
        pool: LocalLambdaPool, functionNames: Set<String>, queuedEvents: BoundedCounter,
        log: @escaping @Sendable (String) -> Void
    ) {
        self.pool = pool
        self.functionNames = functionNames
        self.queuedEvents = queuedEvents
        self.log = log
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = []
            overLimit = false
        case .body(let chunk):
            guard !overLimit else { return }
            if body.count + chunk.readableBytes > RuntimeAPI.maxPayloadSize {
                overLimit = true
                body = []
            } else {
                body.append(contentsOf: chunk.readableBytesView)
            }
        case .end:
            guard let head else { return }
            self.head = nil
            handle(context: context, head: head, event: body)
            body = []
        }
    }

    private func handle(context: ChannelHandlerContext, head: HTTPRequestHead, event: [UInt8]) {
        let keepAlive = head.isKeepAlive
        func fail(_ status: HTTPResponseStatus, _ type: String, _ message: String, reason: String? = nil) {
            // Lambda's error shape: {"Type":"User","message":...}, the type in X-Amzn-ErrorType; a throttle
            // adds its Reason and Retry-After.
            let reasonField = reason.map { "\"Reason\":\(LambdaJSON.quote($0))," } ?? ""
            let body = context.channel.allocator.buffer(
                string: "{\(reasonField)\"Type\":\"User\",\"message\":\(LambdaJSON.quote(message))}")
            var headers = [(InvokeAPI.Header.errorType, type)]
            if reason != nil { headers.append(("Retry-After", "1")) }
            context.writeHTTPResponse(status: status, headers: headers, body: body, keepAlive: keepAlive)
        }
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        guard head.method == .POST, let (name, streaming) = Self.route(path) else {
            fail(.notFound, "UnknownOperationException", "No such operation: \(head.method.rawValue) \(path)")
            return
        }
        let decodedName = name.percentDecoded ?? name
        guard functionNames.contains(decodedName) else {
            fail(.notFound, "ResourceNotFoundException", "Function not found: \(decodedName)")
            return
        }
        if overLimit {
            fail(
                .payloadTooLarge, "RequestTooLargeException",
                "Request must be smaller than \(RuntimeAPI.maxPayloadSize) bytes for the InvokeFunction operation")
            return
        }
        let invocationType = head.headers.first(name: InvokeAPI.Header.invocationType) ?? "RequestResponse"
        if invocationType == "Event" && event.count > InvokeAPI.maxEventPayloadSize {
            fail(
                .payloadTooLarge, "RequestTooLargeException",
                "Request must be smaller than \(InvokeAPI.maxEventPayloadSize) bytes for the InvokeFunction operation")
            return
        }
        if let problem = EventPayload.problem(event) {
            fail(.badRequest, "InvalidRequestContentException", "Could not parse request body into json: \(problem)")
            return
        }
        var clientContext: String?
        if let encoded = head.headers.first(name: InvokeAPI.Header.clientContext) {
            guard let data = Data(base64Encoded: encoded), let text = String(data: data, encoding: .utf8) else {
                fail(
                    .badRequest, "InvalidRequestContentException",
                    "Client context must be a valid Base64-encoded JSON object.")
                return
            }
            clientContext = text
        }
        let wantsTail = head.headers.first(name: InvokeAPI.Header.logType)?.lowercased() == "tail"
        let pool = self.pool
        let log = self.log
        let clientContextText = clientContext
        let traceID = head.headers.first(name: InvokeAPI.Header.traceID)
        switch invocationType {
        case "DryRun":
            context.writeHTTPResponse(status: .noContent, body: nil, keepAlive: keepAlive)
        case "Event" where !queuedEvents.acquire():
            fail(
                .tooManyRequests, "TooManyRequestsException",
                "Rate Exceeded. \(queuedEvents.limit) Event invocations are queued or running (--max-queued-events).",
                reason: "ConcurrentInvocationLimitExceeded")
        case "Event":
            let queued = queuedEvents
            Task {
                defer { queued.release() }
                do {
                    _ = try await pool.invoke(event, clientContext: clientContextText, traceID: traceID)
                } catch {
                    log("picolayer serve: event invocation failed: \(ErrorText.describe(error))\n")
                }
            }
            context.writeHTTPResponse(status: .accepted, body: nil, keepAlive: keepAlive)
        case "RequestResponse" where streaming:
            // Parts of a streamed response go out as PayloadChunk events as they arrive; the head goes with the
            // first. Chunks and the final result all run on this channel's loop, in order.
            let loop = context.eventLoop
            let boundContext = NIOLoopBound(context, eventLoop: loop)
            let headSent = NIOLoopBoundBox(false, eventLoop: loop)
            let promise = loop.makePromise(of: InvocationResult.self)
            promise.completeWithTask {
                try await pool.invoke(event, clientContext: clientContextText, traceID: traceID) { chunk in
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
                guard headSent.value else {
                    switch result {
                    case .success(let result):
                        context.writeHTTPResponse(
                            status: .ok, headers: Self.headers(for: result, tail: false),
                            body: context.channel.allocator.buffer(
                                bytes: Self.eventStream(for: result, tail: wantsTail, withPayload: true)),
                            contentType: result.contentType ?? "application/octet-stream", keepAlive: keepAlive)
                    case .failure(let error):
                        fail(.internalServerError, "ServiceException", Self.describe(error))
                    }
                    return
                }
                let complete: [UInt8]
                switch result {
                case .success(let result):
                    complete = Self.eventStream(for: result, tail: wantsTail, withPayload: false)
                case .failure(let error):
                    complete = EventStreamMessage.event(
                        type: "InvokeComplete", contentType: "application/json",
                        payload: Array(
                            ("{\"ErrorCode\":\"ServiceException\",\"ErrorDetails\":"
                                + LambdaJSON.quote(Self.describe(error)) + "}").utf8))
                }
                context.write(
                    NIOAny(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: complete)))), promise: nil)
                context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)), promise: nil)
                if !keepAlive { context.close(promise: nil) }
            }
        case "RequestResponse":
            let promise = context.eventLoop.makePromise(of: InvocationResult.self)
            promise.completeWithTask {
                try await pool.invoke(event, clientContext: clientContextText, traceID: traceID)
            }
            promise.futureResult.assumeIsolated().whenComplete { result in
                switch result {
                case .success(let result):
                    context.writeHTTPResponse(
                        status: .ok, headers: Self.headers(for: result, tail: wantsTail),
                        body: context.channel.allocator.buffer(bytes: result.payload),
                        contentType: result.contentType ?? "application/json", keepAlive: keepAlive)
                case .failure(let error):
                    fail(.internalServerError, "ServiceException", Self.describe(error))
                }
            }
        default:
            fail(
                .badRequest, "InvalidParameterValueException",
                "Invocation type \(invocationType) is not one of RequestResponse, Event, DryRun.")
        }
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
