import Foundation
import Testing

@testable import PicolayerKit

@Suite("package interrupted by signals, and the leftovers of killed runs", .serialized)
struct InterruptedPackageTests {
    /// A tree with `megabytes` of incompressible bytes, so that writing its zip takes a while.
    func makeTree(_ root: URL, megabytes: Int) throws -> URL {
        let tree = root.appendingPathComponent("t")
        try FileManager.default.createDirectory(at: tree, withIntermediateDirectories: true)
        var generator = SystemRandomNumberGenerator()
        for index in 0..<megabytes {
            let bytes = (0..<(1 << 17)).map { _ in generator.next() as UInt64 }
            try bytes.withUnsafeBytes { try Data($0).write(to: tree.appendingPathComponent("blob\(index).bin")) }
        }
        return tree
    }

    func temporaries(in folder: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.contains(".tmp-") }
    }

    @Test(
        "SIGINT, SIGTERM or SIGHUP while package writes t/out.zip leaves neither out.zip nor its temporary",
        arguments: [SIGINT, SIGTERM, SIGHUP])
    func signalDuringPackage(signal: Int32) async throws {
        try await withTemporaryDirectory { root in
            let tree = try makeTree(root, megabytes: 128)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try picolayerExecutable())
            process.arguments = [
                "package", tree.path, "-o", tree.appendingPathComponent("out.zip").path, "--level", "9",
                "--threads", "1",
            ]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Wait (at most 20 s) for the temporary zip to appear, then interrupt. The poll blocks this thread
            // (usleep, not Task.sleep): under a loaded parallel run a sleeping task can resume only after package
            // has finished.
            var seen = false
            for _ in 0..<10_000 where process.isRunning {
                if try !temporaries(in: tree).isEmpty {
                    seen = true
                    break
                }
                usleep(2000)
            }
            #expect(seen, "package never started writing its temporary zip")
            kill(process.processIdentifier, signal)
            for _ in 0..<2000 where process.isRunning { try await Task.sleep(for: .milliseconds(10)) }
            #expect(!process.isRunning)
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            #expect(process.terminationReason == .uncaughtSignal)
            #expect(process.terminationStatus == signal)
            #expect(try temporaries(in: tree).isEmpty)
            #expect(!FileManager.default.fileExists(atPath: tree.appendingPathComponent("out.zip").path))
        }
    }

    @Test("a temporary zip left by a killed run is swept from the output folder and never packaged")
    func leftoverNotPackaged() async throws {
        try await withTemporaryDirectory { root in
            let tree = root.appendingPathComponent("t")
            try FileManager.default.createDirectory(at: tree, withIntermediateDirectories: true)
            try Data("(prinl 1)\n".utf8).write(to: tree.appendingPathComponent("main.l"))
            let dead = try deadPID()
            // One of a dead run (swept), one of a live process (PID 1: kept, but still never packaged).
            let stale = ".out.zip.tmp-\(dead)-0"
            let live = ".out.zip.tmp-1-0"
            for name in [stale, live] {
                try Data(repeating: 0x50, count: 4096).write(to: tree.appendingPathComponent(name))
            }
            let run = try await runTool(
                [try picolayerExecutable(), "package", tree.path, "-o", tree.appendingPathComponent("out.zip").path])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(
                run.stdout.contains(".out.zip.tmp-1-0 was left out")
                    || run.stderr.contains(".out.zip.tmp-1-0 was left out"))
            let listing = try await runTool(["zipinfo", "-1", tree.appendingPathComponent("out.zip").path])
            #expect(listing.stdout.split(separator: "\n") == ["main.l"])
            #expect(!FileManager.default.fileExists(atPath: tree.appendingPathComponent(stale).path))
            #expect(FileManager.default.fileExists(atPath: tree.appendingPathComponent(live).path))
        }
    }

    @Test("our temporary names carry the PID; other names are not mistaken for them")
    func names() {
        #expect(ScratchNames.zipTemporaryPID(".out.zip.tmp-123-0") == 123)
        #expect(ScratchNames.zipTemporaryPID(".tmp-123-0") == nil)
        #expect(ScratchNames.zipTemporaryPID("out.zip.tmp-123-0") == nil)
        #expect(ScratchNames.zipTemporaryPID(".out.zip.tmp-12a-0") == nil)
        #expect(ScratchNames.partialDownloadPID(".partial-77-\(UUID().uuidString)") == 77)
        #expect(ScratchNames.partialDownloadPID(".partial-\(UUID().uuidString)") == nil)
        #expect(ScratchNames.scratchFolderPID("picolayer-proc-42-\(UUID().uuidString)") == 42)
        #expect(ScratchNames.scratchFolderPID("picolayer-test-\(UUID().uuidString)") == nil)
        #expect(ScratchNames.scratchFolderPID("picolayer-aws-\(UUID().uuidString)") == nil)
    }
}
