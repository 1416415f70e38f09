import FoundationEssentials
import NIOCore
import NIOHTTP1
import NIOPosix

/// A listening HTTP/1.1 server on loopback; `handler` makes the one handler of each new connection. With
/// `limits`, a ``ConnectionGuard`` bounds the connections and their idle and request times (the Invoke API's
/// callers; not the Runtime API, whose `/next` long poll waits as long as there is no event).
struct HTTPServer: Sendable {
    let channel: any Channel
    let port: Int

    static func start(
        host: String = "127.0.0.1",
        port: Int = 0,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        limits: ServeLimits? = nil,
        handler: @escaping @Sendable () -> any ChannelHandler
    ) async throws(EmulatorError) -> HTTPServer {
        let connections = limits.map { BoundedCounter(limit: $0.maxConnections) }
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    if let limits, let connections {
                        try channel.pipeline.syncOperations.addHandler(
                            ConnectionGuard(limits: limits, connections: connections))
                    }
                    try channel.pipeline.syncOperations.addHandler(handler())
                }
            }
        do {
            let channel = try await bootstrap.bind(host: host, port: port).get()
            guard let bound = channel.localAddress?.port else {
                throw EmulatorError.bindFailed(host: host, port: port, reason: "no local port")
            }
            return HTTPServer(channel: channel, port: bound)
        } catch let error as EmulatorError {
            throw error
        } catch {
            throw .bindFailed(host: host, port: port, reason: "\(error)")
        }
    }

    func close() async {
        try? await channel.close()
    }
}

/// One request as its parts arrive, the body bounded: a body over `limit` is dropped as it comes (memory stays
/// bounded) and the request is marked `overLimit`, so the server can answer 413 once it has ended.
struct RequestCollector {
    struct Request {
        var head: HTTPRequestHead
        var body: [UInt8]
        var overLimit: Bool
    }

    let limit: Int
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var overLimit = false

    init(limit: Int) { self.limit = limit }

    /// Takes one part; the whole request once its end has come, else nil.
    mutating func take(_ part: HTTPServerRequestPart) -> Request? {
        switch part {
        case .head(let head):
            self.head = head
            body = []
            overLimit = false
        case .body(let chunk):
            guard !overLimit else { return nil }
            if body.count + chunk.readableBytes > limit {
                overLimit = true
                body = []
            } else {
                body.append(contentsOf: chunk.readableBytesView)
            }
        case .end:
            guard let head else { return nil }
            defer {
                self.head = nil
                body = []
            }
            return Request(head: head, body: body, overLimit: overLimit)
        }
        return nil
    }
}

/// Writing one whole HTTP response, the way both servers answer.
extension ChannelHandlerContext {
    func writeHTTPResponse(
        status: HTTPResponseStatus,
        headers: [(String, String)] = [],
        body: ByteBuffer?,
        contentType: String? = "application/json",
        keepAlive: Bool
    ) {
        var head = HTTPResponseHead(version: .http1_1, status: status)
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        if let contentType, body != nil { head.headers.replaceOrAdd(name: "Content-Type", value: contentType) }
        head.headers.replaceOrAdd(name: "Content-Length", value: String(body?.readableBytes ?? 0))
        if !keepAlive { head.headers.replaceOrAdd(name: "Connection", value: "close") }
        write(NIOAny(HTTPServerResponsePart.head(head)), promise: nil)
        if let body, body.readableBytes > 0 {
            write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(body))), promise: nil)
        }
        guard !keepAlive else {
            writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)), promise: nil)
            return
        }
        let done = eventLoop.makePromise(of: Void.self)
        writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)), promise: done)
        let channel = self.channel
        done.futureResult.whenComplete { _ in channel.close(promise: nil) }
    }

    func errorBody(type: String, message: String) -> ByteBuffer {
        channel.allocator.buffer(string: LambdaJSON.error(type: type, message: message))
    }
}

/// The small JSON documents the emulator writes itself.
enum LambdaJSON {
    /// `{"errorMessage":"...","errorType":"..."}`, Lambda's ErrorResponse shape.
    static func error(type: String, message: String) -> String {
        "{\"errorMessage\":\(quote(message)),\"errorType\":\(quote(type))}"
    }

    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let c where c.value < 0x20: out += "\\u" + TextFormat.hex(c.value, digits: 4)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
