import FoundationEssentials
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// How a child process ended, worded as Lambda words it (Go's `exit status 42`, `signal: killed`).
public enum ExitStatus: Sendable, Equatable, CustomStringConvertible {
    case exited(Int32)
    case signalled(Int32)

    init(waitStatus status: Int32) {
        let signal = status & 0x7f
        self = signal == 0 ? .exited((status >> 8) & 0xff) : .signalled(signal)
    }

    /// The exit code, or the signal's number for a child that a signal ended.
    public var code: Int32 {
        switch self {
        case .exited(let code), .signalled(let code): return code
        }
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

/// The one way picolayer starts a child process: `posix_spawn` with an argv array (never a shell), exactly the
/// environment given, standard streams wired to descriptors the caller owns, every other descriptor closed.
enum Spawn {
    /// Where the child's process group or session comes from.
    enum Grouping: Sendable {
        /// The parent's group.
        case inherit
        /// A group of its own (the child's pid), so that a kill of `-pid` reaches what it forks.
        case ownGroup
        /// A session (and group) of its own: also the processes that move to groups of their own stay in it.
        case ownSession
    }

    struct Request {
        var executable: String
        var arguments: [String] = []
        var environment: [String: String]
        var directory: String?
        /// The child's descriptors 0, 1 and 2; nil is /dev/null.
        var standardInput: Int32?
        var standardOutput: Int32?
        var standardError: Int32?
        var grouping: Grouping = .inherit
    }

    /// glibc's `POSIX_SPAWN_SETSID` (2.26+), which Swift's Glibc module hides behind _GNU_SOURCE.
    static let setSessionFlag: Int32 = 0x80

    /// Starts the child and returns its pid, or the `errno` of the failure.
    static func start(_ request: Request) -> Result<pid_t, SpawnFailure> {
        // Serialised so that no child inherits a descriptor that another thread opened without FD_CLOEXEC yet.
        lock.withLock { _ in startLocked(request) }
    }

    struct SpawnFailure: Error {
        var errno: Int32
    }

    private static let lock = Mutex(())

    private static func startLocked(_ request: Request) -> Result<pid_t, SpawnFailure> {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let streams = [request.standardInput, request.standardOutput, request.standardError]
        for (target, source) in streams.enumerated() {
            if let source {
                if source != Int32(target) { posix_spawn_file_actions_adddup2(&actions, source, Int32(target)) }
            } else {
                posix_spawn_file_actions_addopen(
                    &actions, Int32(target), "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0)
            }
        }
        if let directory = request.directory {
            guard let addChdir = addChdirFunction, addChdir(&actions, directory) == 0 else {
                return .failure(SpawnFailure(errno: ENOSYS))
            }
        }
        // Whatever else this program has open (sockets, other children's pipes) stays out of the child.
        _ = addCloseFromFunction?(&actions, 3)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Default handling for the signals picolayer itself ignores or handles, nothing blocked.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGCHLD] { sigaddset(&defaults, signal) }
        var noMask = sigset_t()
        sigemptyset(&noMask)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &noMask)
        var flags = Int32(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)
        switch request.grouping {
        case .inherit: break
        case .ownGroup:
            flags |= Int32(POSIX_SPAWN_SETPGROUP)
            posix_spawnattr_setpgroup(&attributes, 0)
        case .ownSession: flags |= setSessionFlag
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        let argv = ([request.executable] + request.arguments).map { strdup($0) } + [nil]
        let envp = request.environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        var result = posix_spawn(&pid, request.executable, &actions, &attributes, argv, envp)
        // ETXTBSY: a process forked elsewhere in this program still holds a freshly written executable open for
        // writing; it lets go when that process execs. Go's os/exec retries the same way.
        for _ in 0..<50 where result == ETXTBSY {
            usleep(10_000)
            result = posix_spawn(&pid, request.executable, &actions, &attributes, argv, envp)
        }
        return result == 0 ? .success(pid) : .failure(SpawnFailure(errno: result))
    }

    /// Waits for `pid` on a thread of its own (never on the cooperative pool) and reaps it.
    static func waitForExit(_ pid: pid_t) async -> (status: ExitStatus, usage: rusage) {
        await withCheckedContinuation { continuation in
            detachThread {
                continuation.resume(returning: blockingWait(pid))
            }
        }
    }

    /// Waits for `pid` on the calling thread and reaps it.
    /// Blocks until `pid` has ended, without reaping it: while it is a zombie its number (and so its process
    /// group and session) cannot be given to another process.
    static func blockingWaitUnreaped(_ pid: pid_t) {
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) == -1 && errno == EINTR {}
    }

    static func blockingWait(_ pid: pid_t) -> (status: ExitStatus, usage: rusage) {
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) == -1 && errno == EINTR {}
        return (ExitStatus(waitStatus: status), usage)
    }

    /// Runs `body` on a new detached thread: for blocking system calls (wait4, poll) that must not hold one of the
    /// few threads of Swift's cooperative pool.
    static func detachThread(_ body: @escaping @Sendable () -> Void) {
        final class Box: Sendable {
            let body: @Sendable () -> Void
            init(_ body: @escaping @Sendable () -> Void) { self.body = body }
        }
        let context = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let started = pthread_create(
            &thread, nil,
            { raw in
                guard let raw else { return nil }
                let box = Unmanaged<Box>.fromOpaque(raw).takeRetainedValue()
                box.body()
                return nil
            }, context)
        if started == 0 {
            pthread_detach(thread)
        } else {
            Unmanaged<Box>.fromOpaque(context).takeRetainedValue().body()
        }
    }
}

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
