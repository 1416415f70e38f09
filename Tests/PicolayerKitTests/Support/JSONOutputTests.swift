import Foundation
import Testing

@testable import PicolayerKit

/// Every command's `--json` output, checked with Python's jsonschema against the schemas of docs/json.md.
@Suite("--json on every command: one compact document per result, as docs/json.md's schemas say")
struct JSONOutputTests {
    static let root = SigV4TestData.packageRoot

    /// The schemas of docs/json.md by name (`<!-- schema: NAME -->` above a ```json block).
    static func schemas() throws -> [String: String] {
        let url = try #require(root).appendingPathComponent("docs/json.md")
        let lines = try String(contentsOf: url, encoding: .utf8).split(
            separator: "\n", omittingEmptySubsequences: false)
        var schemas: [String: String] = [:]
        var index = 0
        while index < lines.count {
            if let match = lines[index].wholeMatch(of: /<!-- schema: ([a-z]+) -->/), index + 1 < lines.count,
                lines[index + 1] == "```json"
            {
                var body: [Substring] = []
                index += 2
                while index < lines.count, lines[index] != "```" {
                    body.append(lines[index])
                    index += 1
                }
                schemas[String(match.output.1)] = body.joined(separator: "\n")
            }
            index += 1
        }
        return schemas
    }

    /// Checks that `output` is one newline-terminated compact line that `schema` accepts; records why not.
    func check(_ output: String, against name: String, _ location: Testing.SourceLocation = #_sourceLocation) throws {
        let schema = try #require(try Self.schemas()[name], "docs/json.md has no schema \(name)")
        #expect(
            output.hasSuffix("\n") && output.dropLast().split(separator: "\n").count == 1,
            "one line, newline-terminated: \(output.debugDescription)", sourceLocation: location)
        #expect(!output.contains("\": "), "compact, no spaces after keys: \(output)", sourceLocation: location)
        let script = """
            import json, sys, jsonschema
            schema = json.loads(sys.argv[1])
            jsonschema.Draft202012Validator.check_schema(schema)
            errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(json.loads(sys.stdin.read())), key=str)
            for error in errors:
                print(f"{list(error.absolute_path)}: {error.message}")
            sys.exit(1 if errors else 0)
            """
        let run = try runBlocking(
            "/usr/bin/env", ["python3", "-c", script, schema], input: Data(output.utf8), environment: nil)
        #expect(
            run.status == 0,
            "\(name): \(String(decoding: run.stdout + run.stderr, as: UTF8.self)) in \(output)",
            sourceLocation: location)
    }

    func stageLayer(_ folder: URL) throws -> String {
        let layer = folder.appendingPathComponent("layer").path
        let stage = try #require(Self.root).appendingPathComponent("Tests/runtime/stage-layer.sh").path
        let run = try runTool([stage, layer])
        try #require(run.status == 0, "stage-layer.sh: \(run.stderr)")
        return layer
    }

    @Test("docs/json.md has a schema for every command that reports, and each is a valid JSON Schema")
    func everyCommandHasASchema() throws {
        let names = Set(try Self.schemas().keys)
        #expect(
            names == [
                "verify", "build", "package", "invoke", "serve", "publish", "deploy", "whoami", "layers", "test",
                "new", "config", "error",
            ])
    }

    @Test("package, verify, build (its report), invoke and config; errors as JSON with the exit status")
    func localCommands() async throws {
        let binary = try picolayerExecutable()
        try await withTemporaryDirectory { root in
            let tree = try makeTreeThatWarns(in: root)
            let package = try await runTool([binary, "package", tree.path, "-o", root.path + "/t.zip", "--json"])
            #expect(package.status == 0, "\(package.stderr)")
            try check(package.stdout, against: "package")

            let layer = try stageLayer(root)
            let verify = try await runTool([binary, "verify", layer, "--no-live-check", "--json"])
            try check(verify.stdout, against: "verify")
            let verified = try JSONSerialization.jsonObject(with: Data(verify.stdout.utf8)) as? [String: Any]
            #expect(verify.status == ((verified?["passed"] as? Bool) == true ? 0 : 1), "\(verify.stdout)")

            let report = BuildReport(
                layer: URL(fileURLWithPath: layer), buildKey: "k", reusedBuild: true,
                verification: VerifyReport(
                    findings: [Finding(check: "c", severity: .warning, path: "p", message: "m", remedy: "r")],
                    sizes: LayerSizes(fileCount: 1, unzipped: 2, zipped: 3, zippedIsEstimate: true)))
            try check(try report.json(target: .al2023, architecture: .x86_64) + "\n", against: "build")

            let function = root.appendingPathComponent("fn")
            try FileManager.default.createDirectory(at: function, withIntermediateDirectories: true)
            try Data("(de handler (E H) (list (cons \"got\" E)))\n(de bad (E H) (/ 1 0))\n".utf8)
                .write(to: function.appendingPathComponent("main.l"))
            let events = root.appendingPathComponent("events.jsonl").path
            try Data("{\"n\":1}\n\"text\"\n".utf8).write(to: URL(fileURLWithPath: events))
            let invoke = try await runTool([
                binary, "invoke", "--handler", "main.handler", "--task-root", function.path, "--layer", layer,
                "--events", events, "--json", "--quiet",
            ])
            #expect(invoke.status == 0, "\(invoke.stderr)")
            let lines = invoke.stdout.split(separator: "\n")
            #expect(lines.count == 2, "\(invoke.stdout)")
            for line in lines { try check(String(line) + "\n", against: "invoke") }
            let failing = try await runTool([
                binary, "invoke", "--handler", "main.bad", "--task-root", function.path, "--layer", layer, "--json",
                "--quiet",
            ])
            #expect(failing.status == 1)
            try check(failing.stdout, against: "invoke")
            #expect(failing.stdout.contains(#""errorType":"Function.Div""#), "\(failing.stdout)")

            let new = try await runTool([binary, "new", "demo", "--json"], in: root.path)
            #expect(new.status == 0, "\(new.stderr)")
            try check(new.stdout, against: "new")
            let tested = try await runTool(
                [binary, "test", "--layer", layer, "--json"], in: root.path + "/demo")
            #expect(tested.status == 0, "\(tested.stdout)\(tested.stderr)")
            try check(tested.stdout, against: "test")
            let config = try await runTool([binary, "config", "--json"], in: root.path + "/demo")
            #expect(config.status == 0, "\(config.stderr)")
            try check(config.stdout, against: "config")

            let missing = try await runTool([binary, "verify", "/nonexistent/layer", "--json"])
            #expect(missing.status == 1)
            try check(missing.stdout, against: "error")
            #expect(missing.stderr.contains("Error: /nonexistent/layer"), "and in words on stderr: \(missing.stderr)")
            let usage = try await runTool([binary, "invoke", "--memory", "5", "--json"])
            #expect(usage.status == 64)
            try check(usage.stdout, against: "error")
        }
    }

    @Test("serve's start line")
    func serve() async throws {
        let binary = try picolayerExecutable()
        try await withTemporaryDirectory { root in
            let layer = try stageLayer(root)
            try Data("(de handler (E H) E)\n".utf8).write(to: root.appendingPathComponent("main.l"))
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = [
                "serve", "--handler", "main.handler", "--task-root", root.path, "--layer", layer, "--port", "0",
                "--json",
            ]
            let stdout = Pipe()
            process.standardOutput = stdout
            process.standardError = FileHandle.nullDevice
            try process.run()
            defer {
                process.interrupt()
                process.waitUntilExit()
            }
            let line = await Task.detached { () -> String in
                var text = ""
                // Bounded: the start line comes within a second; the pipe closes if serve dies.
                while !text.contains("\n") {
                    let chunk = stdout.fileHandleForReading.availableData
                    if chunk.isEmpty { break }
                    text += String(decoding: chunk, as: UTF8.self)
                }
                return text
            }.value
            try check(line, against: "serve")
        }
    }

    @Test("publish, deploy (and its dry run), whoami and layers against moto")
    func awsCommands() async throws {
        let binary = try picolayerExecutable()
        try await MotoServer.with(regions: ["us-east-1"]) { moto in
            try await withTemporaryDirectory { root in
                let env = [
                    "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": root.path,
                    "AWS_EC2_METADATA_DISABLED": "true", "AWS_ACCESS_KEY_ID": moto.credentials.accessKeyId,
                    "AWS_SECRET_ACCESS_KEY": moto.credentials.secretAccessKey, "AWS_REGION": "us-east-1",
                    "AWS_ENDPOINT_URL": moto.endpoint,
                ]
                let tree = root.appendingPathComponent("tree")
                try FileManager.default.createDirectory(at: tree, withIntermediateDirectories: true)
                try Data("#!/bin/sh\n".utf8).write(to: tree.appendingPathComponent("bootstrap"))
                let zip = root.path + "/layer.zip"
                #expect(try await runTool([binary, "package", tree.path, "-o", zip, "--quiet"]).status == 0)
                let publish = try await runTool(
                    [binary, "publish", zip, "--layer-name", "picolisp", "--arch", "x86_64", "--json"], environment: env
                )
                #expect(publish.status == 0, "\(publish.stderr)")
                try check(publish.stdout, against: "publish")

                let function = root.appendingPathComponent("fn")
                try FileManager.default.createDirectory(at: function, withIntermediateDirectories: true)
                try Data("(de handler (E H) E)\n".utf8).write(to: function.appendingPathComponent("main.l"))
                let deploy = [
                    binary, "deploy", "--function", "json-fn", "--code", function.path, "--with-published-layer",
                    "--create", "--role", MotoServer.functionRoleArn, "--json",
                ]
                let dry = try await runTool(deploy + ["--dry-run"], environment: env)
                #expect(dry.status == 0, "\(dry.stderr)")
                try check(dry.stdout, against: "deploy")
                let created = try await runTool(deploy, environment: env)
                #expect(created.status == 0, "\(created.stderr)")
                try check(created.stdout, against: "deploy")

                let whoami = try await runTool([binary, "whoami", "--json"], environment: env)
                #expect(whoami.status == 0, "\(whoami.stderr)")
                try check(whoami.stdout, against: "whoami")
                let layers = try await runTool([binary, "layers", "--json"], environment: env)
                #expect(layers.status == 0, "\(layers.stderr)")
                try check(layers.stdout, against: "layers")
            }
        }
    }
}
