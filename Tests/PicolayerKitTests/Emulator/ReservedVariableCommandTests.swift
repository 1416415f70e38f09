import Foundation
import Testing

@testable import PicolayerKit

/// A variable Lambda sets itself is a usage error (exit 64) wherever it is given, as a malformed `--env` is.
@Suite("reserved variables are usage errors in invoke, serve and deploy")
struct ReservedVariableCommandTests {
    static let usage: Int32 = 64

    @Test(
        "--env with a reserved name exits 64 with the kit's message, like --env without =",
        arguments: [
            (["invoke", "--env", "AWS_REGION=x"], "AWS_REGION"),
            (["serve", "--env", "AWS_REGION=x"], "AWS_REGION"),
            (["deploy", "--function", "f", "--code", ".", "--env", "AWS_REGION=x"], "AWS_REGION"),
            (["deploy", "--function", "f", "--code", ".", "--env", "_HANDLER=main.f"], "_HANDLER"),
        ])
    func reservedFlag(arguments: [String], name: String) async throws {
        let result = try await run(try picolayerExecutable(), arguments)
        let stderr = String(decoding: result.stderr, as: UTF8.self)
        #expect(result.status == Self.usage, "\(stderr)")
        #expect(stderr.contains(LambdaLimits.reservedVariable(name)), "\(stderr)")

        let malformed = try await run(try picolayerExecutable(), [arguments[0], "--env", "FOO"])
        #expect(malformed.status == Self.usage)
    }

    @Test("a reserved name in --env-file exits 64 with the same message")
    func reservedInFile() async throws {
        let function = try TemporaryFunction()
        defer { function.cleanUp() }
        try function.writeExecutable(LocalLambdaTests.echoRuntime, in: "layer")
        let file = function.root.appendingPathComponent("vars.env")
        try Data("GREETING=hi\nAWS_LAMBDA_RUNTIME_API=127.0.0.1:1\n".utf8).write(to: file)
        let result = try await run(
            try picolayerExecutable(),
            [
                "invoke", "--handler", "h.f", "--task-root", function.taskRoot, "--layer", function.layer,
                "--env-file", file.path, "--event", "-",
            ],
            input: Data("{}".utf8))
        let stderr = String(decoding: result.stderr, as: UTF8.self)
        #expect(result.status == Self.usage, "\(stderr)")
        #expect(stderr == "error: \(LambdaLimits.reservedVariable("AWS_LAMBDA_RUNTIME_API"))\n")
    }
}
