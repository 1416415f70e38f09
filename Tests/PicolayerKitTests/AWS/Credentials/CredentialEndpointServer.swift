import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// A small HTTP server on 127.0.0.1 (port 0) that answers each request through `route`, so that it can act as
/// the container credential endpoint, IMDSv2 (refusing requests without the session token) or the SSO portal
/// (checking the bearer token). It records what it received. A reply with status 0 is never sent: the request is
/// left hanging, as an address that swallows packets would.
final class CredentialEndpointServer: Sendable {
    typealias Reply = ScriptedServer.Reply
    typealias Received = ScriptedServer.Received

    private let received: NIOLockedValueBox<[Received]>
    let port: Int

    private init(port: Int, received: NIOLockedValueBox<[Received]>) {
        self.port = port
        self.received = received
    }

    var requests: [Received] { received.withLockedValue { $0 } }
    var endpoint: String { "http://127.0.0.1:\(port)" }

    /// Runs `body` with a server answering through `route`, and stops it afterwards.
    static func with<T>(
        route: @escaping @Sendable (Received) -> Reply, _ body: (CredentialEndpointServer) async throws -> T
    ) async throws -> T {
        let received = NIOLockedValueBox<[Received]>([])
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(received: received, route: route))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        guard let port = channel.localAddress?.port else {
            try? await channel.close()
            throw ChannelError.unknownLocalAddress
        }
        let server = CredentialEndpointServer(port: port, received: received)
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

        let received: NIOLockedValueBox<[Received]>
        let route: @Sendable (Received) -> Reply
        var head: HTTPRequestHead?
        var body: [UInt8] = []

        init(received: NIOLockedValueBox<[Received]>, route: @escaping @Sendable (Received) -> Reply) {
            self.received = received
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
                received.withLockedValue { $0.append(request) }
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
