import FoundationEssentials
import Logging
import NIOCore
import NIOHTTP1

/// `serve --http`: plain HTTP on 127.0.0.1, as a function URL would front the function. Every method and path
/// is turned into a payload format 2.0 event (``FunctionURL/event(_:)``), and the function's answer back into
/// HTTP (``FunctionURL/response(payload:isError:)``); with `format: .v1`, as API Gateway's REST API would
/// (``RESTProxy``).
public struct FunctionURLServer: Sendable {
    private let server: HTTPServer
    public var port: Int { server.port }

    public static func start(
        pool: LocalLambdaPool, port: Int = 0, format: HTTPPayloadFormat = .v2, limits: ServeLimits = ServeLimits(),
        logger: Logger = .silent
    ) async throws(EmulatorError) -> FunctionURLServer {
        let server = try await HTTPServer.start(port: port, limits: limits) {
            FunctionURLHandler(pool: pool, format: format, logger: logger)
        }
        return FunctionURLServer(server: server)
    }

    public func close() async { await server.close() }
}

final class FunctionURLHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let pool: LocalLambdaPool
    private let format: HTTPPayloadFormat
    private let logger: Logger
    // A function URL takes at most 6 MB of request; the event grows by base64 and the envelope.
    private var collector = RequestCollector(limit: RuntimeAPI.maxPayloadSize)

    init(pool: LocalLambdaPool, format: HTTPPayloadFormat, logger: Logger) {
        self.pool = pool
        self.format = format
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let request = collector.take(unwrapInboundIn(data)) else { return }
        handle(context: context, head: request.head, body: request.body, overLimit: request.overLimit)
    }

    private func handle(context: ChannelHandlerContext, head: HTTPRequestHead, body: [UInt8], overLimit: Bool) {
        let keepAlive = head.isKeepAlive
        guard !overLimit else {
            context.writeHTTPResponse(
                status: .payloadTooLarge,
                body: context.channel.allocator.buffer(string: #"{"Message":"Request Too Long"}"#),
                keepAlive: false)
            return
        }
        let request = FunctionURL.Request(
            method: head.method.rawValue, target: head.uri, headers: head.headers.map { ($0.name, $0.value) },
            body: body, sourceIP: context.channel.remoteAddress?.ipAddress ?? "127.0.0.1",
            host: head.headers.first(name: "host") ?? "127.0.0.1", requestID: UUID().uuidString.lowercased(),
            time: Date())
        let event: [UInt8]
        do {
            event = try format.event(request)
        } catch {
            context.writeHTTPResponse(status: .badRequest, body: nil, keepAlive: keepAlive)
            return
        }
        let (pool, logger, format) = (self.pool, self.logger, self.format)
        let promise = context.eventLoop.makePromise(of: InvocationResult.self)
        promise.completeWithTask { try await pool.invoke(event) }
        promise.futureResult.assumeIsolated().whenComplete { outcome in
            let answer: FunctionURL.Response
            switch outcome {
            case .success(let result): answer = format.response(payload: result.payload, isError: result.isError)
            case .failure(let error):
                logger.error("serve --http: \(head.method.rawValue) \(head.uri): \(ErrorText.describe(error))")
                answer = format.response(payload: [], isError: true)
            }
            context.writeHTTPResponse(
                status: HTTPResponseStatus(statusCode: answer.status),
                headers: answer.headers.map { ($0.name, $0.value) },
                body: context.channel.allocator.buffer(bytes: answer.body), contentType: nil, keepAlive: keepAlive)
        }
    }
}
