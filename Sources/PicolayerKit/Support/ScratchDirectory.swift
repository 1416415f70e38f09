import Dispatch
import FoundationEssentials
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The names of picolayer's own temporary files and folders. Each carries the PID of the process that made it,
/// so a later run can tell a leftover of a dead process (removed) from the work of a live one (left alone).
public enum ScratchNames {
    /// `.NAME.tmp-PID-N` beside a zip being written.
    public static func zipTemporary(for name: String, attempt: Int) -> String {
        ".\(name).tmp-\(getpid())-\(attempt)"
    }

    /// `.partial-PID-UUID` in the download cache.
    public static func partialDownload() -> String { ".partial-\(getpid())-\(UUID().uuidString)" }

    /// `picolayer-KIND-PID-UUID` in the temporary directory.
    public static func scratchFolder(kind: String) -> String { "picolayer-\(kind)-\(getpid())-\(UUID().uuidString)" }

    /// The PID in a zip temporary's name, or nil when `name` is not one.
    public static func zipTemporaryPID(_ name: String) -> pid_t? {
        guard name.hasPrefix("."), let marker = name.ranges(of: ".tmp-").last,
            marker.lowerBound > name.index(after: name.startIndex)
        else { return nil }
        let parts = name[marker.upperBound...].split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) }) else { return nil }
        return pid_t(parts[0])
    }

    /// The PID in a partial download's name, or nil.
    public static func partialDownloadPID(_ name: String) -> pid_t? {
        guard name.hasPrefix(".partial-") else { return nil }
        return leadingPID(name.dropFirst(".partial-".count))
    }

    /// The PID in a scratch folder's name (`picolayer-KIND-PID-UUID`), or nil.
    public static func scratchFolderPID(_ name: String) -> pid_t? {
        guard name.hasPrefix("picolayer-") else { return nil }
        let rest = name.dropFirst("picolayer-".count)
        guard let dash = rest.firstIndex(of: "-"), rest[..<dash].allSatisfy(\.isLetter) else { return nil }
        return leadingPID(rest[rest.index(after: dash)...])
    }

    /// `PID-UUID` → PID, when the UUID part is one.
    private static func leadingPID(_ text: Substring) -> pid_t? {
        guard let dash = text.firstIndex(of: "-"), UUID(uuidString: String(text[text.index(after: dash)...])) != nil
        else { return nil }
        let digits = text[..<dash]
        guard !digits.isEmpty, digits.allSatisfy(\.isASCIIDigit) else { return nil }
        return pid_t(digits)
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}

/// What picolayer must undo when it is stopped: temporary paths to remove and child processes to kill.
///
/// Commands that write temporary files call `removeOnSignals()` once; from then on SIGINT, SIGTERM and SIGHUP
/// remove every registered path, stop every registered child (killing its whole process group when it has one), and
/// then end the process with the same signal, so the shell still sees "killed by SIGINT".
public final class TemporaryPaths: Sendable {
    public static let shared = TemporaryPaths()

    private struct State {
        var paths: Set<String> = []
        /// Child PIDs, and whether the PID leads its own process group (then the group is killed).
        var children: [pid_t: Bool] = [:]
        var sources: [any DispatchSourceSignal] = []
        var swept: Set<String> = []
    }

    private let state = Mutex(State())

    public func register(_ path: String) { state.withLock { _ = $0.paths.insert(path) } }

    public func unregister(_ path: String) { state.withLock { _ = $0.paths.remove(path) } }

    /// Runs `create` (which makes a file and returns its path, or nil) and registers the path in one step, so a
    /// signal handled meanwhile sees either no file or a registered one: never a file of ours left behind.
    public func creating(_ create: () -> String?) -> String? {
        state.withLock { state in
            guard let path = create() else { return nil }
            state.paths.insert(path)
            return path
        }
    }

    public func registerChild(_ pid: pid_t, ownGroup: Bool) { state.withLock { $0.children[pid] = ownGroup } }

    public func unregisterChild(_ pid: pid_t) { state.withLock { _ = $0.children.removeValue(forKey: pid) } }

    /// The signal being handled, 0 before any: once set, an exit on another thread (the command failing because
    /// its child was just killed) still ends the process by that signal.
    private static let pendingSignal = Atomic<Int32>(0)

    /// Installs the signal cleanup (once per process).
    public func removeOnSignals() {
        state.withLock { state in
            guard state.sources.isEmpty else { return }
            atexit {
                let number = TemporaryPaths.pendingSignal.load(ordering: .sequentiallyConsistent)
                guard number != 0 else { return }
                TemporaryPaths.shared.removePaths()
                TemporaryPaths.die(of: number)
            }
            for number in [SIGINT, SIGTERM, SIGHUP] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { [self] in
                    guard
                        Self.pendingSignal.compareExchange(
                            expected: 0, desired: number, ordering: .sequentiallyConsistent
                        )
                        .exchanged
                    else { return }
                    cleanUp(signal: number)
                    Self.die(of: number)
                }
                source.resume()
                state.sources.append(source)
            }
        }
    }

    /// Ends the process by `number` with its default action. Dispatch's threads block some signals, so the
    /// signal is unblocked on this thread before it is raised.
    private static func die(of number: Int32) {
        signal(number, SIG_DFL)
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, number)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        raise(number)
    }

    private func removePaths() {
        for path in state.withLock({ $0.paths }) {
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    /// Stops the registered children and removes the registered paths. A child in its own process group
    /// (`credential_process`) is killed with its group; any other child gets the same signal, so that an engine
    /// such as podman can still stop its container.
    func cleanUp(signal number: Int32) {
        let (paths, children) = state.withLock { ($0.paths, $0.children) }
        for (pid, ownGroup) in children {
            if ownGroup {
                kill(-pid, SIGKILL)
                kill(pid, SIGKILL)
            } else {
                kill(pid, number)
            }
        }
        for path in paths {
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    /// Removes the entries of `folder` that `pid` names as picolayer's own and whose process is gone. Each folder
    /// is swept once per process; a folder that cannot be read is left alone.
    public func sweepStale(in folder: String, pid: (String) -> pid_t?) {
        let first = state.withLock { $0.swept.insert(folder).inserted }
        guard first, let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for name in names {
            guard let owner = pid(name), owner != getpid(), !Self.isAlive(owner) else { continue }
            try? FileManager.default.removeItem(atPath: folder + "/" + name)
        }
    }

    /// Whether a process with this PID exists (EPERM: it exists, but belongs to someone else).
    static func isAlive(_ pid: pid_t) -> Bool {
        pid > 0 && (kill(pid, 0) == 0 || errno == EPERM)
    }
}

/// A folder under the temporary directory that is removed when the work is done, on errors and on signals;
/// leftovers of killed runs are swept the first time one is made.
public enum ScratchDirectory {
    /// Creates `$TMPDIR/picolayer-KIND-PID-UUID`, registered for removal on signals.
    public static func create(kind: String) throws -> URL {
        let temporary = FileManager.default.temporaryDirectory
        TemporaryPaths.shared.sweepStale(in: temporary.path, pid: ScratchNames.scratchFolderPID)
        let url = temporary.appendingPathComponent(ScratchNames.scratchFolder(kind: kind))
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        TemporaryPaths.shared.register(url.path)
        return url
    }

    /// Removes a folder made by `create` and forgets it.
    public static func remove(_ url: URL) {
        try? FileManager.default.removeItem(at: url)
        TemporaryPaths.shared.unregister(url.path)
    }

    /// Runs `body` with a fresh scratch folder, removed afterwards whatever happens.
    public static func with<T>(kind: String, _ body: (URL) async throws -> T) async throws -> T {
        let url = try create(kind: kind)
        defer { remove(url) }
        return try await body(url)
    }
}
