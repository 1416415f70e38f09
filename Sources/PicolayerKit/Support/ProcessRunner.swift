import FoundationEssentials
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// What a child process left behind once it exited.
public struct ProcessResult: Sendable {
    public var exitStatus: Int32
    /// Captured standard output; empty unless the output mode was `.capture`.
    public var standardOutput: [UInt8]
    /// Captured standard error; empty unless the output mode was `.capture`.
    public var standardError: [UInt8]

    public var succeeded: Bool { exitStatus == 0 }
    public var standardOutputText: String { String(decoding: standardOutput, as: UTF8.self) }
    public var standardErrorText: String { String(decoding: standardError, as: UTF8.self) }
}

/// Why a child process could not be run.
public enum ProcessRunnerError: LocalizedError, Equatable {
    case notFound(program: String, path: String)
    case couldNotStart(program: String, reason: String)

    public var errorDescription: String? {
        switch self {
        case .notFound(let program, let path):
            return "\(program) was not found on PATH (\(path)). Install it or put it on PATH."
        case .couldNotStart(let program, let reason):
            return "could not start \(program): \(reason). Check that it is executable."
        }
    }
}

/// Runs a program to completion with an argv array (never through a shell).
///
/// Output is either captured (into memory, through temporary files so that a chatty child never blocks on a
/// full pipe), appended to a log file (stdout and stderr interleaved, for long builds; each line also handed to
/// `lines` as it comes, when given), or passed through to this process's own stdout and stderr.
public struct ProcessRunner: Sendable {
    public enum Output: Sendable {
        case capture
        case appendToFile(URL, lines: (@Sendable (String) -> Void)? = nil)
        case inherit
    }

    /// The environment the child sees; the CLI reads it once from the process and passes it in.
    public var environment: [String: String]

    public init(environment: [String: String]) {
        self.environment = environment
    }

    /// The absolute path of `program`: itself when it contains a slash, else the first match on PATH.
    public func locate(_ program: String) -> String? {
        Self.locate(program, environment: environment)
    }

    public static func locate(_ program: String, environment: [String: String]) -> String? {
        let fileManager = FileManager.default
        if program.contains("/") {
            return fileManager.isExecutableFile(atPath: program) ? program : nil
        }
        let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(program)"
            var isDirectory = false
            if fileManager.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory,
                fileManager.isExecutableFile(atPath: candidate)
            {
                return candidate
            }
        }
        return nil
    }

    /// Runs `program` with `arguments` and waits for it to exit. Cancelling the task kills the child.
    ///
    /// With `killsProcessGroup`, the child starts as the leader of a process group of its own, and cancelling
    /// (or a signal to picolayer) kills that whole group: a grandchild left running in the background goes too.
    public func run(
        _ program: String,
        _ arguments: [String],
        currentDirectory: URL? = nil,
        output: Output = .capture,
        killsProcessGroup grouped: Bool = false
    ) async throws -> ProcessResult {
        guard let executable = locate(program) else {
            throw ProcessRunnerError.notFound(program: program, path: environment["PATH"] ?? "")
        }
        let scratch = try ScratchDirectory.create(kind: "proc")
        defer { ScratchDirectory.remove(scratch) }
        let stdoutURL = scratch.appendingPathComponent("stdout")
        let stderrURL = scratch.appendingPathComponent("stderr")

        var request = Spawn.Request(
            executable: executable, arguments: arguments, environment: environment,
            directory: currentDirectory?.path, grouping: grouped ? .ownGroup : .inherit)
        var files: [OpenFile] = []
        var tee: (reading: Int32, log: Int32)?
        switch output {
        case .capture:
            files = [try OpenFile.writing(stdoutURL.path), try OpenFile.writing(stderrURL.path)]
            (request.standardOutput, request.standardError) = (files[0].descriptor, files[1].descriptor)
        case .appendToFile(let log, nil):
            files = [try OpenFile.writing(log.path, append: true)]
            (request.standardOutput, request.standardError) = (files[0].descriptor, files[0].descriptor)
        case .appendToFile(let log, .some):
            let (writing, reading, logCopy) = try Self.tee(log)
            tee = (reading, logCopy)
            files = [writing]
            (request.standardOutput, request.standardError) = (writing.descriptor, writing.descriptor)
        case .inherit:
            (request.standardOutput, request.standardError) = (1, 2)
        }
        let started = Spawn.start(request)
        for file in files { file.close() }
        let pid: pid_t
        switch started {
        case .success(let child): pid = child
        case .failure(let failure):
            for descriptor in [tee?.reading, tee?.log].compactMap({ $0 }) { close(descriptor) }
            throw ProcessRunnerError.couldNotStart(
                program: executable, reason: String(cString: strerror(failure.errno)))
        }
        TemporaryPaths.shared.registerChild(pid, ownGroup: grouped)
        let copied = Task { [tee] in await Self.copyLines(from: tee, output: output) }
        let status = await Self.waitForExit(pid, grouped: grouped)
        TemporaryPaths.shared.unregisterChild(pid)
        // Cancelled: a grandchild the kill missed may hold the pipe open; its last lines are not waited for.
        if !Task.isCancelled, let failure = await copied.value { throw failure }

        guard case .capture = output else {
            return ProcessResult(exitStatus: status, standardOutput: [], standardError: [])
        }
        let stdout = (try? Data(contentsOf: stdoutURL)) ?? Data()
        let stderr = (try? Data(contentsOf: stderrURL)) ?? Data()
        return ProcessResult(exitStatus: status, standardOutput: Array(stdout), standardError: Array(stderr))
    }

    /// The child's end of a pipe, the tee's end, and the tee's own descriptor of the log (opened for appending).
    private static func tee(_ log: URL) throws -> (writing: OpenFile, reading: Int32, log: Int32) {
        let logFile = try OpenFile.writing(log.path, append: true)
        let logCopy = fcntl(logFile.descriptor, F_DUPFD_CLOEXEC, 0)
        guard logCopy >= 0 else { throw FileError(path: log.path, operation: "duplicate", code: errno) }
        do {
            let (reading, writing) = try pipe()
            return (writing, reading, logCopy)
        } catch {
            close(logCopy)
            throw error
        }
    }

    /// A pipe whose two ends a child does not inherit (FD_CLOEXEC) unless one is given to it as stdout or stderr.
    private static func pipe() throws -> (reading: Int32, writing: OpenFile) {
        var ends: [Int32] = [-1, -1]
        guard Glibc.pipe(&ends) == 0 else { throw FileError(path: "a pipe", operation: "create", code: errno) }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        return (ends[0], OpenFile(descriptor: ends[1], path: "pipe", owned: true))
    }

    /// With `.appendToFile(log, lines:)`: the child's output copied to the log and its lines to `lines`, until the
    /// last writer closes the pipe.
    private static func copyLines(from descriptors: (reading: Int32, log: Int32)?, output: Output) async
        -> FileError?
    {
        guard let descriptors, case .appendToFile(let log, let lines?) = output else { return nil }
        return await LineTee.copy(from: descriptors.reading, to: descriptors.log, logPath: log.path, onLine: lines)
    }

    /// The child's exit code; cancelling the task kills it (and its group when `grouped`) with SIGKILL, not
    /// SIGTERM, which a child may block or ignore. Never a pid already reaped (and maybe reused).
    private static func waitForExit(_ pid: pid_t, grouped: Bool) async -> Int32 {
        let exited = Mutex(false)
        return await withTaskCancellationHandler {
            let (status, _) = await Spawn.waitForExit(pid)
            exited.withLock { $0 = true }
            return status.code
        } onCancel: {
            exited.withLock { done in
                guard !done else { return }
                if grouped { kill(-pid, SIGKILL) }
                kill(pid, SIGKILL)
            }
        }
    }
}
