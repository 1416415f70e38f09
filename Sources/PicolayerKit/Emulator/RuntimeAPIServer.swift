import FoundationEssentials
import NIOCore
import NIOHTTP1
import NIOPosix

/// The Runtime API (2018-06-01) on 127.0.0.1, port chosen by the system; see ``RuntimeAPI`` for the routes.
/// One server belongs to one runtime instance; its ``RuntimeAPIState`` carries events in and answers out.
struct RuntimeAPIServer: Sendable {
    let server: HTTPServer
    let state: RuntimeAPIState

    /// `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`.
    var address: String { "127.0.0.1:\(server.port)" }

    static func start(state: RuntimeAPIState) async throws(EmulatorError) -> RuntimeAPIServer {
        let server = try await HTTPServer.start { RuntimeAPIHandler(state: state) }
        return RuntimeAPIServer(server: server, state: state)
    }

    func close() async {
        await server.close()
    }
}

/// Serves the Runtime API on one keep-alive connection; requests arrive one at a time (the pipeline handler
/// holds back pipelined ones), so a long-polling `/next` simply leaves the connection waiting.
final class RuntimeAPIHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private enum Route {
        case next
        case response(String)
        case error(String)
        case initError
        case notFound
    }

    /// Streamed responses may be this large (200 MB on Lambda); buffered ones stop at ``RuntimeAPI/maxPayloadSize``.
    private static let maxStreamedSize = 200 * 1024 * 1024

    private let state: RuntimeAPIState
    private var head: HTTPRequestHead?
    /// The request id of the streamed response being received, and how many bytes came so far.
    private var streamingID: String?
    private var streamed = 0
    private var body: ByteBuffer?
    private var limit = RuntimeAPI.maxPayloadSize
    private var overLimit = false

    /// The `/next` of this connection still waiting for an event.
    private var waitingNext: EventLoopPromise<PendingInvocation>?

    init(state: RuntimeAPIState) {
        self.state = state
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let waitingNext { state.cancelNext(waitingNext) }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = nil
            overLimit = false
            limit = Self.isStreaming(head) ? Self.maxStreamedSize : RuntimeAPI.maxPayloadSize
            streamed = 0
            streamingID = nil
            if Self.isStreaming(head), head.method == .POST, case .response(let id) = Self.route(head.uri),
                state.isInFlight(id)
            {
                // A streamed response goes on to the caller chunk by chunk, as it arrives.
                streamingID = id
            }
            if head.headers[canonicalForm: "expect"].contains(where: { $0.lowercased() == "100-continue" }) {
                context.writeAndFlush(
                    wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
            }
        case .body(var chunk):
            guard !overLimit else { return }
            if let streamingID {
                streamed += chunk.readableBytes
                if streamed > limit {
                    overLimit = true
                } else {
                    state.post(
                        .responseChunk(
                            requestID: streamingID, chunk: chunk, contentType: head?.headers.first(name: "content-type")
                        ))
                }
                return
            }
            if (body?.readableBytes ?? 0) + chunk.readableBytes > limit {
                overLimit = true
                body = nil
            } else if body == nil {
                body = chunk
            } else {
                body?.writeBuffer(&chunk)
            }
        case .end(let trailers):
            guard let head else { return }
            self.head = nil
            handle(
                context: context, head: head, body: body ?? context.channel.allocator.buffer(capacity: 0),
                trailers: trailers)
            body = nil
        }
    }

    private func handle(context: ChannelHandlerContext, head: HTTPRequestHead, body: ByteBuffer, trailers: HTTPHeaders?)
    {
        let keepAlive = head.isKeepAlive
        switch (head.method, Self.route(head.uri)) {
        case (.GET, .next):
            waitForNext(context: context, keepAlive: keepAlive)
        case (.POST, .response(let requestID)):
            guard let signal = responseSignal(requestID, context: context, head: head, body: body, trailers: trailers)
            else { return }
            reply(
                context: context, state.answer(requestID: requestID, with: signal, transition: "Response"),
                keepAlive: keepAlive)
        case (.POST, .error(let requestID)):
            let errorType = Self.errorType(head: head, body: body)
            let signal = RuntimeSignal.functionError(requestID: requestID, errorType: errorType, payload: body)
            reply(
                context: context, state.answer(requestID: requestID, with: signal, transition: "Error"),
                keepAlive: keepAlive)
        case (.POST, .initError):
            reply(
                context: context, state.initError(errorType: Self.errorType(head: head, body: body), payload: body),
                keepAlive: keepAlive)
        default:
            let message = "Unknown Runtime API route: \(head.method.rawValue) \(head.uri)"
            context.writeHTTPResponse(
                status: .notFound, body: context.errorBody(type: "NotFound", message: message), keepAlive: keepAlive)
        }
    }

    /// `GET /next`: answered when the next invocation arrives, or with Lambda's 500 when the emulator shuts down.
    private func waitForNext(context: ChannelHandlerContext, keepAlive: Bool) {
        let promise = context.eventLoop.makePromise(of: PendingInvocation.self)
        waitingNext = promise
        state.next(promise)
        promise.futureResult.assumeIsolated().whenComplete { result in
            self.waitingNext = nil
            switch result {
            case .success(let invocation):
                context.writeHTTPResponse(
                    status: .ok, headers: Self.nextHeaders(invocation), body: invocation.payload,
                    keepAlive: keepAlive)
            case .failure:
                let body = context.errorBody(
                    type: "Runtime.Unknown",
                    message: "Container error. Non-recoverable state. Runtime should exit promptly.")
                context.writeHTTPResponse(status: .internalServerError, body: body, keepAlive: false)
            }
        }
    }

    /// What a `POST .../response` says: the response, one too large, or a streamed response that failed half-way;
    /// nil when a bad response mode header was answered with 400 here.
    private func responseSignal(
        _ requestID: String, context: ChannelHandlerContext, head: HTTPRequestHead, body: ByteBuffer,
        trailers: HTTPHeaders?
    ) -> RuntimeSignal? {
        if overLimit {
            return .responseTooLarge(requestID: requestID)
        }
        if let mode = head.headers.first(name: RuntimeAPI.Header.responseMode), mode.lowercased() != "streaming" {
            let message = "Invalid response mode header value: \(mode). Use `streaming` or leave it out."
            context.writeHTTPResponse(
                status: .badRequest, body: context.errorBody(type: "InvalidFunctionResponseMode", message: message),
                keepAlive: head.isKeepAlive)
            return nil
        }
        if let trailers, let errorType = trailers.first(name: RuntimeAPI.Header.errorType) {
            // The error travels in base64 in the trailers.
            var payload = context.channel.allocator.buffer(capacity: 0)
            if let encoded = trailers.first(name: RuntimeAPI.Header.errorBody),
                let decoded = Data(base64Encoded: encoded)
            {
                payload.writeBytes(decoded)
            }
            return .functionError(requestID: requestID, errorType: errorType, payload: payload)
        }
        return .response(requestID: requestID, payload: body, contentType: head.headers.first(name: "content-type"))
    }

    private func reply(context: ChannelHandlerContext, _ answer: RuntimeAPIAnswer, keepAlive: Bool) {
        switch answer {
        case .accepted:
            context.writeHTTPResponse(
                status: .accepted, body: context.channel.allocator.buffer(string: "{\"status\":\"OK\"}"),
                keepAlive: keepAlive)
        case .unknownRequestID:
            context.writeHTTPResponse(
                status: .badRequest, body: context.errorBody(type: "InvalidRequestID", message: "Invalid request ID"),
                keepAlive: keepAlive)
        case .invalidStateTransition(let from, let to):
            let message = "State transition from \(from) to \(to) failed for runtime."
            context.writeHTTPResponse(
                status: .forbidden, body: context.errorBody(type: "InvalidStateTransition", message: message),
                keepAlive: keepAlive)
        case .payloadTooLarge:
            let message = "Exceeded maximum allowed payload size (\(RuntimeAPI.maxPayloadSize) bytes)."
            context.writeHTTPResponse(
                status: .payloadTooLarge, body: context.errorBody(type: "RequestEntityTooLarge", message: message),
                keepAlive: keepAlive)
        }
    }

    private static func route(_ uri: String) -> Route {
        let path = uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? uri
        if path == RuntimeAPI.nextPath { return .next }
        if path == RuntimeAPI.initErrorPath { return .initError }
        guard path.hasPrefix(RuntimeAPI.invocationPrefix) else { return .notFound }
        let parts = path.dropFirst(RuntimeAPI.invocationPrefix.count).split(
            separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty else { return .notFound }
        switch parts[1] {
        case "response": return .response(String(parts[0]))
        case "error": return .error(String(parts[0]))
        default: return .notFound
        }
    }

    private static func isStreaming(_ head: HTTPRequestHead) -> Bool {
        head.headers.first(name: RuntimeAPI.Header.responseMode)?.lowercased() == "streaming"
    }

    /// The error type from the header, else from the body's `errorType`, else `Runtime.Unknown`.
    private static func errorType(head: HTTPRequestHead, body: ByteBuffer) -> String {
        if let header = head.headers.first(name: RuntimeAPI.Header.errorType), !header.isEmpty { return header }
        if let decoded = try? JSONDecoder().decode(ErrorShape.self, from: Data(body.readableBytesView)),
            let type = decoded.errorType
        {
            return type
        }
        return RuntimeAPI.PlatformError.unknown
    }

    private static func nextHeaders(_ invocation: PendingInvocation) -> [(String, String)] {
        var headers = [
            (RuntimeAPI.Header.requestID, invocation.requestID),
            (RuntimeAPI.Header.deadline, String(invocation.deadlineMilliseconds)),
            (RuntimeAPI.Header.functionARN, invocation.functionARN),
            (RuntimeAPI.Header.traceID, invocation.traceID),
        ]
        if let context = invocation.clientContext { headers.append((RuntimeAPI.Header.clientContext, context)) }
        if let identity = invocation.cognitoIdentity {
            headers.append((RuntimeAPI.Header.cognitoIdentity, identity))
        }
        return headers
    }
}

private struct ErrorShape: Decodable {
    var errorType: String?
}
