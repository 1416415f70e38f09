import FoundationEssentials
import NIOCore
import Synchronization

/// One event on its way to the runtime, with the headers `/next` sends along.
struct PendingInvocation: Sendable {
    var requestID: String
    var payload: ByteBuffer
    var deadlineMilliseconds: Int64
    var functionARN: String
    var traceID: String
    var clientContext: String?
    var cognitoIdentity: String?
}

/// What the runtime (or its process, or a timer) did, in the order it happened.
enum RuntimeSignal: Sendable {
    /// The runtime of this generation asked for its first event: initialisation is over.
    case ready(generation: Int)
    case response(requestID: String, payload: ByteBuffer, contentType: String?)
    /// Part of a streamed response, passed on before the response is complete.
    case responseChunk(requestID: String, chunk: ByteBuffer, contentType: String?)
    case functionError(requestID: String, errorType: String, payload: ByteBuffer)
    case responseTooLarge(requestID: String)
    case initError(generation: Int, errorType: String, payload: ByteBuffer)
    case exited(generation: Int, status: ExitStatus)
    case timedOut(token: Int)
}

/// How the Runtime API answers one request of the runtime.
enum RuntimeAPIAnswer: Equatable, Sendable {
    case accepted
    case unknownRequestID
    case invalidStateTransition(from: String, to: String)
    case payloadTooLarge
}

/// The state shared by the Runtime API server (NIO threads) and the invoking side (Swift tasks): the event
/// waiting for the runtime, the `/next` request waiting for an event, which request ids are in flight or
/// answered, and a mailbox of ``RuntimeSignal``s that the invoking side reads one by one.
final class RuntimeAPIState: Sendable {
    private struct Inner {
        var generation = 0
        var initialised = false
        var queued: PendingInvocation?
        var waitingNext: EventLoopPromise<PendingInvocation>?
        var inFlight: String?
        var answered: [String: String] = [:]
        var answeredOrder: [String] = []
        var signals: [RuntimeSignal] = []
        var signalWaiter: CheckedContinuation<RuntimeSignal, Never>?
    }

    private enum Delivery {
        case none
        case event(EventLoopPromise<PendingInvocation>, PendingInvocation)
    }

    /// How many answered ids are remembered for `403 InvalidStateTransition` on a second answer.
    private static let answeredMemory = 1024
    private let inner = Mutex(Inner())

    // MARK: The invoking side

    /// Forgets everything of the previous runtime process and starts counting for a new one.
    func reset(generation: Int) {
        let stale = inner.withLock { state -> EventLoopPromise<PendingInvocation>? in
            state.generation = generation
            state.initialised = false
            state.queued = nil
            state.inFlight = nil
            let waiting = state.waitingNext
            state.waitingNext = nil
            return waiting
        }
        stale?.fail(ChannelError.ioOnClosedChannel)
    }

    /// Hands an event to the runtime: at once to a waiting `/next`, else to the next one that comes.
    func enqueue(_ invocation: PendingInvocation) {
        let delivery = inner.withLock { state -> Delivery in
            if let waiting = state.waitingNext {
                state.waitingNext = nil
                state.inFlight = invocation.requestID
                return .event(waiting, invocation)
            }
            state.queued = invocation
            return .none
        }
        if case .event(let promise, let invocation) = delivery {
            promise.succeed(invocation)
        }
    }

    /// Marks an invocation finished by the platform (timeout, crash): later answers for it get 403.
    func abandon(requestID: String) {
        inner.withLock { state in
            if state.queued?.requestID == requestID { state.queued = nil }
            if state.inFlight == requestID { state.inFlight = nil }
            Self.remember(requestID, as: "Timeout", in: &state)
        }
    }

    /// Posts a signal from outside the server (process exit, timer).
    func post(_ signal: RuntimeSignal) {
        let waiter = inner.withLock { state -> CheckedContinuation<RuntimeSignal, Never>? in
            if let waiter = state.signalWaiter {
                state.signalWaiter = nil
                return waiter
            }
            state.signals.append(signal)
            return nil
        }
        waiter?.resume(returning: signal)
    }

    /// The oldest signal not yet read, waiting for one if there is none. One reader at a time.
    func nextSignal() async -> RuntimeSignal {
        await withCheckedContinuation { continuation in
            let ready = inner.withLock { state -> RuntimeSignal? in
                if !state.signals.isEmpty { return state.signals.removeFirst() }
                state.signalWaiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    // MARK: The Runtime API side

    /// `GET /next`: the promise is fulfilled with the next event, now or later.
    func next(_ promise: EventLoopPromise<PendingInvocation>) {
        var signal: RuntimeSignal?
        var stale: EventLoopPromise<PendingInvocation>?
        let delivery = inner.withLock { state -> Delivery in
            if !state.initialised {
                state.initialised = true
                signal = .ready(generation: state.generation)
            }
            if let queued = state.queued {
                state.queued = nil
                state.inFlight = queued.requestID
                return .event(promise, queued)
            }
            stale = state.waitingNext
            state.waitingNext = promise
            return .none
        }
        stale?.fail(ChannelError.ioOnClosedChannel)
        if let signal { post(signal) }
        if case .event(let promise, let invocation) = delivery {
            promise.succeed(invocation)
        }
    }

    /// The connection of a waiting `/next` closed: forget it, so that the event goes to the next `/next`.
    func cancelNext(_ promise: EventLoopPromise<PendingInvocation>) {
        let cancelled = inner.withLock { state -> Bool in
            guard let waiting = state.waitingNext, waiting.futureResult === promise.futureResult else { return false }
            state.waitingNext = nil
            return true
        }
        if cancelled { promise.fail(ChannelError.ioOnClosedChannel) }
    }

    /// `POST /{id}/response` (`tooLarge` when the body passed the limit) or `POST /{id}/error`.
    func answer(requestID: String, with signal: RuntimeSignal, transition: String) -> RuntimeAPIAnswer {
        let answer = inner.withLock { state -> RuntimeAPIAnswer in
            if let previous = state.answered[requestID] {
                return .invalidStateTransition(from: previous, to: transition)
            }
            guard state.inFlight == requestID else { return .unknownRequestID }
            state.inFlight = nil
            Self.remember(requestID, as: transition, in: &state)
            if case .responseTooLarge = signal { return .payloadTooLarge }
            return .accepted
        }
        if answer == .accepted || answer == .payloadTooLarge { post(signal) }
        return answer
    }

    /// Whether `requestID` was handed to the runtime and not answered yet.
    func isInFlight(_ requestID: String) -> Bool {
        inner.withLock { $0.inFlight == requestID }
    }

    /// `POST /init/error`: accepted only while the runtime has not asked for an event yet.
    func initError(errorType: String, payload: ByteBuffer) -> RuntimeAPIAnswer {
        let generation = inner.withLock { state -> Int? in
            state.initialised ? nil : state.generation
        }
        guard let generation else { return .invalidStateTransition(from: "Ready", to: "InitError") }
        post(.initError(generation: generation, errorType: errorType, payload: payload))
        return .accepted
    }

    private static func remember(_ requestID: String, as transition: String, in state: inout Inner) {
        state.answered[requestID] = transition
        state.answeredOrder.append(requestID)
        if state.answeredOrder.count > answeredMemory {
            let oldest = state.answeredOrder.removeFirst()
            state.answered[oldest] = nil
        }
    }
}
