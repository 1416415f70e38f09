import Foundation
import Synchronization
import Testing

// The tests' one way to run a program to its end: `runTool` (looked up on PATH, blocking), `run` (async, on a
// thread of its own) and `runBlocking` beneath both. Servers and children a test signals (moto, the emulator,
// interrupted package runs) keep their own `Process`, since they need the handle while they run.

/// The result of running another program to completion.
struct ToolRun {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// Runs a program (looked up on PATH) with an argv array and waits for it; stdin is empty.
@discardableResult
func runTool(_ arguments: [String], in directory: String? = nil, environment: [String: String]? = nil) throws -> ToolRun
{
    let result = try runBlocking("/usr/bin/env", arguments, input: nil, directory: directory, environment: environment)
    return ToolRun(
        status: result.status, stdout: String(decoding: result.stdout, as: UTF8.self),
        stderr: String(decoding: result.stderr, as: UTF8.self))
}

/// `runTool` for async tests: the waiting happens on a thread of its own, never on one of the few cooperative
/// threads (blocking those starves every other test running at the same time, e.g. a read timeout's timer).
@discardableResult
func runTool(_ arguments: [String], in directory: String? = nil, environment: [String: String]? = nil) async throws
    -> ToolRun
{
    try await onOwnThread { try runTool(arguments, in: directory, environment: environment) as ToolRun }
}

/// Runs blocking work (waiting for a process) on a thread of its own and waits for it without holding one of
/// the cooperative threads: there are as many of those as cores (two here), and a test that blocks them stalls
/// every timer and continuation of the tests running beside it.
func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}

/// The `picolayer` executable built beside the test bundle.
func picolayerExecutable() throws -> String {
    var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = folder.appendingPathComponent("picolayer").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        folder = folder.deletingLastPathComponent()
    }
    let fromRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(".build/debug/picolayer").path
    guard FileManager.default.isExecutableFile(atPath: fromRoot) else {
        Issue.record("picolayer is not built: run `swift build --build-tests` first")
        throw CocoaError(.fileNoSuchFile)
    }
    return fromRoot
}

/// Runs a program to its end and returns its status, stdout and stderr. stdin gets `input`.
/// The waiting happens on a thread of its own: blocking one of the few cooperative threads would starve the
/// emulator the program talks to.
@discardableResult
func run(_ executable: String, _ arguments: [String], input: Data? = nil, environment: [String: String]? = nil)
    async throws -> (status: Int32, stdout: Data, stderr: Data)
{
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            continuation.resume(
                with: Result { try runBlocking(executable, arguments, input: input, environment: environment) })
        }
    }
}

func runBlocking(
    _ executable: String, _ arguments: [String], input: Data?, directory: String? = nil,
    environment: [String: String]?
) throws -> (status: Int32, stdout: Data, stderr: Data) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    if let environment { process.environment = environment }
    let stdout = Pipe()
    let stderr = Pipe()
    let stdin = Pipe()
    process.standardOutput = stdout
    process.standardError = stderr
    process.standardInput = stdin
    try process.run()
    if let input { stdin.fileHandleForWriting.write(input) }
    try stdin.fileHandleForWriting.close()
    // Read both pipes to their ends before waiting, so that a chatty child cannot block on a full pipe.
    let errors = Mutex(Data())
    let errorsRead = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
        errors.withLock { $0 = stderr.fileHandleForReading.readDataToEndOfFile() }
        errorsRead.signal()
    }
    let out = stdout.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    errorsRead.wait()
    return (process.terminationStatus, out, errors.withLock { $0 })
}
