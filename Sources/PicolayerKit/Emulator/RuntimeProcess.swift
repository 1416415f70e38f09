import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// How a runtime process ended, worded as Lambda words it (Go's `exit status 42`, `signal: killed`).
public enum ExitStatus: Sendable, Equatable, CustomStringConvertible {
    case exited(Int32)
    case signalled(Int32)

    init(waitStatus status: Int32) {
        let signal = status & 0x7f
        self = signal == 0 ? .exited((status >> 8) & 0xff) : .signalled(signal)
    }

    public var description: String {
        switch self {
        case .exited(let code): return "exit status \(code)"
        case .signalled(SIGKILL): return "signal: killed"
        case .signalled(SIGTERM): return "signal: terminated"
        case .signalled(SIGSEGV): return "signal: segmentation fault"
        case .signalled(SIGABRT): return "signal: aborted"
        case .signalled(let signal): return "signal: \(signal)"
        }
    }
}

private let spawnLock = Mutex(())

/// glibc's `posix_spawn_file_actions_addchdir_np` (2.29+), which Swift's Glibc module hides behind _GNU_SOURCE.
private let addChdirFunction:
    (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addchdir_np") else {
            return nil
        }
        return unsafeBitCast(
            symbol,
            to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32).self)
    }()

/// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), hidden the same way.
private let addCloseFromFunction: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? =
    {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
        else {
            return nil
        }
        return unsafeBitCast(
            symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

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
        // Our own spawns are serialised so that no child inherits another one's pipe before FD_CLOEXEC is set.
        try spawnLock.withLock { _ throws(EmulatorError) in
            try spawnLocked(
                executable: executable, arguments: arguments, environment: environment, directory: directory,
                sink: sink, onExit: onExit)
        }
    }

    private static func spawnLocked(
        executable: String,
        arguments: [String],
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

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 1)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 2)
        guard let addChdir = addChdirFunction, addChdir(&actions, directory) == 0 else {
            throw .spawnFailed(path: executable, errno: ENOSYS)
        }
        // Whatever else this program has open (sockets, other runtimes' pipes) stays out of the runtime.
        _ = addCloseFromFunction?(&actions, 3)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A session (and group) of its own, default signal handling (the emulator ignores SIGPIPE; the runtime
        // must not inherit that), nothing blocked.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGCHLD] { sigaddset(&defaults, signal) }
        var noMask = sigset_t()
        sigemptyset(&noMask)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &noMask)
        posix_spawnattr_setflags(
            &attributes, Int16(ProcessTree.spawnSetSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        var result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        // ETXTBSY: a process forked elsewhere in this program still holds the freshly written bootstrap open
        // for writing; it lets go when that process execs. Go's os/exec retries the same way.
        for _ in 0..<50 where result == ETXTBSY {
            usleep(10_000)
            result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        }
        close(writeEnd)
        guard result == 0 else {
            close(readEnd)
            throw .spawnFailed(path: executable, errno: result)
        }
        _ = fcntl(readEnd, F_SETFL, fcntl(readEnd, F_GETFL) | O_NONBLOCK)
        let process = RuntimeProcess(
            pid: pid, output: RuntimeOutput(descriptor: readEnd, sink: sink),
            parentPeakAtSpawn: ProcessTree.highWaterKilobytes(of: "self") ?? Int.max)
        process.output.startReading()
        Thread.detachNewThread { [pid] in
            var status: Int32 = 0
            var usage = rusage()
            while wait4(pid, &status, 0, &usage) == -1 && errno == EINTR {}
            process.finalPeak.withLock { $0 = Int(usage.ru_maxrss) }
            process.exited.withLock { $0 = true }
            onExit(ExitStatus(waitStatus: status))
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
        Thread.detachNewThread { [self] in
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
