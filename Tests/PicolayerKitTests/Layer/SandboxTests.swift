import Foundation
import Testing

@testable import PicolayerKit

/// What a function leaves behind and what it is charged for: children that try to outlive the invocation
/// (the real `picolayer invoke` binary and a real PicoLisp runtime), and the memory reported after a crash.
@Suite("the execution environment: children and memory")
struct SandboxTests {
    /// A handler that starts `(sleep S; echo X > FILE) &` through pil21's `call` (which puts the child in a
    /// process group of its own), then answers, or hangs past the timeout when the event says so.
    private static let spawner = """
        (de spawn (Event Headers)
           (call "sh" "-c" (pack "(sleep 2; echo X > " (cdr (assoc "file" Event)) ") &"))
           (when (cdr (assoc "hang" Event)) (wait 20000))
           "spawned" )
        """

    private static func stagedLayer(in scratch: URL) throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let layer = scratch.appendingPathComponent("layer")
        let run = try runTool([root.appendingPathComponent("Tests/runtime/stage-layer.sh").path, layer.path])
        try #require(run.status == 0, "stage-layer.sh: \(run.stderr)")
        return layer.path
    }

    /// Runs `picolayer invoke` on one event; returns its exit status.
    private static func invoke(_ function: TemporaryFunction, layer: String, event: String) async throws -> Int32 {
        let eventFile = function.root.appendingPathComponent("event-\(UUID().uuidString).json")
        try Data(event.utf8).write(to: eventFile)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try picolayerExecutable())
        process.arguments = [
            "invoke", "--handler", "main.spawn", "--task-root", function.taskRoot, "--layer", layer,
            "--timeout", "1", "--event", eventFile.path,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return await Task.detached { () -> Int32 in
            process.waitUntilExit()
            return process.terminationStatus
        }.value
    }

    @Test("children started with pil21's call die with the runtime: at the end of invoke and at a timeout")
    func childrenDoNotEscape() async throws {
        let function = try TemporaryFunction()
        defer { function.cleanUp() }
        let layer = try Self.stagedLayer(in: function.root)
        try function.write(Self.spawner, named: "main.l")
        let answered = function.root.appendingPathComponent("after-answer").path
        let timedOut = function.root.appendingPathComponent("after-timeout").path
        async let first = Self.invoke(function, layer: layer, event: #"{"file":"\#(answered)"}"#)
        async let second = Self.invoke(function, layer: layer, event: #"{"file":"\#(timedOut)","hang":true}"#)
        #expect(try await first == 0)
        #expect(try await second == 1)
        // The children would write their files 2 s after they started; give them 3.
        try await Task.sleep(for: .seconds(3))
        #expect(!FileManager.default.fileExists(atPath: answered), "a child outlived picolayer invoke")
        #expect(!FileManager.default.fileExists(atPath: timedOut), "a child outlived the timeout")
    }

    @Test("Max Memory Used after a crash is the runtime's, not picolayer's own")
    func memoryAfterACrash() async throws {
        // Make this process large: 160 MB, touched, kept until the end.
        var ballast = [UInt8](repeating: 1, count: 160 << 20)
        for index in stride(from: 0, to: ballast.count, by: 4096) { ballast[index] = UInt8(index & 0x7f) }
        let own = try #require(ProcessTree.highWaterKilobytes(of: "self"))
        try #require(own > 150 << 10, "the test process is only \(own) kB")
        let function = try TemporaryFunction()
        defer { function.cleanUp() }
        try function.writeExecutable(shellPrelude + "next\nexit 42\n")
        let result = try await LocalLambda.with(function.configuration(), hooks: fixedHooks()) { lambda in
            try await lambda.invoke(Array("{}".utf8))
        }
        #expect(result.errorType == "Runtime.ExitError")
        #expect(result.maxMemoryUsedMB > 0)
        #expect(result.maxMemoryUsedMB < 64, "reported \(result.maxMemoryUsedMB) MB; this process has \(own >> 10) MB")
        withExtendedLifetime(ballast) {}
    }

    @Test("a stat line is split after the last ')' of the command name")
    func statParsing() {
        let entry = ProcessTree.entry(pid: 7, stat: "7 (a) b (c)) S 1 7 42 0 -1 4194560 ...")
        #expect(entry == ProcessTree.Entry(pid: 7, state: "S", session: 42))
        #expect(ProcessTree.entry(pid: 7, stat: "garbage") == nil)
    }
}
