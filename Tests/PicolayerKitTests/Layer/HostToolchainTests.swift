import Foundation
import Testing

@testable import PicolayerKit

/// `--engine none` checks that clang fits the LLVM tools before anything is fetched or compiled.
///
/// The first test runs the real `picolayer` binary in a private mount namespace where every
/// `/usr/lib/llvm-NN/bin/clang` (and so Debian's `clang-NN` links) is hidden under an empty, non-executable file,
/// so the only clang left on PATH is the Swift toolchain's, which is newer than Debian's LLVM: the situation of
/// a fresh Debian 12 machine with a Swift toolchain and no `clang-14`.
@Suite("host toolchain check")
struct HostToolchainTests {
    static let unshare = "/usr/bin/unshare"

    /// Debian's clang binaries, one per installed LLVM.
    static var debianClangs: [String] {
        let folders = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib")) ?? []
        return folders.filter { $0.hasPrefix("llvm-") }.map { "/usr/lib/\($0)/bin/clang" }
            .filter { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static var canHide: Bool {
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: unshare) && !debianClangs.isEmpty
            && FileManager.default.isExecutableFile(atPath: BuildCommandTests.binary.path)
    }

    /// The folder of the Swift toolchain running the tests; its clang is newer than any Debian 12/13 LLVM.
    static var swiftBin: String? {
        ProcessRunner.locate("swift", environment: testEnvironment).map {
            URL(fileURLWithPath: $0).resolvingSymlinksInPath().deletingLastPathComponent().path
        }
    }

    /// The major version in `TOOL --version`.
    static func major(_ tool: String) async throws -> Int? {
        let result = try await ProcessRunner(environment: testEnvironment).run(tool, ["--version"])
        let text = result.standardOutputText
        guard let range = text.range(of: #"[0-9]+\.[0-9]"#, options: .regularExpression) else { return nil }
        return Int(text[range].split(separator: ".")[0])
    }

    @Test(
        "with only a clang newer than LLVM on PATH, build --engine none stops at once naming clang-NN and the fix",
        .enabled(if: canHide))
    func newerClangRefusedEarly() async throws {
        let swiftBin = try #require(Self.swiftBin)
        let swiftClang = "\(swiftBin)/clang"
        let llvm = try #require(try await Self.major("llvm-config"))
        let newer = try #require(try await Self.major(swiftClang))
        try #require(newer > llvm, "the Swift toolchain's clang \(newer) must be newer than LLVM \(llvm)")

        try await withTemporaryDirectory { root in
            let empty = root.appendingPathComponent("empty")
            try Data().write(to: empty)
            let hide = Self.debianClangs.map { "mount --bind \(empty.path) \($0) && " }.joined()
            var environment = testEnvironment
            environment["PATH"] = (testEnvironment["PATH"] ?? "/usr/bin:/bin") + ":\(swiftBin)"
            let cache = root.appendingPathComponent("cache")
            let started = ContinuousClock.now
            // The source is a URL nothing answers at: a fetch would fail differently, a compile cannot start.
            let result = try await ProcessRunner(environment: environment).run(
                Self.unshare,
                [
                    "--mount", "--propagation", "private", "sh", "-c", "\(hide)exec \"$@\"", "sh",
                    BuildCommandTests.binary.path, "build", "--engine", "none",
                    "--pil-source", "https://127.0.0.1:9/pil21.tgz", "--project", root.path,
                    "--cache-dir", cache.path,
                ])
            let elapsed = ContinuousClock.now - started
            let output = result.standardOutputText + result.standardErrorText
            #expect(!result.succeeded, "\(output)")
            #expect(elapsed < .seconds(30), "took \(elapsed)")
            #expect(output.contains("no clang fits LLVM \(llvm)"), "\(output)")
            #expect(output.contains("clang \(newer) (\(swiftClang)) is newer than LLVM \(llvm)"), "\(output)")
            #expect(output.contains("apt-get install clang-\(llvm)"), "\(output)")
            #expect(output.contains("--install-deps") && output.contains("--engine podman"), "\(output)")
            #expect(output.contains("nothing was fetched or compiled"), "\(output)")
            #expect(!output.contains("compiling PicoLisp failed"), "\(output)")
            #expect(!FileManager.default.fileExists(atPath: cache.appendingPathComponent("downloads").path))
        }
    }

    @Test("with clang-NN beside llvm-NN the check picks that pair even when a newer clang comes first on PATH")
    func picksTheFittingPair() async throws {
        let swiftBin = try #require(Self.swiftBin)
        let llvm = try #require(try await Self.major("llvm-config"))
        try #require(
            ProcessRunner.locate("clang-\(llvm)", environment: testEnvironment) != nil, "clang-\(llvm) not installed")
        try await withTemporaryDirectory { root in
            var environment = testEnvironment
            environment["PATH"] = "\(swiftBin):" + (testEnvironment["PATH"] ?? "/usr/bin:/bin")
            let lines = LineCollector()
            let toolchain = HostToolchain(
                runner: ProcessRunner(environment: environment), logger: lines.logger,
                script: TemplateSet.embedded.files[TemplateSet.buildScript] ?? [], scratch: root)
            let picked = try await toolchain.check(install: false)
            #expect(picked.contains("clang-\(llvm) (clang \(llvm)), llvm \(llvm)"), "\(picked)")
            #expect(lines.all.contains { $0.hasPrefix("toolchain: compiler ") }, "\(lines.all)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: root.path).isEmpty, "the script is removed")
        }
    }

    @Test("CC set to a newer clang is refused with CC named, not silently replaced")
    func newerCCRefused() async throws {
        let swiftBin = try #require(Self.swiftBin)
        try await withTemporaryDirectory { root in
            var environment = testEnvironment
            environment["CC"] = "\(swiftBin)/clang"
            let toolchain = HostToolchain(
                runner: ProcessRunner(environment: environment), logger: .silent,
                script: TemplateSet.embedded.files[TemplateSet.buildScript] ?? [], scratch: root)
            do {
                try await toolchain.check(install: false)
                Issue.record("a CC newer than every LLVM must be refused")
            } catch let BuildError.hostToolchain(status, report, installed) {
                #expect(status == HostToolchain.refusalStatus)
                #expect(!installed)
                #expect(report.contains("CC=\(swiftBin)/clang is set"), "\(report)")
            }
        }
    }

    @Test(
        "not root: --install-deps says it uses sudo and runs the package manager through it",
        .enabled(
            if: canHide && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")
                && ProcessRunner.locate("apt-get", environment: testEnvironment) != nil))
    func installThroughSudo() async throws {
        try await withTemporaryDirectory { root in
            let fileManager = FileManager.default
            try fileManager.setAttributes([.posixPermissions: 0o777], ofItemAtPath: root.path)
            let empty = root.appendingPathComponent("empty")
            try Data().write(to: empty)
            // A stand-in sudo (a real one would ask for a password): it records what it was asked to run.
            let bin = root.appendingPathComponent("bin")
            try fileManager.createDirectory(at: bin, withIntermediateDirectories: true)
            let record = root.appendingPathComponent("sudo.log")
            let sudo = bin.appendingPathComponent("sudo")
            try Data("#!/bin/sh\necho \"$*\" >> \(record.path)\nexit 1\n".utf8).write(to: sudo)
            try fileManager.setAttributes([.posixPermissions: 0o755], ofItemAtPath: sudo.path)
            let script = root.appendingPathComponent(TemplateSet.buildScript)
            try Data(TemplateSet.embedded.files[TemplateSet.buildScript] ?? []).write(to: script)
            let hide = Self.debianClangs.map { "mount --bind \(empty.path) \($0) && " }.joined()
            let result = try await ProcessRunner(environment: testEnvironment).run(
                Self.unshare,
                [
                    "--mount", "--propagation", "private", "sh", "-c", "\(hide)exec \"$@\"", "sh",
                    "/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/env",
                    "PATH=\(bin.path):/usr/bin:/bin", "PICOLAYER_INSTALL_TOOLCHAIN=1", "sh", script.path, "--check",
                ])
            let output = result.standardOutputText + result.standardErrorText
            #expect(result.exitStatus == HostToolchain.refusalStatus, "\(output)")
            #expect(output.contains("installing the toolchain with apt-get: clang-"), "\(output)")
            #expect(output.contains("not root: running through sudo: env DEBIAN_FRONTEND=noninteractive apt-get"))
            let asked = (try? String(contentsOf: record, encoding: .utf8)) ?? ""
            #expect(asked.hasPrefix("env DEBIAN_FRONTEND=noninteractive apt-get update"), "\(asked)")
        }
    }

    @Test(
        "--install-deps is refused with a container engine, before anything runs",
        .enabled(if: FileManager.default.isExecutableFile(atPath: BuildCommandTests.binary.path)))
    func installDepsNeedsEngineNone() async throws {
        for engine in [["--engine", "podman"], []] {
            let result = try await ProcessRunner(environment: testEnvironment).run(
                BuildCommandTests.binary.path, ["build", "--install-deps"] + engine + ["--project", "/nonexistent"])
            #expect(result.exitStatus == 64, "\(result.standardErrorText)")
            #expect(result.standardErrorText.contains("--install-deps installs the toolchain on this machine"))
        }
    }

    @Test("the no-engine hint and the toolchain error name --install-deps and say nothing was done")
    func messages() {
        let hint = BuildError.noEngineAvailable(unusable: ["docker (`docker info` failed)"]).localizedDescription
        #expect(hint.contains("--engine none") && hint.contains("--install-deps"))
        let refusal = BuildError.hostToolchain(
            status: 5, report: "build-pil21: fix: apt-get install clang-14", installed: false
        ).localizedDescription
        #expect(refusal.contains("this machine's toolchain cannot compile pil21"))
        #expect(refusal.contains("  | build-pil21: fix: apt-get install clang-14"))
        let other = BuildError.hostToolchain(status: 2, report: "usage", installed: false).localizedDescription
        #expect(other.contains("exit status 2"))
    }
}
