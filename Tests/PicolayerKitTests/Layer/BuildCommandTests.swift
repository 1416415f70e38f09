import Foundation
import Testing

@testable import PicolayerKit

/// The `picolayer` binary built next to the test bundle: exit status and messages as a user sees them.
@Suite("build and verify commands")
struct BuildCommandTests {
    static let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        .appendingPathComponent("picolayer")

    func picolayer(_ arguments: [String], environment: [String: String] = testEnvironment) async throws -> ProcessResult
    {
        try await ProcessRunner(environment: environment).run(Self.binary.path, arguments)
    }

    @Test(
        "verify exits non-zero on a bad layer and lists the finding with its fix",
        .enabled(if: FileManager.default.isExecutableFile(atPath: binary.path)))
    func verifyExitStatus() async throws {
        try await withTemporaryDirectory { root in
            let layer = try VerifyTests().makeLayer(in: root, mode: 0o600)
            let bad = try await picolayer(["verify", layer.path])
            #expect(bad.exitStatus != 0)
            #expect(bad.standardOutputText.contains("error: bootstrap: bootstrap has mode 600"))
            #expect(bad.standardOutputText.contains("Fix: chmod 0755 bootstrap"))

            try FileManager.default.setAttributes(
                [.posixPermissions: 0o755], ofItemAtPath: layer.appendingPathComponent("bootstrap").path)
            // The fixture's bootstrap is a stand-in, not a runtime: the live check has its own tests.
            let good = try await picolayer(["verify", layer.path, "--target", "provided.al2023", "--no-live-check"])
            #expect(good.exitStatus == 0, "\(good.standardOutputText)")
            #expect(good.standardOutputText.contains("passed"))
        }
    }

    @Test(
        "build with a missing engine exits non-zero and says what to do",
        .enabled(if: FileManager.default.isExecutableFile(atPath: binary.path)))
    func missingEngine() async throws {
        try await withTemporaryDirectory { root in
            let result = try await picolayer(
                [
                    "build", "--engine", "docker", "--project", root.path, "--templates",
                    try Fixtures.templates(in: root).path,
                ],
                environment: ["PATH": root.path, "HOME": root.path])
            #expect(result.exitStatus != 0)
            #expect(result.standardErrorText.contains("container engine docker was not found on PATH"))
            #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("build").path))
        }
    }
}
