import Synchronization

/// Enforces deadlines (the function timeout, the init limit) without a timer per invocation: arming and
/// disarming only write a value under a lock, and one long-lived task sleeps until the armed deadline. This keeps
/// thread wake-ups off the path of every invocation, which matters at tens of microseconds per invocation.
final class Watchdog: Sendable {
    private struct Inner {
        var armed: (token: Int, deadline: ContinuousClock.Instant)?
        /// When the sleeping task wakes next; arming an earlier deadline restarts it.
        var wakeAt: ContinuousClock.Instant?
        var task: Task<Void, Never>?
        /// Which task is the current one; a replaced task that is still finishing must not touch the state.
        var taskID = 0
        var nextToken = 0
    }

    /// While nothing is armed the task looks again this often; an arm that comes meanwhile is seen then, which
    /// is early enough as long as every deadline is further away than this (Lambda's smallest timeout is 1 s).
    private static let idleInterval: Duration = .milliseconds(250)
    private static let idleRoundsBeforeExit = 8
    private let inner = Mutex(Inner())
    private let fire: @Sendable (Int) -> Void

    /// `fire` receives the token of a deadline that passed while armed.
    init(fire: @escaping @Sendable (Int) -> Void) {
        self.fire = fire
    }

    /// Arms a deadline `duration` from now and returns its token.
    func arm(after duration: Duration) -> Int {
        let deadline = ContinuousClock.now + duration
        let (token, restart) = inner.withLock { state -> (Int, Task<Void, Never>?) in
            state.nextToken += 1
            state.armed = (state.nextToken, deadline)
            guard state.task == nil || (state.wakeAt.map { deadline < $0 } ?? true) else {
                return (state.nextToken, nil)
            }
            let old = state.task
            state.wakeAt = deadline
            state.taskID += 1
            let id = state.taskID
            state.task = Task { [weak self] in await self?.watch(id: id) }
            return (state.nextToken, old)
        }
        restart?.cancel()
        return token
    }

    func disarm() {
        inner.withLock { $0.armed = nil }
    }

    func stop() {
        let task = inner.withLock { state -> Task<Void, Never>? in
            state.armed = nil
            defer { state.task = nil }
            return state.task
        }
        task?.cancel()
    }

    private func watch(id: Int) async {
        var idleRounds = 0
        while !Task.isCancelled {
            let now = ContinuousClock.now
            let (fired, wakeAt) = inner.withLock { state -> (Int?, ContinuousClock.Instant?) in
                guard state.taskID == id else { return (nil, nil) }
                if let armed = state.armed, armed.deadline <= now {
                    state.armed = nil
                    state.wakeAt = now + Self.idleInterval
                    return (armed.token, state.wakeAt)
                }
                idleRounds = state.armed == nil ? idleRounds + 1 : 0
                if idleRounds > Self.idleRoundsBeforeExit {
                    // Idle for a while: end, so an idle instance costs nothing; the next arm starts a new task.
                    state.task = nil
                    state.wakeAt = nil
                    return (nil, nil)
                }
                state.wakeAt = state.armed?.deadline ?? now + Self.idleInterval
                return (nil, state.wakeAt)
            }
            if let fired { fire(fired) }
            guard let wakeAt else { return }
            try? await Task.sleep(until: wakeAt, clock: .continuous)
        }
    }
}
