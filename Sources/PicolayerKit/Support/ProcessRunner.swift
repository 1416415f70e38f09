import Foundation

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
/// full pipe), appended to a log file (stdout and stderr interleaved, for long builds), or passed through to
/// this process's own stdout and stderr.
public struct ProcessRunner: Sendable {
    public enum Output: Sendable {
        case capture
        case appendToFile(URL)
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
            var isDirectory: ObjCBool = false
            if fileManager.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
                fileManager.isExecutableFile(atPath: candidate)
            {
                return candidate
            }
        }
        return nil
    }

    /// Runs `program` with `arguments` and waits for it to exit. Cancelling the task kills the child.
    ///
    /// With `killsProcessGroup`, cancelling (or a signal to picolayer) kills the child's whole process group:
    /// a grandchild left running in the background goes too. That matters beyond tidiness: Foundation reports the
    /// child's exit only once every process holding the descriptors it inherited has closed them, so a lingering
    /// grandchild would otherwise keep `run` waiting forever. (Foundation starts each child as the leader of a
    /// process group of its own.)
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

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        process.standardInput = FileHandle.nullDevice

        let stdoutURL = scratch.appendingPathComponent("stdout")
        let stderrURL = scratch.appendingPathComponent("stderr")
        var handles: [FileHandle] = []
        defer { for handle in handles { try? handle.close() } }
        switch output {
        case .capture:
            _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
            _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
            let out = try FileHandle(forWritingTo: stdoutURL)
            let err = try FileHandle(forWritingTo: stderrURL)
            handles = [out, err]
            process.standardOutput = out
            process.standardError = err
        case .appendToFile(let log):
            if !FileManager.default.fileExists(atPath: log.path) {
                _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            }
            let handle = try FileHandle(forWritingTo: log)
            try handle.seekToEnd()
            handles = [handle]
            process.standardOutput = handle
            process.standardError = handle
        case .inherit:
            process.standardOutput = FileHandle.standardOutput
            process.standardError = FileHandle.standardError
        }

        let status: Int32 = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int32, Error>) in
                process.terminationHandler = { finished in
                    continuation.resume(returning: finished.terminationStatus)
                }
                do {
                    try process.run()
                    TemporaryPaths.shared.registerChild(process.processIdentifier, ownGroup: grouped)
                } catch {
                    process.terminationHandler = nil
                    continuation.resume(
                        throwing: ProcessRunnerError.couldNotStart(program: executable, reason: "\(error)"))
                }
            }
        } onCancel: {
            // SIGKILL, not SIGTERM: children inherit the signal mask of the thread that spawned them, and
            // Dispatch's threads may block SIGTERM.
            let pid = process.processIdentifier
            if grouped, pid > 0 { kill(-pid, SIGKILL) }
            if process.isRunning { kill(pid, SIGKILL) }
        }
        TemporaryPaths.shared.unregisterChild(process.processIdentifier)

        guard case .capture = output else {
            return ProcessResult(exitStatus: status, standardOutput: [], standardError: [])
        }
        let stdout = (try? Data(contentsOf: stdoutURL)) ?? Data()
        let stderr = (try? Data(contentsOf: stderrURL)) ?? Data()
        return ProcessResult(exitStatus: status, standardOutput: Array(stdout), standardError: Array(stderr))
    }
}
