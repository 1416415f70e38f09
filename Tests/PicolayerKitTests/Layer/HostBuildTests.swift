import Foundation
import Testing

@testable import PicolayerKit

/// Real builds on this machine (`--engine none`) with clang-14 and llvm-14, from sources served on 127.0.0.1.
@Suite("build on this machine", .serialized)
struct HostBuildTests {
    func configuration(
        project: URL, sources: Fixtures.Sources, server: StaticServer, templates: URL, cache: URL,
        engine: Engine = .none, environment: [String: String] = testEnvironment
    ) -> BuildConfiguration {
        BuildConfiguration(
            projectDirectory: project,
            pilSource: server.url("pil21.tgz"),
            jsonSource: server.url("json.tgz"),
            awscurlSource: server.url("awscurl.tgz"),
            engine: engine,
            templatesDirectory: templates,
            cacheDirectory: cache,
            environment: environment,
            retryDelays: [.zero],
            connectTimeout: .seconds(1))
    }

    @Test("builds pil21 with clang-14, stages a layer that runs, and reuses the build the second time")
    func buildAndReuse() async throws {
        try await withTemporaryDirectory { root in
            let sources = try await Fixtures.sources(in: root)
            let server = try StaticServer(serving: sources.directory)
            defer { server.stop() }
            let project = root.appendingPathComponent("project")
            try FileManager.default.createDirectory(at: project, withIntermediateDirectories: true)
            let config = configuration(
                project: project, sources: sources, server: server, templates: try Fixtures.templates(in: root),
                cache: root.appendingPathComponent("cache"))

            let report = try await LayerBuilder(configuration: config, logger: .silent).build()
            #expect(!report.reusedBuild)
            #expect(report.verification.passed, "\(report.verification.findings)")
            let layer = report.layer
            #expect(layer.path == project.appendingPathComponent("build/layer").path)

            // Layout.
            let fileManager = FileManager.default
            for path in [
                "bootstrap", "picoLisp/bin/picolisp", "picoLisp/lib.l", "picoLisp/lib/ext.so", "picoLisp/lib/ht.so",
                "picoLisp/lib/json.l", "picoLisp/runtime.l", "picoLisp/json/json.l", "picoLisp/json/LICENSE",
                "picoLisp/awscurl/libawscurl.l", "picoLisp/awscurl/LICENSE",
            ] {
                #expect(fileManager.fileExists(atPath: layer.appendingPathComponent(path).path), "\(path) missing")
            }
            for absent in ["picoLisp/src", "picoLisp/test", "picoLisp/img", "picoLisp/json/test"] {
                #expect(!fileManager.fileExists(atPath: layer.appendingPathComponent(absent).path), "\(absent) present")
            }
            // No library bundled (Debian's and provided.al2023's agree); only picolisp-awscurl's libcrypto.so link.
            let lib = try fileManager.contentsOfDirectory(atPath: layer.appendingPathComponent("lib").path)
            #expect(lib == ["libcrypto.so"])
            #expect(
                try fileManager.destinationOfSymbolicLink(atPath: layer.appendingPathComponent("lib/libcrypto.so").path)
                    == "/lib64/libcrypto.so.3")
            let mode =
                try fileManager.attributesOfItem(atPath: layer.appendingPathComponent("bootstrap").path)[
                    .posixPermissions] as? NSNumber
            #expect(mode?.intValue == 0o755)

            // The freshly built interpreter runs with the staged libraries and runtime.
            let pico = layer.appendingPathComponent("picoLisp")
            let smoke = try await Fixtures.run(
                pico.appendingPathComponent("bin/picolisp").path,
                [
                    pico.appendingPathComponent("lib.l").path, pico.appendingPathComponent("json/json.l").path,
                    pico.appendingPathComponent("runtime.l").path, "-prinl (runtimeReady) (json-encode NIL)", "-bye",
                ])
            #expect(smoke.standardOutputText == "ready{}\n")

            // The lock file holds the three downloads.
            let lock = try Lockfile.load(from: project.appendingPathComponent(Lockfile.fileName))
            #expect(lock.hashes.count == 3)
            #expect(lock.hashes[server.url("pil21.tgz")] == Hashing.sha256(try Data(contentsOf: sources.pil21)))

            // Same inputs: the compile is reused, and --locked is satisfied.
            var locked = config
            locked.lockMode = .locked
            let again = try await LayerBuilder(configuration: locked, logger: .silent).build()
            #expect(again.reusedBuild)
            #expect(again.buildKey == report.buildKey)
        }
    }

    /// A project whose earlier layer must survive every failed build.
    struct EarlierLayer {
        var project: URL
        var marker: URL

        init(in root: URL) throws {
            project = root.appendingPathComponent("project")
            let layer = project.appendingPathComponent("build/layer")
            try FileManager.default.createDirectory(at: layer, withIntermediateDirectories: true)
            marker = layer.appendingPathComponent("bootstrap")
            try Data("#!/bin/sh\necho earlier layer\n".utf8).write(to: marker)
        }

        func expectIntact(_ comment: Comment) throws {
            #expect(
                (try? String(contentsOf: marker, encoding: .utf8)) == "#!/bin/sh\necho earlier layer\n", comment)
            let entries = try FileManager.default.contentsOfDirectory(
                atPath: project.appendingPathComponent("build").path)
            #expect(entries.filter { $0 != "layer.rejected" } == ["layer"], comment)
        }
    }

    @Test("checksum mismatch, unreachable URL, corrupt tarball, missing engine and a failing compile each fail clearly")
    func failuresLeaveTheEarlierLayer() async throws {
        try await withTemporaryDirectory { root in
            let sources = try await Fixtures.sources(in: root)
            let server = try StaticServer(serving: sources.directory)
            defer { server.stop() }
            let earlier = try EarlierLayer(in: root)
            let cache = root.appendingPathComponent("cache")
            let templates = try Fixtures.templates(in: root)
            let base = configuration(
                project: earlier.project, sources: sources, server: server, templates: templates, cache: cache)
            func build(_ config: BuildConfiguration) async throws {
                _ = try await LayerBuilder(configuration: config, logger: .silent).build()
            }

            // Checksum mismatch: the lock says otherwise.
            let pilURL = server.url("pil21.tgz")
            let wrong = String(repeating: "f", count: 64)
            try Lockfile(hashes: [pilURL: wrong]).write(to: earlier.project.appendingPathComponent(Lockfile.fileName))
            let actual = Hashing.sha256(try Data(contentsOf: sources.pil21))
            await #expect(throws: BuildError.checksumMismatch(url: pilURL, expected: wrong, actual: actual)) {
                try await build(base)
            }
            try earlier.expectIntact("after a checksum mismatch")
            try FileManager.default.removeItem(at: earlier.project.appendingPathComponent(Lockfile.fileName))

            // Unreachable URL: a port on 127.0.0.1 that nothing listens on.
            let closed = try StaticServer(serving: sources.directory)
            let unreachable = closed.url("pil21.tgz")
            closed.stop()
            var config = base
            config.pilSource = unreachable
            do {
                try await build(config)
                Issue.record("an unreachable URL must fail")
            } catch let BuildError.downloadFailed(url, _) {
                #expect(url == unreachable)
            }
            try earlier.expectIntact("after an unreachable URL")

            // Corrupt tarball.
            let corrupt = sources.directory.appendingPathComponent("corrupt.tgz")
            try Data(try Data(contentsOf: sources.pil21).prefix(5000)).write(to: corrupt)
            config = base
            config.pilSource = server.url("corrupt.tgz")
            do {
                try await build(config)
                Issue.record("a corrupt tarball must fail")
            } catch let BuildError.corruptArchive(source, reason) {
                #expect(source == server.url("corrupt.tgz"))
                #expect(!reason.isEmpty)
            }
            try earlier.expectIntact("after a corrupt tarball")

            // Missing engine: docker asked for, none on PATH.
            config = base
            config.engine = .docker
            config.environment = ["PATH": root.path]
            await #expect(throws: BuildError.engineNotFound("docker")) { try await build(config) }
            try earlier.expectIntact("after a missing engine")

            // Another architecture cannot be compiled on this machine.
            config = base
            config.architecture = Architecture.host == .x86_64 ? .arm64 : .x86_64
            await #expect(
                throws: BuildError.hostArchitectureMismatch(
                    requested: config.architecture.rawValue, host: Architecture.host.rawValue)
            ) { try await build(config) }
            try earlier.expectIntact("after a foreign architecture")

            // Failing compile: a pil21 folder whose Makefile stops with an error.
            let broken = root.appendingPathComponent("broken-pil21")
            try FileManager.default.createDirectory(
                at: broken.appendingPathComponent("src"), withIntermediateDirectories: true)
            try Data("all:\n\n../bin/picolisp:\n\t@echo 'base.ll:1: deliberate compile error' >&2; exit 1\n".utf8)
                .write(to: broken.appendingPathComponent("src/Makefile"))
            config = base
            config.pilSource = broken.path
            do {
                try await build(config)
                Issue.record("a failing compile must fail")
            } catch let BuildError.buildFailed(log, tail, status) {
                #expect(status != 0)
                #expect(tail.contains("deliberate compile error"))
                #expect(FileManager.default.fileExists(atPath: log))
                #expect(BuildError.buildFailed(log: log, tail: tail, status: status).localizedDescription.contains(log))
            }
            try earlier.expectIntact("after a failing compile")
        }
    }
}
