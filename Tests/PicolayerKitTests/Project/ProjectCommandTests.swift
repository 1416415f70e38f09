import Foundation
import PicolayerKit
import Testing

@Suite("a project: picolayer new, picolayer.toml and picolayer config, from an empty folder to a deployed function")
struct ProjectCommandTests {
    func environment(home: String, _ extra: [String: String] = [:]) -> [String: String] {
        [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": home,
            "AWS_EC2_METADATA_DISABLED": "true",
        ].merging(extra) { $1 }
    }

    @Test("new makes every file; config shows each setting's source; an unknown key names its line")
    func newAndConfig() async throws {
        let binary = try picolayerExecutable()
        try await withTemporaryDirectory { root in
            let made = try await runTool([binary, "new", "hello", "--template", "sqs"], in: root.path)
            #expect(made.status == 0, "\(made.stderr)")
            let project = root.appendingPathComponent("hello").path
            for file in [
                "main.l", "picolayer.toml", ".picolayerignore", "README.md", ".github/workflows/deploy.yml",
                "events/function-url.json", "events/sqs.json", "events/s3.json", "events/eventbridge.json",
            ] {
                #expect(FileManager.default.fileExists(atPath: project + "/" + file), "\(file) missing")
            }
            for event in ["function-url", "sqs", "s3", "eventbridge"] {
                let data = try Data(contentsOf: URL(fileURLWithPath: project + "/events/\(event).json"))
                #expect(throws: Never.self) { try JSONSerialization.jsonObject(with: data) }
            }
            let again = try await runTool([binary, "new", "hello"], in: root.path)
            #expect(again.status == 1 && again.stderr.contains("already exists"), "\(again.stderr)")
            let bad = try await runTool([binary, "new", "no/such"], in: root.path)
            #expect(bad.status == 64, "a bad name is a usage error: \(bad.stderr)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["hello"], "nothing else left")

            let config = try await runTool(
                [binary, "config", "--json"], in: project,
                environment: environment(home: root.path, ["PICOLAYER_FUNCTION": "other"]))
            #expect(config.status == 0, "\(config.stderr)")
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(config.stdout.utf8)) as? [String: Any])
            let settings = try #require(object["settings"] as? [String: [String: Any]])
            #expect(settings["function.handler"]?["source"] as? String == "picolayer.toml:10")
            #expect(settings["function.name"]?["value"] as? String == "other", "the environment wins over the file")
            #expect(settings["function.name"]?["source"] as? String == "PICOLAYER_FUNCTION")
            #expect(settings["function.code"]?["source"] as? String == "default")

            let toml = project + "/picolayer.toml"
            let text = try String(contentsOfFile: toml, encoding: .utf8)
            try text.replacing("memory = 128", with: "memroy = 128").write(
                toFile: toml, atomically: true, encoding: .utf8)
            let refused = try await runTool([binary, "config"], in: project, environment: environment(home: root.path))
            #expect(refused.status == 1)
            #expect(
                refused.stderr.contains(
                    "picolayer.toml:11: unknown key function.memroy; did you mean function.memory?"),
                "\(refused.stderr)")
        }
    }

    @Test("in a new project picolayer invoke answers at once (this machine's picolisp), then with the built layer")
    func newThenInvoke() async throws {
        let binary = try picolayerExecutable()
        let stage = try #require(SigV4TestData.packageRoot).appendingPathComponent("Tests/runtime/stage-layer.sh").path
        try await withTemporaryDirectory { root in
            #expect(try await runTool([binary, "new", "hello"], in: root.path).status == 0)
            let project = root.appendingPathComponent("hello").path
            // Before any build: this machine's picolisp under picolayer's runtime, staged in the cache.
            let cache = [
                "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
                "XDG_CACHE_HOME": root.path + "/cache",
            ]
            let first = try await runTool([binary, "invoke"], in: project, environment: cache)
            #expect(first.status == 0, "\(first.stderr)")
            #expect(first.stdout == #"{"message":"Hello, world!"}"#, "\(first.stdout)")
            #expect(first.stderr.contains("no layer at build/layer"), "the fallback is said: \(first.stderr)")
            let layers = try FileManager.default.contentsOfDirectory(atPath: root.path + "/cache/picolayer")
            #expect(layers.count == 1 && layers[0].hasPrefix("host-layer-"), "\(layers)")
            #expect(
                try await runTool([binary, "invoke", "-q"], in: project, environment: cache).stdout == first.stdout)
            // What `picolayer build` stages, from the templates and this machine's picolisp.
            let staged = try await runTool([stage, project + "/build/layer"])
            try #require(staged.status == 0, "stage-layer.sh: \(staged.stderr)")
            let plain = try await runTool([binary, "invoke", "--quiet"], in: project)
            #expect(plain.status == 0, "\(plain.stderr)")
            #expect(plain.stdout == #"{"message":"Hello, world!"}"#, "\(plain.stdout)")
            #expect(plain.stderr.isEmpty, "--quiet leaves only the response: \(plain.stderr)")
            let named = try await runTool([binary, "invoke", "--event", "events/hello.json"], in: project)
            #expect(named.stdout == #"{"message":"Hello, PicoLisp!"}"#, "\(named.stdout)")
            #expect(named.stderr.contains("Memory Size: 128 MB"), "memory from picolayer.toml: \(named.stderr)")
        }
    }

    @Test(
        "deploy with no flags creates the function from picolayer.toml; secrets stay out; --merge-env keeps variables")
    func newThenDeploy() async throws {
        let binary = try picolayerExecutable()
        try await MotoServer.with(regions: ["us-east-1"]) { moto in
            try await withTemporaryDirectory { root in
                let made = try await runTool(
                    [binary, "new", "hello", "--role", MotoServer.functionRoleArn], in: root.path)
                #expect(made.status == 0, "\(made.stderr)")
                let project = root.appendingPathComponent("hello").path
                try Data("TOKEN=secret\n".utf8).write(to: URL(fileURLWithPath: project + "/.env"))
                try FileManager.default.createDirectory(atPath: project + "/.git", withIntermediateDirectories: true)
                try Data("[core]\n".utf8).write(to: URL(fileURLWithPath: project + "/.git/config"))
                let toml = project + "/picolayer.toml"
                let text = try String(contentsOfFile: toml, encoding: .utf8)
                try text.replacing("# GREETING = \"hello\"", with: "GREETING = \"hello\"")
                    .write(toFile: toml, atomically: true, encoding: .utf8)
                let layer = try DeployFixture.publishLayer(moto, "picolisp")
                let env = environment(
                    home: root.path,
                    [
                        "AWS_ACCESS_KEY_ID": moto.credentials.accessKeyId,
                        "AWS_SECRET_ACCESS_KEY": moto.credentials.secretAccessKey, "AWS_REGION": "us-east-1",
                        "AWS_ENDPOINT_URL": moto.endpoint,
                    ])

                let dry = try await runTool([binary, "deploy", "--dry-run", "--json"], in: project, environment: env)
                #expect(dry.status == 0, "\(dry.stderr)")
                let plan = try #require(try JSONSerialization.jsonObject(with: Data(dry.stdout.utf8)) as? [String: Any])
                let files = try #require(plan["files"] as? [String])
                #expect(files == ["main.l"], "only the handler ships: \(files)")

                let created = try await runTool([binary, "deploy"], in: project, environment: env)
                #expect(created.status == 0, "\(created.stdout)\(created.stderr)")
                var state = try DeployFixture.function(moto, "hello")
                #expect(state.handler == "main.handler")
                #expect(state.memorySize == 128 && state.timeout == 10)
                #expect(state.layers == [layer])
                #expect(state.environment == ["GREETING": "hello"])

                let merged = try await runTool(
                    [binary, "deploy", "--env", "STAGE=dev", "--merge-env"], in: project, environment: env)
                #expect(merged.status == 0, "\(merged.stderr)")
                state = try DeployFixture.function(moto, "hello")
                #expect(state.environment == ["GREETING": "hello", "STAGE": "dev"])
                try text.replacing("# GREETING = \"hello\"", with: "OTHER = \"x\"")
                    .write(toFile: toml, atomically: true, encoding: .utf8)
                let replaced = try await runTool([binary, "deploy", "--merge-env"], in: project, environment: env)
                #expect(replaced.status == 0, "\(replaced.stderr)")
                state = try DeployFixture.function(moto, "hello")
                #expect(state.environment == ["GREETING": "hello", "STAGE": "dev", "OTHER": "x"])
                let plain = try await runTool([binary, "deploy"], in: project, environment: env)
                #expect(plain.status == 0, "\(plain.stderr)")
                state = try DeployFixture.function(moto, "hello")
                #expect(state.environment == ["OTHER": "x"], "without --merge-env the file's set replaces the rest")
            }
        }
    }
}
