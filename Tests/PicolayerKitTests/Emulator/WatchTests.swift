import Foundation
import Testing

@Suite("--watch: an edited handler answers on the next call, from a fresh runtime, with no failed call")
struct WatchTests {
    /// A running picolayer with its stdout and stderr read as they come.
    final class Running: @unchecked Sendable {
        let process = Process()
        let stdout = Pipe()
        let stderr = Pipe()
        private let lock = NSLock()
        private var out = ""
        private var err = ""

        init(_ binary: String, _ arguments: [String], in directory: String, environment: [String: String]) throws {
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = arguments
            process.currentDirectoryURL = URL(fileURLWithPath: directory)
            process.environment = environment
            process.standardOutput = stdout
            process.standardError = stderr
            stdout.fileHandleForReading.readabilityHandler = { [weak self] handle in
                let text = String(decoding: handle.availableData, as: UTF8.self)
                self?.lock.withLock { self?.out += text }
            }
            stderr.fileHandleForReading.readabilityHandler = { [weak self] handle in
                let text = String(decoding: handle.availableData, as: UTF8.self)
                self?.lock.withLock { self?.err += text }
            }
            try process.run()
        }

        var output: String { lock.withLock { out } }
        var errors: String { lock.withLock { err } }

        /// Waits (bounded: 30 s) until `condition` holds for stdout and stderr.
        func wait(_ what: String, until condition: (String, String) -> Bool) async throws {
            for _ in 0..<300 {
                if condition(output, errors) { return }
                try await Task.sleep(for: .milliseconds(100))
            }
            Issue.record(
                "timed out waiting for \(what); stdout \(output.debugDescription), stderr \(errors.debugDescription)")
        }

        func stop() {
            if process.isRunning { process.interrupt() }
            process.waitUntilExit()
        }
    }

    func environment(_ root: URL) -> [String: String] {
        [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "XDG_CACHE_HOME": root.path + "/cache",
        ]
    }

    func handler(_ answer: String, _ root: URL) throws {
        try Data("(de handler (Event Headers) \"\(answer)\")\n".utf8).write(to: root.appendingPathComponent("main.l"))
    }

    @Test("serve --watch")
    func serve() async throws {
        let binary = try picolayerExecutable()
        try await withTemporaryDirectory { root in
            try handler("v1", root)
            let serve = try Running(
                binary, ["serve", "--handler", "main.handler", "--port", "0", "--watch", "--json"], in: root.path,
                environment: environment(root))
            defer { serve.stop() }
            try await serve.wait("the start line") { out, _ in out.contains("\n") }
            let start = try jsonObject(String(serve.output.split(separator: "\n")[0]))
            let url = try #require(start["url"] as? String)
            #expect(try await curl(["-X", "POST", "-d", "{}", url]).body == "v1")
            #expect(try await curl(["-X", "POST", "-d", "{}", url]).body == "v1", "warm, unchanged")
            try handler("v2", root)
            let after = try await curl(["-X", "POST", "-d", "{}", url])
            #expect(after.status == 200 && after.body == "v2", "\(after.body)")
            #expect(serve.errors.components(separatedBy: "starts a fresh runtime").count == 2, "\(serve.errors)")
        }
    }

    @Test("invoke --watch")
    func invoke() async throws {
        let binary = try picolayerExecutable()
        try await withTemporaryDirectory { root in
            try handler("v1", root)
            let invoke = try Running(
                binary, ["invoke", "--handler", "main.handler", "--watch"], in: root.path,
                environment: environment(root))
            defer { invoke.stop() }
            try await invoke.wait("the first answer") { out, err in out == "v1\n" && err.contains("watching") }
            try handler("v2", root)
            try await invoke.wait("the second answer") { out, _ in out == "v1\nv2\n" }
            invoke.stop()
            #expect(invoke.process.terminationStatus == 130)
        }
    }
}
