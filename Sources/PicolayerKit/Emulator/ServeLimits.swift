import NIOCore
import NIOHTTP1
import Synchronization

/// What `serve` allows one caller, so that no client can exhaust its memory, connections or time.
public struct ServeLimits: Sendable, Equatable {
    /// Open connections at once; more are closed as soon as they are accepted.
    public var maxConnections: Int
    /// How long a connection may go without a complete request head: idle keep-alive connections and slow
    /// headers (slowloris) are closed after it.
    public var idleTimeout: Duration
    /// How long the body of a request may take to arrive after its head.
    public var requestTimeout: Duration
    /// `Event` invocations accepted but not finished; beyond it, 429 TooManyRequestsException.
    public var maxQueuedEvents: Int

    public init(
        maxConnections: Int = 128,
        idleTimeout: Duration = .seconds(30),
        requestTimeout: Duration = .seconds(30),
        maxQueuedEvents: Int = 100
    ) {
        self.maxConnections = maxConnections
        self.idleTimeout = idleTimeout
        self.requestTimeout = requestTimeout
        self.maxQueuedEvents = maxQueuedEvents
    }
}

/// A count with an upper bound, shared by the connections of one server.
final class BoundedCounter: Sendable {
    private let value = Atomic<Int>(0)
    let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    /// Takes one unit if fewer than `limit` are taken.
    func acquire() -> Bool {
        var current = value.load(ordering: .relaxed)
        while current < limit {
            let (exchanged, original) = value.compareExchange(
                expected: current, desired: current + 1, ordering: .acquiringAndReleasing)
            if exchanged { return true }
            current = original
        }
        return false
    }

    func release() {
        value.subtract(1, ordering: .acquiringAndReleasing)
    }

    var count: Int { value.load(ordering: .relaxed) }
}

/// Enforces ``ServeLimits`` on one connection of the Invoke API, between NIO's HTTP codec and the handler:
/// refuses connections beyond the limit, closes a connection without a complete request head after
/// `idleTimeout` or without its body after `requestTimeout` (no timer while the invocation runs: the function
/// timeout bounds that), and closes it after the 400 NIO's error handler answers to a malformed request, as
/// that answer's `Connection: close` says.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let limits: ServeLimits
    private let connections: BoundedCounter
    private var counted = false
    private var timer: Scheduled<Void>?

    init(limits: ServeLimits, connections: BoundedCounter) {
        self.limits = limits
        self.connections = connections
    }

    func channelActive(context: ChannelHandlerContext) {
        guard connections.acquire() else {
            context.close(promise: nil)
            return
        }
        counted = true
        arm(context, after: limits.idleTimeout)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        if counted {
            counted = false
            connections.release()
        }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: arm(context, after: limits.requestTimeout)
        case .body: break
        case .end:
            timer?.cancel()
            timer = nil
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { arm(context, after: limits.idleTimeout) }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // NIO's HTTPServerProtocolErrorHandler has written its 400 with `Connection: close` and passes the
        // error on; nothing more can be read from this connection.
        context.close(promise: nil)
    }

    private func arm(_ context: ChannelHandlerContext, after duration: Duration) {
        timer?.cancel()
        let channel = context.channel
        timer = context.eventLoop.scheduleTask(in: TimeAmount(duration)) {
            channel.close(promise: nil)
        }
    }
}
