import Foundation
import NIOConcurrencyHelpers
import Testing

@testable import PicolayerKit

@Suite("AWS calls and credential_process against servers and commands that misbehave", .serialized)
struct MisbehavingServerTests {
    static let layerJSON = AWSClientTests.layerJSON

    @Test("an unparseable Retry-After (nan, inf, a date) counts as absent: normal backoff, then success")
    func retryAfterGarbage() async throws {
        for header in ["nan", "inf", "-inf", "Wed, 21 Oct 2015 07:28:00 GMT"] {
            let throttled = ScriptedServer.Reply(
                429, headers: [("x-amzn-ErrorType", "TooManyRequestsException"), ("Retry-After", header)])
            try await ScriptedServer.with(replies: [throttled, .init(200, body: Self.layerJSON)]) { server in
                let fake = FakeTiming()
                let layer = try await lambdaClient(server, fake).getLayerVersion(layerName: "demo", version: 7)
                #expect(layer.version == 7, "Retry-After: \(header)")
                // random() is 0.5: the first backoff is 0.5 * min(2^0, 20) s.
                #expect(fake.sleeps.withLockedValue { $0 } == [.milliseconds(500)], "Retry-After: \(header)")
            }
        }
    }

    @Test("a server that accepts the request and never answers fails after --read-timeout per attempt")
    func neverAnswers() async throws {
        try await ScriptedServer.with(replies: [.init(0), .init(0), .init(0)]) { server in
            let fake = FakeTiming()
            let started = ContinuousClock.now
            let error = await #expect(throws: AWSError.self) {
                try await HTTPTransport.withLive(readTimeout: .seconds(1)) { transport in
                    try await within(.seconds(60)) {
                        try await LambdaClient(
                            client: AWSClient(
                                service: .lambda, region: "us-east-1",
                                endpoint: try AWSEndpoint(overrideURL: server.endpoint), credentials: testCredentials,
                                transport: transport, timing: fake.timing)
                        ).getLayerVersion(layerName: "demo", version: 7)
                    }
                }
            }
            // Three 1 s read timeouts, not the 60 s bound: generous for a loaded machine.
            #expect(ContinuousClock.now - started < .seconds(45))
            #expect(server.received.count == 3)
            #expect(error?.localizedDescription.contains("GetLayerVersion") == true)
        }
    }

    /// A credential_process that leaves a child holding its output open, writing the child's PID to `pidFile`.
    static func lingeringScript(pidFile: String) -> String {
        """
        #!/bin/sh
        sleep 300 &
        echo $! > '\(pidFile)'
        wait
        """
    }

    func waitForPID(_ path: String) async throws -> pid_t? {
        for _ in 0..<1000 {
            if let text = try? String(contentsOfFile: path, encoding: .utf8),
                let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines))
            {
                return pid
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    /// Whether the process ends within 5 s. A zombie has ended too: it is left for whoever reaps orphans here
    /// (PID 1 of a container may be slow to, or never do it), and `kill(pid, 0)` still succeeds for it.
    func waitUntilGone(_ pid: pid_t) async throws -> Bool {
        for _ in 0..<500 {
            if kill(pid, 0) != 0 || Self.isZombie(pid) { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    /// The state field of /proc/PID/stat (after the command name in parentheses) is Z.
    static func isZombie(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        return stat[stat.index(after: close)...].split(separator: " ").first == "Z"
    }

    @Test("a credential_process whose child keeps its output open is killed with that child at the deadline")
    func lingeringChild() async throws {
        try await withAWSHome { home in
            let pidFile = home + "/child.pid"
            let script = try writeFile(
                Self.lingeringScript(pidFile: pidFile), named: "linger.sh", in: home, executable: true)
            var slow = credentialLookup(home: home, environment: [:])
            slow.processTimeout = .seconds(1)
            let lookup = slow
            let started = ContinuousClock.now
            let message = await errorMessage {
                _ = try await within(.seconds(30)) {
                    try await ProcessCredentials.credentials(command: script, label: "profile linger", lookup: lookup)
                }
            }
            // Killed at the 1 s deadline, not after the child's sleep or the 30 s bound: generous for a loaded machine.
            #expect(ContinuousClock.now - started < .seconds(25))
            #expect(message?.contains("did not finish within 1.0 seconds") == true, "\(String(describing: message))")
            let child = try #require(try await waitForPID(pidFile))
            #expect(try await waitUntilGone(child), "the script's child \(child) outlived the deadline")
            if kill(child, 0) == 0 { kill(child, SIGKILL) }
        }
    }

    @Test("SIGTERM to picolayer while credential_process runs kills the command's group and removes its scratch")
    func signalDuringCredentialProcess() async throws {
        try await withAWSHome { home in
            let pidFile = home + "/child.pid"
            let script = try writeFile(
                Self.lingeringScript(pidFile: pidFile), named: "linger.sh", in: home, executable: true)
            try writeFile("[profile tool]\ncredential_process = \(script)\n", named: ".aws/config", in: home)
            let scratch = home + "/tmp"
            try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try picolayerExecutable())
            process.arguments = ["whoami", "--profile", "tool", "--endpoint-url", "http://127.0.0.1:9"]
            process.environment = [
                "PATH": "/usr/bin:/bin", "HOME": home, "TMPDIR": scratch, "AWS_EC2_METADATA_DISABLED": "true",
            ]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let child = try #require(try await waitForPID(pidFile))
            #expect(
                try FileManager.default.contentsOfDirectory(atPath: scratch).contains {
                    $0.hasPrefix("picolayer-proc-")
                })
            kill(process.processIdentifier, SIGTERM)
            for _ in 0..<1000 where process.isRunning { try await Task.sleep(for: .milliseconds(10)) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            #expect(process.terminationReason == .uncaughtSignal)
            #expect(try FileManager.default.contentsOfDirectory(atPath: scratch).isEmpty)
            #expect(try await waitUntilGone(child), "the credential_process child \(child) outlived picolayer")
            if kill(child, 0) == 0 { kill(child, SIGKILL) }
        }
    }

    @Test("scratch folders of dead processes are swept from TMPDIR; a live process's are kept")
    func sweepScratch() throws {
        let temporary = FileManager.default.temporaryDirectory.path
        let stale = temporary + "/picolayer-verify-\(try deadPID())-\(UUID().uuidString)"
        let live = temporary + "/picolayer-verify-1-\(UUID().uuidString)"
        for folder in [stale, live] {
            try FileManager.default.createDirectory(atPath: folder + "/usr", withIntermediateDirectories: true)
        }
        defer { try? FileManager.default.removeItem(atPath: live) }
        // A fresh registry: the shared one sweeps each folder once per process.
        TemporaryPaths().sweepStale(in: temporary, pid: ScratchNames.scratchFolderPID)
        #expect(!FileManager.default.fileExists(atPath: stale))
        #expect(FileManager.default.fileExists(atPath: live))
    }
}
