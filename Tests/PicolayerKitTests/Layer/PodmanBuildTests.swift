import Foundation
import Synchronization
import Testing

@testable import PicolayerKit

/// A real container build with podman against a Debian bookworm image made with debootstrap.
///
/// Podman runs as root with runc and a containers.conf that clears `default_ulimits`, as on the CI machine.
/// The image's tarball is kept in `$TMPDIR/picolayer-test-cache/`, so later runs only `podman import` it.
@Suite("build in a podman container", .serialized)
struct PodmanBuildTests {
    static let image = "localhost/picolayer-test-bookworm"
    static let runc = "/usr/sbin/runc"
    static let cache = FileManager.default.temporaryDirectory.appendingPathComponent("picolayer-test-cache")

    static var available: Bool {
        ProcessRunner.locate("podman", environment: testEnvironment) != nil
            && FileManager.default.isExecutableFile(atPath: runc)
            && ProcessRunner.locate("debootstrap", environment: testEnvironment) != nil && getuid() == 0
    }

    /// Imports the test image unless podman has it; debootstraps it once into the test cache.
    static func ensureImage(environment: [String: String]) async throws {
        let runner = ProcessRunner(environment: environment)
        if try await runner.run("podman", ["image", "exists", image]).succeeded { return }
        let tarball = cache.appendingPathComponent("debian-bookworm-minbase.tar.gz")
        if !FileManager.default.fileExists(atPath: tarball.path) {
            try FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true)
            try await withTemporaryDirectory { root in
                let rootfs = root.appendingPathComponent("rootfs")
                let bootstrap = try await runner.run(
                    "debootstrap", ["--variant=minbase", "bookworm", rootfs.path, "http://deb.debian.org/debian"])
                try #require(bootstrap.succeeded, "debootstrap failed: \(bootstrap.standardErrorText)")
                let archives = rootfs.appendingPathComponent("var/cache/apt/archives")
                for name in (try? FileManager.default.contentsOfDirectory(atPath: archives.path)) ?? []
                where name.hasSuffix(".deb") {
                    try FileManager.default.removeItem(at: archives.appendingPathComponent(name))
                }
                let partial = cache.appendingPathComponent(".partial-\(UUID().uuidString).tar.gz")
                let tar = try await runner.run("tar", ["-czf", partial.path, "-C", rootfs.path, "."])
                try #require(tar.succeeded, "tar failed: \(tar.standardErrorText)")
                try FileManager.default.moveItem(at: partial, to: tarball)
            }
        }
        let imported = try await runner.run("podman", ["import", tarball.path, image])
        try #require(imported.succeeded, "podman import failed: \(imported.standardErrorText)")
    }

    @Test("compiles pil21 inside the container, installing clang and llvm with apt-get", .enabled(if: available))
    func podmanBuild() async throws {
        try await withTemporaryDirectory { root in
            let conf = root.appendingPathComponent("containers.conf")
            try Data("[containers]\ndefault_ulimits = []\n".utf8).write(to: conf)
            var environment = testEnvironment
            environment["CONTAINERS_CONF"] = conf.path
            try await Self.ensureImage(environment: environment)

            let sources = try await Fixtures.sources(in: root)
            let server = try StaticServer(serving: sources.directory)
            defer { server.stop() }
            let project = root.appendingPathComponent("project")
            try FileManager.default.createDirectory(at: project, withIntermediateDirectories: true)
            let config = BuildConfiguration(
                projectDirectory: project,
                // The container reads the sources from mounts, never from the network.
                pilSource: server.url("pil21.tgz"),
                jsonSource: server.url("json.tgz"),
                awscurlSource: server.url("awscurl.tgz"),
                engine: .podman,
                image: Self.image,
                engineArguments: ["--runtime", Self.runc],
                templatesDirectory: try Fixtures.templates(in: root),
                cacheDirectory: root.appendingPathComponent("cache"),
                environment: environment,
                retryDelays: [.zero],
                connectTimeout: .seconds(1))
            let lines = LineCollector()
            let report = try await LayerBuilder(configuration: config, logger: lines.logger).build()
            #expect(!report.reusedBuild)
            #expect(report.verification.passed, "\(report.verification.findings)")
            #expect(lines.all.contains { $0.contains("compiling in \(Self.image) with podman") })

            let log = try String(
                contentsOf: root.appendingPathComponent("cache/builds/\(report.buildKey)/build.log"), encoding: .utf8)
            #expect(log.contains("installing the toolchain with apt-get"))

            let pico = report.layer.appendingPathComponent("picoLisp")
            let smoke = try await Fixtures.run(
                pico.appendingPathComponent("bin/picolisp").path,
                [
                    pico.appendingPathComponent("lib.l").path, pico.appendingPathComponent("runtime.l").path,
                    "-prinl (runtimeReady)", "-bye",
                ])
            #expect(smoke.standardOutputText == "ready\n")
        }
    }
}
