import Foundation
import PicolayerKit
import Testing

@Suite("Choosing the container engine")
struct EngineDetectionTests {
    /// A `docker` client with no daemon behind it: what the real client prints and its exit status. (No Docker
    /// daemon can run here; the stand-in plays only the client's answer to `docker info`.)
    func withDaemonlessDocker<T>(_ body: (String) async throws -> T) async throws -> T {
        let scratch = try ZipScratch()
        defer { scratch.remove() }
        try scratch.file(
            "bin/docker",
            """
            #!/bin/sh
            echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2
            exit 1

            """, mode: 0o755)
        return try await body(scratch.path + "/bin")
    }

    @Test("a docker client without its daemon is passed over for a working podman")
    func daemonlessDockerFallsBackToPodman() async throws {
        let podman = try #require(ProcessRunner.locate("podman", environment: ProcessInfo.processInfo.environment))
        let podmanDirectory = (podman as NSString).deletingLastPathComponent
        try await withDaemonlessDocker { dockerDirectory in
            let engine = try await Engine.detect(environment: ["PATH": "\(dockerDirectory):\(podmanDirectory)"])
            #expect(engine == .podman)
        }
    }

    @Test("with only a daemonless docker, the error names it and what it said")
    func onlyDaemonlessDocker() async throws {
        try await withDaemonlessDocker { dockerDirectory in
            let error = await #expect(throws: BuildError.self) {
                try await Engine.detect(environment: ["PATH": dockerDirectory])
            }
            let text = error?.localizedDescription ?? ""
            #expect(text.contains("docker (`docker info` failed: Cannot connect to the Docker daemon"))
            #expect(text.contains("--engine none"))
        }
    }

    @Test("with neither on PATH, the error says so")
    func neither() async throws {
        let error = await #expect(throws: BuildError.self) {
            try await Engine.detect(environment: ["PATH": "/nonexistent"])
        }
        #expect(error?.localizedDescription.hasPrefix("neither docker nor podman is on PATH") == true)
    }
}
