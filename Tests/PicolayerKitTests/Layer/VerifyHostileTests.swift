import Foundation
import Testing

@testable import PicolayerKit

/// A layer staged from Debian's picolisp and templates/ by the runtime tests' script, the interpreter copied in.
private func stageRuntimeLayer(_ folder: URL) throws -> URL {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    let layer = folder.appendingPathComponent("layer")
    let run = try runTool([root.appendingPathComponent("Tests/runtime/stage-layer.sh").path, layer.path])
    try #require(run.status == 0, "stage-layer.sh: \(run.stderr)")
    let interpreter = layer.appendingPathComponent("picoLisp/bin/picolisp")
    try FileManager.default.removeItem(at: interpreter)
    try FileManager.default.copyItem(at: Fixtures.debianPicolisp, to: interpreter)
    return layer
}

/// A link-shaped case: where the link is, where it points, and whether verify accepts it.
struct LinkCase: Sendable, CustomTestStringConvertible {
    let link: String
    let target: String
    let accepted: Bool
    var testDescription: String { "\(link) -> \(target)" }
}

@Suite("verify: links that leave the layer, and the live check's confinement")
struct VerifyHostileTests {
    let verifier = LayerVerifier(target: .al2023, architecture: .host)

    func layer(in root: URL) throws -> URL {
        try VerifyTests().makeLayer(in: root)
    }

    @Test("picoLisp/bin/picolisp as an absolute link to the host's interpreter is an error; no host file is read")
    func interpreterLinkedToHost() async throws {
        try await withTemporaryDirectory { root in
            let layer = try layer(in: root)
            let interpreter = layer.appendingPathComponent(LayerLayout.interpreter)
            try FileManager.default.removeItem(at: interpreter)
            try FileManager.default.createSymbolicLink(
                at: interpreter, withDestinationURL: Fixtures.debianPicolisp.resolvingSymlinksInPath())
            let report = try await verifier.verify(directory: layer)
            #expect(!report.passed)
            let finding = try #require(report.errors.first { $0.check == "link-outside" })
            #expect(finding.path == LayerLayout.interpreter)
            #expect(finding.remedy.contains("relative link"))
        }
    }

    @Test("the same link inside a zip is an error too")
    func interpreterLinkInZip() async throws {
        try await withTemporaryDirectory { root in
            let bootstrap = RawZip.Entry.stored("bootstrap", Array(VerifyTests.bootstrap.utf8), mode: 0o100755)
            let zip = root.appendingPathComponent("linked.zip")
            try Data(
                RawZip(entries: [bootstrap, .link(LayerLayout.interpreter, to: Fixtures.debianPicolisp.path)])
                    .bytes()
            ).write(to: zip)
            let report = try await verifier.verify(layerAt: zip)
            #expect(report.errors.contains { $0.check == "link-outside" && $0.path == LayerLayout.interpreter })
        }
    }

    static let linkCases: [LinkCase] = [
        LinkCase(link: "lib/libcrypto.so", target: "/usr/lib64/libcrypto.so.3", accepted: true),
        LinkCase(link: "lib/libcrypto.so", target: "/lib64/libcrypto.so.3", accepted: true),
        LinkCase(link: "lib/libssl.so", target: "/usr/lib64/libssl.so.3", accepted: true),
        LinkCase(link: "picoLisp/bin/pil", target: "/opt/picoLisp/bin/picolisp", accepted: true),
        LinkCase(link: "picoLisp/bin/pil", target: "picolisp", accepted: true),
        LinkCase(link: "lib/libcrypto.so", target: "/etc/passwd", accepted: false),
        LinkCase(link: "lib/libcrypto.so", target: "/usr/lib64/../../etc/passwd", accepted: false),
        LinkCase(link: "lib/libcrypto.so", target: "/usr/lib/libcrypto.so.3", accepted: false),
        LinkCase(link: "lib/libcrypto.so", target: "/usr/lib64/libcrypto.so.10", accepted: false),
        LinkCase(link: "lib/libfoo.so", target: "/usr/lib64/libfoo.so.1", accepted: false),
        LinkCase(link: "lib/sub/libcrypto.so", target: "/usr/lib64/libcrypto.so.3", accepted: false),
        LinkCase(link: "bin/libcrypto.so", target: "/usr/lib64/libcrypto.so.3", accepted: false),
        LinkCase(link: "lib/up", target: "../../outside", accepted: false),
        LinkCase(link: "picoLisp/x", target: "/opt/../etc/passwd", accepted: false),
    ]

    @Test("only lib/NAME -> /usr/lib64 or /lib64 library of the target may leave the layer", arguments: linkCases)
    func linkShapes(_ link: LinkCase) async throws {
        try await withTemporaryDirectory { root in
            let layer = try layer(in: root)
            let url = layer.appendingPathComponent(link.link)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: url.path, withDestinationPath: link.target)
            let report = try await verifier.verify(directory: layer)
            #expect(report.passed == link.accepted, "\(report.findings)")
            #expect(report.errors.contains { $0.check == "link-outside" && $0.path == link.link } == !link.accepted)
        }
    }

    @Test("a bootstrap linked to a host file is an error and the host file is not read")
    func bootstrapLinkedToHost() async throws {
        try await withTemporaryDirectory { root in
            let layer = try layer(in: root)
            let boot = layer.appendingPathComponent("bootstrap")
            try FileManager.default.removeItem(at: boot)
            try FileManager.default.createSymbolicLink(atPath: boot.path, withDestinationPath: "/bin/sh")
            let report = try await verifier.verify(directory: layer)
            #expect(Set(report.errors.map(\.check)) == ["link-outside"], "\(report.findings)")
        }
    }

    @Test("a live check that fails for a missing library names it")
    func liveCheckNamesMissingLibrary() async throws {
        try await withTemporaryDirectory { root in
            let layer = try stageRuntimeLayer(root)
            try VerifyTests().patchInterpreter(layer) { bytes in
                try VerifyTests().replace("libreadline.so.8", with: "libreadlinx.so.8", in: &bytes)
            }
            do {
                _ = try await LayerLiveCheck.run(layer: layer)
                Issue.record("the live check passed with a missing library")
            } catch let error as LiveCheckError {
                #expect(error.detail.contains("libreadlinx.so.8 => not found"), "\(error.detail)")
            }
        }
    }

    @Test("the live check runs the bootstrap on a private copy, confined to it when bubblewrap works here")
    func liveCheckIsConfined() async throws {
        try await withTemporaryDirectory { root in
            let canary = try Canary(in: root)
            let layer = root.appendingPathComponent("layer")
            try FileManager.default.createDirectory(at: layer, withIntermediateDirectories: true)
            let script = """
                #!/bin/sh
                echo pwned > "\(canary.folder.path)/pwned"
                echo pwned > "\(canary.file.path)"
                echo pwned > "${0%/*}/pwned"
                exit 1

                """
            let boot = layer.appendingPathComponent("bootstrap")
            try Data(script.utf8).write(to: boot)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: boot.path)
            await #expect(throws: LiveCheckError.self) { try await LayerLiveCheck.run(layer: layer) }
            #expect(!FileManager.default.fileExists(atPath: layer.appendingPathComponent("pwned").path))
            if LiveCheckSandbox.detect() != nil {
                canary.expectUntouched("the sandboxed bootstrap")
            } else {
                print(
                    "skipped the canary check: bubblewrap cannot make a sandbox here (\(LiveCheckSandbox.unavailableNotice))"
                )
            }
        }
    }

    @Test("without bubblewrap the check falls back to the scratch copy, which the bootstrap may change alone")
    func liveCheckWithoutSandbox() async throws {
        #expect(LiveCheckSandbox.detect(environment: ["PATH": "/nonexistent"]) == nil)
        try await withTemporaryDirectory { root in
            let layer = root.appendingPathComponent("layer")
            try FileManager.default.createDirectory(at: layer, withIntermediateDirectories: true)
            let boot = layer.appendingPathComponent("bootstrap")
            try Data("#!/bin/sh\necho pwned > \"${0%/*}/pwned\"\nexit 1\n".utf8).write(to: boot)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: boot.path)
            await #expect(throws: LiveCheckError.self) { try await LayerLiveCheck.run(layer: layer, sandbox: nil) }
            #expect(!FileManager.default.fileExists(atPath: layer.appendingPathComponent("pwned").path))
        }
    }

    @Test("a file error is worded by the system, not as a Foundation domain and code")
    func fileErrorsAreWorded() throws {
        do {
            try FileManager.default.copyItem(atPath: "/nonexistent/picolayer-layer", toPath: "/tmp/never-made")
            Issue.record("copying a missing folder succeeded")
        } catch {
            let text = LayerLiveCheck.reason(error)
            #expect(!text.contains("NSCocoaErrorDomain") && !text.contains("Code="), "\(text)")
            #expect(text == "no such file or folder at /nonexistent/picolayer-layer", "\(text)")
        }
    }

    @Test("Ctrl-C during the live check removes verify's scratch folders and exits 130")
    func interruptRemovesScratch() async throws {
        try await withTemporaryDirectory { root in
            let layer = try VerifyTests().makeLayer(in: root, bootstrap: "#!/bin/sh\nsleep 30\n")
            let temporary = root.appendingPathComponent("tmp")
            try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try picolayerExecutable())
            process.arguments = ["verify", layer.path]
            process.environment = testEnvironment.merging(["TMPDIR": temporary.path]) { $1 }
            let log = root.appendingPathComponent("verify.log")
            FileManager.default.createFile(atPath: log.path, contents: nil)
            let logHandle = try FileHandle(forWritingTo: log)
            process.standardOutput = logHandle
            process.standardError = logHandle
            try process.run()
            func output() -> String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
            @Sendable func scratch() -> [String] {
                (try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? []
            }
            // Watch and signal from a Dispatch thread: the cooperative pool may be busy with other tests.
            let sawLiveCheck = await withCheckedContinuation { continuation in
                DispatchQueue.global().async {
                    let deadline = Date().addingTimeInterval(60)
                    var seen = false
                    while Date() < deadline, process.isRunning, !seen {
                        seen = scratch().contains { $0.hasPrefix("picolayer-live-") }
                        if !seen { usleep(10_000) }
                    }
                    if seen { process.interrupt() }
                    let stopBy = Date().addingTimeInterval(30)
                    while Date() < stopBy, process.isRunning { usleep(20_000) }
                    if process.isRunning { process.terminate() }
                    process.waitUntilExit()
                    continuation.resume(returning: seen)
                }
            }
            #expect(sawLiveCheck, "the live check never started: \(output())")
            #expect(process.terminationStatus == 130, "\(output())")
            #expect(scratch().isEmpty, "left behind: \(scratch())")
        }
    }

    @Test("verify --help says the live check runs the layer's own bootstrap")
    func helpSaysBootstrapRuns() throws {
        let run = try runTool([try picolayerExecutable(), "verify", "--help"])
        #expect(run.stdout.contains("runs the layer's own bootstrap"), "\(run.stdout)")
    }
}
