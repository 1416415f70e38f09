import FoundationEssentials
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One runtime process (the `bootstrap`), in a session of its own (its id is the pid), which every process it
/// starts stays in unless it calls `setsid` itself: pil21's `call` moves children into process groups of their
/// own, so the session, not the group, is what a timeout kills. Its stdout and stderr go to one pipe, read into
/// a ``RuntimeOutput``; a thread waits for its exit.
final class RuntimeProcess: Sendable {
    let pid: pid_t
    let output: RuntimeOutput
    private let exited = Mutex(false)
    /// `ru_maxrss` (kB) from `wait4`, once the process has ended.
    private let finalPeak = Mutex(0)
    /// The highest `VmHWM` (kB) read from `/proc` while the process ran.
    private let sampledPeak = Mutex(0)
    /// picolayer's own `VmHWM` (kB) right after the spawn. posix_spawn runs the child on the parent's memory
    /// until it execs, and Linux then records that memory's high-water mark in the child's `ru_maxrss`: a
    /// `ru_maxrss` up to this value may be picolayer's, not the runtime's.
    private let parentPeakAtSpawn: Int
    private let exitWaiters = Mutex<[CheckedContinuation<Void, Never>]>([])

    private init(pid: pid_t, output: RuntimeOutput, parentPeakAtSpawn: Int) {
        self.pid = pid
        self.output = output
        self.parentPeakAtSpawn = parentPeakAtSpawn
    }

    /// Starts `executable` with exactly `environment` (nothing inherited) in `directory`.
    /// `onExit` runs once, on a thread of its own, when the process has ended.
    static func spawn(
        executable: String,
        arguments: [String] = [],
        environment: [String: String],
        directory: String,
        sink: (@Sendable ([UInt8]) -> Void)?,
        onExit: @escaping @Sendable (ExitStatus) -> Void
    ) throws(EmulatorError) -> RuntimeProcess {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw .spawnFailed(path: executable, errno: errno) }
        let (readEnd, writeEnd) = (fds[0], fds[1])
        _ = fcntl(readEnd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(writeEnd, F_SETFD, FD_CLOEXEC)
        let request = Spawn.Request(
            executable: executable, arguments: arguments, environment: environment, directory: directory,
            standardInput: nil, standardOutput: writeEnd, standardError: writeEnd, grouping: .ownSession)
        let started = Spawn.start(request)
        close(writeEnd)
        guard case .success(let pid) = started else {
            close(readEnd)
            if case .failure(let failure) = started { throw .spawnFailed(path: executable, errno: failure.errno) }
            throw .spawnFailed(path: executable, errno: EINVAL)
        }
        _ = fcntl(readEnd, F_SETFL, fcntl(readEnd, F_GETFL) | O_NONBLOCK)
        let process = RuntimeProcess(
            pid: pid, output: RuntimeOutput(descriptor: readEnd, sink: sink),
            parentPeakAtSpawn: ProcessTree.highWaterKilobytes(of: "self") ?? Int.max)
        process.output.startReading()
        Spawn.detachThread { [pid] in
            // What the bootstrap left in its group and session goes with it, killed while it is still a zombie:
            // once reaped, its number may be reused, and a group or session of that number is someone else's.
            Spawn.blockingWaitUnreaped(pid)
            let status = process.exited.withLock { exited in
                process.killTree()
                let (status, usage) = Spawn.blockingWait(pid)
                process.finalPeak.withLock { $0 = Int(usage.ru_maxrss) }
                exited = true
                return status
            }
            onExit(status)
            for waiter in process.exitWaiters.withLock({ waiters in
                defer { waiters.removeAll() }; return waiters
            }) {
                waiter.resume()
            }
        }
        return process
    }

    var hasExited: Bool { exited.withLock { $0 } }

    /// Returns once the process has ended and been reaped.
    func waitForExit() async {
        await withCheckedContinuation { continuation in
            // The exit flag is set before the waiters are taken, so checking it under the same lock is enough.
            let done = exitWaiters.withLock { waiters -> Bool in
                if hasExited { return true }
                waiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// Kills the whole session at once, as Lambda freezes and destroys the whole execution environment on a
    /// timeout: the group, then every process left in the session (children in groups of their own, orphans
    /// adopted by init). Also after the bootstrap itself has ended: what it left behind goes with it.
    func kill() {
        exited.withLock { exited in
            // After the reap the tree is already gone (killed at the exit), and the number may be reused.
            if !exited { killTree() }
        }
    }

    private func killTree() {
        _ = Glibc.kill(-pid, SIGKILL)
        ProcessTree.killSession(pid)
    }

    /// The peak resident set size of the runtime so far, in kB: `VmHWM` while it runs; once it has ended its
    /// `ru_maxrss` (which counts the children it waited for) when that is above what picolayer itself had
    /// when it started it (see `parentPeakAtSpawn`), else the highest `VmHWM` read while it ran.
    func peakMemoryKilobytes() -> Int? {
        if hasExited {
            let final = finalPeak.withLock { $0 }
            let sampled = sampledPeak.withLock { $0 }
            return final > parentPeakAtSpawn ? max(final, sampled) : sampled
        }
        guard let peak = ProcessTree.highWaterKilobytes(of: "\(pid)") else { return nil }
        return sampledPeak.withLock { sampled in
            sampled = max(sampled, peak)
            return sampled
        }
    }
}

/// Collects what a runtime writes to stdout and stderr. A reader thread appends as output arrives and passes it
/// to the sink; ``take()`` first drains what already sits in the pipe, so output written before the runtime
/// answered belongs to that invocation.
final class RuntimeOutput: Sendable {
    private struct Inner {
        var descriptor: Int32
        var collected: [UInt8] = []
        var closed = false
    }

    private static let maxCollected = 1 << 20
    private let inner: Mutex<Inner>
    private let sink: (@Sendable ([UInt8]) -> Void)?

    init(descriptor: Int32, sink: (@Sendable ([UInt8]) -> Void)?) {
        inner = Mutex(Inner(descriptor: descriptor))
        self.sink = sink
    }

    fileprivate func startReading() {
        let descriptor = inner.withLock { $0.descriptor }
        Spawn.detachThread { [self] in
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            while true {
                let ready = poll(&poller, 1, -1)
                if ready < 0 && errno == EINTR { continue }
                let closed = inner.withLock { state in
                    drain(&state)
                    return state.closed
                }
                if closed || ready < 0 { break }
            }
        }
    }

    /// Everything collected since the previous call (at most the last MiB).
    func take() -> [UInt8] {
        inner.withLock { state in
            drain(&state)
            defer { state.collected.removeAll(keepingCapacity: true) }
            return state.collected
        }
    }

    private func drain(_ state: inout Inner) {
        guard !state.closed else { return }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 65536) { buffer in
            while true {
                let count = read(state.descriptor, buffer.baseAddress, buffer.count)
                if count > 0 {
                    let chunk = Array(buffer[0..<count])
                    state.collected.append(contentsOf: chunk)
                    if state.collected.count > Self.maxCollected {
                        state.collected.removeFirst(state.collected.count - Self.maxCollected)
                    }
                    sink?(chunk)
                } else if count == 0 || (errno != EAGAIN && errno != EINTR) {
                    close(state.descriptor)
                    state.closed = true
                    return
                } else if errno == EAGAIN {
                    return
                }
            }
        }
    }
}
