import Foundation
import Testing

@testable import PicolayerKit

/// `picolayer invoke` and `picolayer serve` as a user runs them: the built binary, its stdout, stderr and
/// exit status, and Ctrl-C.
@Suite("invoke and serve commands")
struct EmulatorCommandTests {
    /// The debug binary that `swift build --build-tests` produced next to the tests.
    private static func binary() throws -> String {
        try picolayerExecutable()
    }

    /// Starts picolayer with its stderr on a pipe and its stdout discarded.
    private static func launch(_ arguments: [String]) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try binary())
        process.arguments = arguments
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return (process, stderr)
    }

    /// Reads stderr until `marker` has appeared, or until it closes.
    private static func readStderr(_ stderr: Pipe, until marker: String) async -> String {
        await Task.detached { () -> String in
            var text = ""
            while !text.contains(marker) {
                let chunk = stderr.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                text += String(decoding: chunk, as: UTF8.self)
            }
            return text
        }.value
    }

    /// Sends SIGINT, waits for the exit and returns its status with the rest of stderr.
    private static func interrupt(_ process: Process, _ stderr: Pipe) async -> (Int32, String) {
        process.interrupt()
        let exit = await Task.detached { () -> Int32 in
            process.waitUntilExit()
            return process.terminationStatus
        }.value
        return (exit, String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }

    @Test("invoke prints the response on stdout and START, runtime output, END, REPORT on stderr")
    func invoke() async throws {
        let function = try TemporaryFunction()
        defer { function.cleanUp() }
        try function.writeExecutable(LocalLambdaTests.echoRuntime, in: "layer")
        let result = try await run(
            try Self.binary(),
            [
                "invoke", "--handler", "h.f", "--task-root", function.taskRoot, "--layer", function.layer, "--event",
                "-",
            ],
            input: Data(#"{"q":1}"#.utf8))
        let stdout = String(decoding: result.stdout, as: UTF8.self)
        let stderr = String(decoding: result.stderr, as: UTF8.self)
        #expect(result.status == 0)
        #expect((try jsonObject(stdout)["event"] as? [String: Int]) == ["q": 1])
        let lines = stderr.split(separator: "\n").map(String.init)
        try #require(lines.count == 5, "\(stderr)")
        #expect(lines[0].hasPrefix("init pid "))
        #expect(lines[1].hasPrefix("START RequestId: "))
        #expect(lines[2].hasPrefix("handling "))
        #expect(lines[3].hasPrefix("END RequestId: "))
        #expect(lines[4].hasPrefix("REPORT RequestId: "))
        #expect(lines[4].contains("\tMemory Size: 128 MB\tMax Memory Used: "))
        #expect(lines[4].contains("\tInit Duration: "))
    }

    @Test("invoke runs awslambdaric's Python handler: response on stdout, exit 1 and error JSON on an exception")
    func invokePython() async throws {
        let function = try await EmulatorConformanceTests.pythonFunction()
        defer { function.cleanUp() }
        try function.write("{\"x\":7}\n{\"fail\":true}\n", named: "events.jsonl")
        let result = try await run(
            try Self.binary(),
            [
                "invoke", "--handler", "handler.fn", "--task-root", function.taskRoot, "--function-name", "py",
                "--events", function.taskRoot + "/events.jsonl",
            ])
        let lines = String(decoding: result.stdout, as: UTF8.self).split(separator: "\n").map(String.init)
        try #require(lines.count == 2)
        let ok = try jsonObject(lines[0])
        #expect((ok["event"] as? [String: Int]) == ["x": 7])
        #expect(ok["arn"] as? String == "arn:aws:lambda:us-east-1:123456789012:function:py")
        #expect(try jsonObject(lines[1])["errorType"] as? String == "ValueError")
        #expect(result.status == 1)
        let stderr = String(decoding: result.stderr, as: UTF8.self)
        #expect(stderr.contains("module loaded"))
        #expect(stderr.contains("[ERROR] ValueError: asked to fail"))
        #expect(stderr.components(separatedBy: "REPORT RequestId: ").count == 3)
    }

    @Test("invoke --events runs every line on one warm runtime and prints one response a line")
    func invokeMany() async throws {
        let function = try TemporaryFunction()
        defer { function.cleanUp() }
        try function.writeExecutable(LocalLambdaTests.echoRuntime)
        try function.write("{\"n\":1}\n\n{\"n\":2}\n{\"n\":3}\n", named: "events.jsonl")
        let result = try await run(
            try Self.binary(),
            [
                "invoke", "--handler", "h.f", "--task-root", function.taskRoot, "--events",
                function.taskRoot + "/events.jsonl",
            ])
        let responses = try String(decoding: result.stdout, as: UTF8.self).split(separator: "\n").map {
            try jsonObject(String($0))
        }
        #expect(result.status == 0)
        #expect(responses.compactMap { ($0["event"] as? [String: Int])?["n"] } == [1, 2, 3])
        #expect(Set(responses.compactMap { $0["pid"] as? Int }).count == 1)
        #expect(String(decoding: result.stderr, as: UTF8.self).components(separatedBy: "Init Duration").count == 2)
    }

    @Test("invoke exits 1 with the error JSON on a function error, and explains a missing bootstrap")
    func invokeErrors() async throws {
        let function = try TemporaryFunction()
        defer { function.cleanUp() }
        let missing = try await run(
            try Self.binary(),
            ["invoke", "--handler", "h.f", "--task-root", function.taskRoot, "--layer", function.layer])
        #expect(missing.status != 0)
        #expect(String(decoding: missing.stderr, as: UTF8.self).contains("Couldn't find valid bootstrap(s)"))

        try function.writeExecutable(shellPrelude + "next\nexit 7\n")
        let crash = try await run(try Self.binary(), ["invoke", "--handler", "h.f", "--task-root", function.taskRoot])
        #expect(crash.status == 1)
        let error = try jsonObject(String(decoding: crash.stdout, as: UTF8.self))
        #expect(error["errorType"] as? String == "Runtime.ExitError")
        #expect((error["errorMessage"] as? String)?.hasSuffix("Runtime exited with error: exit status 7") == true)
    }

    @Test("serve answers curl and stops its runtime and itself cleanly on Ctrl-C")
    func serveInterrupt() async throws {
        let function = try TemporaryFunction()
        defer { function.cleanUp() }
        try function.writeExecutable(LocalLambdaTests.echoRuntime)
        let (process, stderr) = try Self.launch(
            ["serve", "--handler", "h.f", "--task-root", function.taskRoot, "--port", "0"])

        // The first stderr line names the URL (the port was chosen by the system).
        let banner = await Self.readStderr(stderr, until: "\n")
        let url = try #require(banner.split(separator: " ").first { $0.hasPrefix("http://127.0.0.1:") })
        let response = try await curl(["-X", "POST", "--data-binary", #"{"s":1}"#, String(url)])
        #expect(response.status == 200)
        let pid = try #require(try jsonObject(response.body)["pid"] as? Int)

        let (exit, rest) = await Self.interrupt(process, stderr)
        #expect(exit == 0)
        #expect(rest.contains("SIGINT: stopping the runtimes and the server"))
        // The runtime was killed: gone, or at most a zombie waiting for init to reap it.
        let status = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        #expect(status == nil || status?.split(separator: " ")[2] == "Z")
    }

    @Test("invoke stops a hanging runtime on Ctrl-C and exits 130")
    func invokeInterrupt() async throws {
        let function = try TemporaryFunction()
        defer { function.cleanUp() }
        try function.writeExecutable(shellPrelude + "next\necho \"hanging $$\"\nexec sleep 120\n")
        let (process, stderr) = try Self.launch(
            ["invoke", "--handler", "h.f", "--task-root", function.taskRoot, "--timeout", "100"])
        // Wait until the runtime holds the event.
        let seen = await Self.readStderr(stderr, until: "hanging")
        let pidText = try #require(
            seen.split(separator: "\n").first { $0.hasPrefix("hanging ") }?.split(separator: " ").last)
        let pid = try #require(Int(pidText))
        let (exit, rest) = await Self.interrupt(process, stderr)
        #expect(exit == 130)
        #expect(rest.contains("picolayer invoke: SIGINT: stopped the runtime"))
        let status = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        #expect(status == nil || status?.split(separator: " ")[2] == "Z")
    }

    @Test("serve --help shows its limits with their defaults")
    func serveHelpShowsLimits() async throws {
        let help = try await run(try Self.binary(), ["serve", "--help"])
        let text = String(decoding: help.stdout, as: UTF8.self)
        for option in ["--max-connections", "--idle-timeout", "--request-timeout", "--max-queued-events"] {
            #expect(text.contains(option), "\(option) missing from serve --help")
        }
        #expect(text.contains("default: 128") && text.contains("default: 100") && text.contains("default: 30"))
    }

    @Test("invoke refuses an event that is not valid UTF-8 or JSON, naming the file, the byte and the offset")
    func invokeRefusesInvalidEvents() async throws {
        let function = try TemporaryFunction()
        defer { function.cleanUp() }
        try function.writeExecutable(LocalLambdaTests.echoRuntime)
        let event = function.root.appendingPathComponent("broken.json")
        try Data([0x22, 0x61, 0x62, 0xE2, 0x82, 0x22]).write(to: event)
        let result = try await run(
            try Self.binary(), ["invoke", "--handler", "h.f", "--task-root", function.taskRoot, "--event", event.path])
        let stderr = String(decoding: result.stderr, as: UTF8.self)
        #expect(result.status != 0)
        #expect(result.stdout.isEmpty)
        #expect(stderr.contains("broken.json"))
        #expect(stderr.contains("byte 0xE2 at offset 3 is not valid UTF-8"))
        #expect(stderr.contains("InvalidRequestContentException"))
    }
}
