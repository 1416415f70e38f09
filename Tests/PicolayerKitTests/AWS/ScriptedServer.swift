import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// A small HTTP server on 127.0.0.1 (port 0) that answers each request with the next scripted reply, or through a
/// route function, and records what it received. It stands in for AWS where moto cannot (JSON errors, throttling,
/// skew) and for the credential endpoints (container, IMDSv2, SSO portal). A reply with status 0 is never sent:
/// the request is left hanging, as an address that swallows packets would.
final class ScriptedServer: Sendable {
    struct Reply: Sendable {
        var status: Int
        var headers: [(String, String)]
        var body: String

        init(_ status: Int, headers: [(String, String)] = [], body: String = "") {
            self.status = status
            self.headers = headers
            self.body = body
        }
    }

    struct Received: Sendable {
        var method: String
        var uri: String
        var headers: [(String, String)]
        var body: [UInt8]

        func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }
    }

    private let state: NIOLockedValueBox<[Received]>
    private let channel: Channel
    let port: Int

    private init(channel: Channel, state: NIOLockedValueBox<[Received]>) throws {
        self.channel = channel
        self.state = state
        guard let port = channel.localAddress?.port else { throw ChannelError.unknownLocalAddress }
        self.port = port
    }

    var received: [Received] { state.withLockedValue { $0 } }
    var endpoint: String { "http://127.0.0.1:\(port)" }

    /// Runs `body` with a server answering `replies` in order (then 500s), and stops it afterwards.
    static func with<T>(replies: [Reply], _ body: (ScriptedServer) async throws -> T) async throws -> T {
        let queue = NIOLockedValueBox(replies)
        let next: @Sendable (Received) -> Reply = { _ in
            queue.withLockedValue { $0.isEmpty ? Reply(500, body: "no more scripted replies") : $0.removeFirst() }
        }
        return try await with(route: next, body)
    }

    /// Runs `body` with a server answering each request through `route`, and stops it afterwards.
    static func with<T>(
        route: @escaping @Sendable (Received) -> Reply, _ body: (ScriptedServer) async throws -> T
    ) async throws -> T {
        let state = NIOLockedValueBox<[Received]>([])
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(state: state, route: route))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let server = try ScriptedServer(channel: channel, state: state)
        do {
            let result = try await body(server)
            try await channel.close()
            return result
        } catch {
            try? await channel.close()
            throw error
        }
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let state: NIOLockedValueBox<[Received]>
        let route: @Sendable (Received) -> Reply
        var head: HTTPRequestHead?
        var body: [UInt8] = []

        init(state: NIOLockedValueBox<[Received]>, route: @escaping @Sendable (Received) -> Reply) {
            self.state = state
            self.route = route
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body = []
            case .body(var buffer):
                body += buffer.readBytes(length: buffer.readableBytes) ?? []
            case .end:
                guard let head else { return }
                let request = Received(
                    method: head.method.rawValue, uri: head.uri, headers: head.headers.map { ($0.name, $0.value) },
                    body: body)
                state.withLockedValue { $0.append(request) }
                let reply = route(request)
                self.head = nil
                if reply.status == 0 { return }
                var headers = HTTPHeaders(reply.headers)
                headers.replaceOrAdd(name: "Content-Length", value: String(reply.body.utf8.count))
                let responseHead = HTTPResponseHead(
                    version: head.version, status: HTTPResponseStatus(statusCode: reply.status), headers: headers)
                context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: reply.body)))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}
