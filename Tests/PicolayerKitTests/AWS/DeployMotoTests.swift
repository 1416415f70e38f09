import Foundation
import NIOConcurrencyHelpers
import PicolayerKit
import Testing

/// Records `METHOD path` of every request before handing it to the live transport.
final class RequestRecorder: Sendable {
    let lines = NIOLockedValueBox<[String]>([])

    var transport: HTTPTransport {
        let live = HTTPTransport.live()
        return HTTPTransport { [lines] request in
            lines.withLockedValue { $0.append("\(request.method) \(request.path)") }
            return try await live.send(request)
        }
    }

    var requests: [String] { lines.withLockedValue { $0 } }
    func reset() { lines.withLockedValue { $0 = [] } }
}

/// A function folder: `main.l`, `lib/util.l` and an executable `bin/tool`, removed after `body`.
func withFunctionFolder<T>(greeting: String = "hello", _ body: (String) async throws -> T) async throws -> T {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("picolayer-deploy-test-\(UUID())")
    let folder = root.appendingPathComponent("fn")
    try FileManager.default.createDirectory(
        at: folder.appendingPathComponent("lib"), withIntermediateDirectories: true)
    try FileManager.default.createDirectory(
        at: folder.appendingPathComponent("bin"), withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: root) }
    try Data("(de handler (Event Headers) \"\(greeting)\")\n".utf8).write(to: folder.appendingPathComponent("main.l"))
    try Data("(de twice (N) (* 2 N))\n".utf8).write(to: folder.appendingPathComponent("lib/util.l"))
    let tool = folder.appendingPathComponent("bin/tool")
    try Data("#!/bin/sh\necho tool\n".utf8).write(to: tool)
    try FileManager.default.setAttributes([.posixPermissions: 0o750], ofItemAtPath: tool.path)
    return try await body(folder.path)
}

/// The boto3 side of the deploy tests: `layer NAME [ARCH...]` publishes a tiny layer version and prints its ARN,
/// `function NAME` prints the function's configuration and versions, `zipinfo PATH` lists a zip's entries and
/// modes with Python's own zip reader, `makezip FOLDER PATH` zips a folder with Python's zip writer.
enum DeployFixture {
    static let script = #"""
        import hashlib, base64, io, json, os, sys, zipfile
        import boto3

        EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

        def client(endpoint, key, secret, region):
            c = boto3.client("lambda", endpoint_url=endpoint, region_name=region,
                             aws_access_key_id=key, aws_secret_access_key=secret)
            def add_hash(request, **kwargs):
                if not request.body:
                    request.headers["X-Amz-Content-SHA256"] = EMPTY
            c.meta.events.register("before-sign.lambda.*", add_hash)
            return c

        command = sys.argv[1]
        if command == "zipinfo":
            with open(sys.argv[2], "rb") as f:
                data = f.read()
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                entries = [{"name": i.filename, "mode": (i.external_attr >> 16) & 0o7777} for i in z.infolist()]
            print(json.dumps({"entries": entries,
                              "sha256": base64.b64encode(hashlib.sha256(data).digest()).decode()}))
        elif command == "makezip":
            folder, target = sys.argv[2:4]
            with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
                for top, dirs, files in os.walk(folder):
                    for name in sorted(files):
                        path = os.path.join(top, name)
                        z.write(path, os.path.relpath(path, folder))
        else:
            endpoint, key, secret, region, name = sys.argv[2:7]
            lam = client(endpoint, key, secret, region)
            if command == "layer":
                code = io.BytesIO()
                with zipfile.ZipFile(code, "w") as z:
                    z.writestr("bootstrap", "#!/bin/sh\n")
                architectures = {"CompatibleArchitectures": sys.argv[7:]} if sys.argv[7:] else {}
                print(lam.publish_layer_version(LayerName=name, Content={"ZipFile": code.getvalue()},
                                                CompatibleRuntimes=["provided.al2023"],
                                                **architectures)["LayerVersionArn"])
            else:
                c = lam.get_function(FunctionName=name)["Configuration"]
                versions = [v["Version"] for v in lam.list_versions_by_function(FunctionName=name)["Versions"]]
                print(json.dumps({
                    "runtime": c.get("Runtime"), "handler": c.get("Handler"), "memorySize": c.get("MemorySize"),
                    "timeout": c.get("Timeout"), "architectures": c.get("Architectures", []),
                    "environment": c.get("Environment", {}).get("Variables", {}),
                    "layers": [l["Arn"] for l in c.get("Layers", [])], "codeSha256": c.get("CodeSha256"),
                    "role": c.get("Role"), "versions": versions}))
        """#

    struct Function: Decodable {
        var runtime: String?
        var handler: String?
        var memorySize: Int?
        var timeout: Int?
        var architectures: [String]
        var environment: [String: String]
        var layers: [String]
        var codeSha256: String?
        var role: String?
        var versions: [String]
    }

    struct ZipInfo: Decodable {
        struct Entry: Decodable, Equatable {
            var name: String
            var mode: Int
        }
        var entries: [Entry]
        var sha256: String
    }

    static func run(_ arguments: [String]) throws -> String {
        let run = try MotoServer.runCapturingFiles(["python3", "-c", script] + arguments)
        guard run.status == 0 else { throw MotoServer.Failure.failed("deploy fixture failed: \(run.stderr)") }
        return run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func args(_ moto: MotoServer, _ command: String, _ name: String) -> [String] {
        [command, moto.endpoint, moto.credentials.accessKeyId, moto.credentials.secretAccessKey, "us-east-1", name]
    }

    /// Publishes a version of layer `name` listing `architectures` as CompatibleArchitectures (none: left out).
    static func publishLayer(_ moto: MotoServer, _ name: String, architectures: [String] = []) throws -> String {
        try run(args(moto, "layer", name) + architectures)
    }

    static func function(_ moto: MotoServer, _ name: String) throws -> Function {
        try JSONDecoder().decode(Function.self, from: Data(try run(args(moto, "function", name)).utf8))
    }

    static func zipInfo(_ path: String) throws -> ZipInfo {
        try JSONDecoder().decode(ZipInfo.self, from: Data(try run(["zipinfo", path]).utf8))
    }
}

@Suite("picolayer deploy against moto_server with signature checking")
struct DeployMotoTests {
    func deployer(
        _ moto: MotoServer, _ configuration: DeployConfiguration, recorder: RequestRecorder = RequestRecorder(),
        scratch: URL = FileManager.default.temporaryDirectory
    ) -> Deployer {
        var configuration = configuration
        configuration.endpointURL = moto.endpoint
        return Deployer(
            configuration: configuration, credentials: .fixed(moto.credentials), transport: recorder.transport,
            timing: FakeTiming().timing, scratchDirectory: scratch)
    }

    /// Runs `body` with an empty folder, and checks that it is empty again afterwards.
    func withScratch<T>(_ body: (URL) async throws -> T) async throws -> T {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("picolayer-scratch-\(UUID())")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let result = try await body(scratch)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).isEmpty)
        return result
    }

    @Test("--create from a folder: provided.al2023, handler, layer, memory, timeout, env, arch and our zip's bytes")
    func createFromFolder() async throws {
        try await MotoServer.with(regions: ["us-east-1"]) { moto in
            try await withFunctionFolder { folder in
                let layer = try DeployFixture.publishLayer(moto, "picolisp")
                let recorder = RequestRecorder()
                let report = try await withScratch { scratch in
                    try await deployer(
                        moto,
                        DeployConfiguration(
                            functionName: "new-fn", codePath: folder, region: "us-east-1", handler: "main.handler",
                            layers: [layer], create: true, role: MotoServer.functionRoleArn, memorySize: 256,
                            timeout: 30, architecture: "arm64", environment: ["GREETING": "hello", "MODE": "test"]),
                        recorder: recorder, scratch: scratch
                    ).run()
                }
                #expect(report.code == .created)
                #expect(recorder.requests == ["GET /2015-03-31/functions/new-fn", "POST /2015-03-31/functions"])

                let state = try DeployFixture.function(moto, "new-fn")
                #expect(state.runtime == "provided.al2023")
                #expect(state.handler == "main.handler")
                #expect(state.role == MotoServer.functionRoleArn)
                #expect(state.memorySize == 256)
                #expect(state.timeout == 30)
                #expect(state.architectures == ["arm64"])
                #expect(state.environment == ["GREETING": "hello", "MODE": "test"])
                #expect(state.layers == [layer])
                #expect(state.codeSha256 == report.codeSha256)

                // The upload is the reproducible zip of the folder: zip it again, compare, and read it with Python.
                let again = FileManager.default.temporaryDirectory.appendingPathComponent(
                    "picolayer-again-\(UUID()).zip")
                defer { try? FileManager.default.removeItem(at: again) }
                _ = try await ZipWriter().write(directory: URL(fileURLWithPath: folder), to: again)
                let info = try DeployFixture.zipInfo(again.path)
                #expect(info.sha256 == state.codeSha256)
                #expect(
                    info.entries == [
                        .init(name: "bin/", mode: 0o755), .init(name: "bin/tool", mode: 0o755),
                        .init(name: "lib/", mode: 0o755), .init(name: "lib/util.l", mode: 0o644),
                        .init(name: "main.l", mode: 0o644),
                    ])
            }
        }
    }

    @Test("update: new code uploaded, our layer replaced in place, the unrelated layer kept; then nothing to do")
    func updateKeepsOtherLayer() async throws {
        try await MotoServer.with(regions: ["us-east-1"], functions: ["existing-fn"]) { moto in
            try await withFunctionFolder { folder in
                let before = try DeployFixture.function(moto, "existing-fn")
                let other = try #require(before.layers.first)
                let first = try DeployFixture.publishLayer(moto, "picolisp")
                let second = try DeployFixture.publishLayer(moto, "picolisp")
                let recorder = RequestRecorder()
                var configuration = DeployConfiguration(
                    functionName: "existing-fn", codePath: folder, region: "us-east-1", handler: "main.handler",
                    layers: [first], timeout: 10)

                let updated = try await deployer(moto, configuration, recorder: recorder).run()
                #expect(updated.code == .updated)
                #expect(updated.configurationChanged == ["Handler", "Timeout", "Layers"])
                #expect(
                    recorder.requests == [
                        "GET /2015-03-31/functions/existing-fn", "PUT /2015-03-31/functions/existing-fn/code",
                        "PUT /2015-03-31/functions/existing-fn/configuration",
                    ])
                var state = try DeployFixture.function(moto, "existing-fn")
                #expect(state.layers == [other, first])
                #expect(state.codeSha256 == updated.codeSha256)
                #expect(state.codeSha256 != before.codeSha256)
                #expect(state.handler == "main.handler")
                #expect(state.timeout == 10)

                // Same code, the layer's next version: no upload, the layer swapped in its place.
                recorder.reset()
                configuration.layers = [second]
                let swapped = try await deployer(moto, configuration, recorder: recorder).run()
                #expect(swapped.code == .unchanged)
                #expect(swapped.configurationChanged == ["Layers"])
                #expect(
                    recorder.requests == [
                        "GET /2015-03-31/functions/existing-fn",
                        "PUT /2015-03-31/functions/existing-fn/configuration",
                    ])
                state = try DeployFixture.function(moto, "existing-fn")
                #expect(state.layers == [other, second])

                // Nothing changed at all: one GetFunction and nothing else.
                recorder.reset()
                let idle = try await deployer(moto, configuration, recorder: recorder).run()
                #expect(idle.code == .unchanged)
                #expect(idle.configurationChanged.isEmpty)
                #expect(recorder.requests == ["GET /2015-03-31/functions/existing-fn"])
            }
        }
    }

    @Test("--publish-version publishes the deployed code; --env replaces the variables, without it they are kept")
    func publishVersionAndEnvironment() async throws {
        try await MotoServer.with(regions: ["us-east-1"], functions: ["existing-fn"]) { moto in
            try await withFunctionFolder { folder in
                var configuration = DeployConfiguration(
                    functionName: "existing-fn", codePath: folder, region: "us-east-1",
                    environment: ["A1": "one", "B2": "two"], publishVersion: true)
                let recorder = RequestRecorder()
                let report = try await deployer(moto, configuration, recorder: recorder).run()
                #expect(report.publishedVersion == "1")
                #expect(report.publishedVersionArn?.hasSuffix(":function:existing-fn:1") == true)
                #expect(recorder.requests.last == "POST /2015-03-31/functions/existing-fn/versions")
                var state = try DeployFixture.function(moto, "existing-fn")
                #expect(state.versions.contains("1"))
                #expect(state.environment == ["A1": "one", "B2": "two"])

                configuration.environment = ["C3": "three"]
                configuration.publishVersion = false
                _ = try await deployer(moto, configuration).run()
                state = try DeployFixture.function(moto, "existing-fn")
                #expect(state.environment == ["C3": "three"])

                configuration.environment = nil
                configuration.memorySize = 512
                _ = try await deployer(moto, configuration).run()
                state = try DeployFixture.function(moto, "existing-fn")
                #expect(state.environment == ["C3": "three"])
                #expect(state.memorySize == 512)
            }
        }
    }

    @Test("a missing function without --create: an error naming --create --role, and nothing is created")
    func missingFunction() async throws {
        try await MotoServer.with(regions: ["us-east-1"]) { moto in
            try await withFunctionFolder { folder in
                let recorder = RequestRecorder()
                let error = try await withScratch { scratch in
                    await #expect(throws: DeployError.self) {
                        try await deployer(
                            moto, DeployConfiguration(functionName: "absent", codePath: folder, region: "us-east-1"),
                            recorder: recorder, scratch: scratch
                        ).run()
                    }
                }
                #expect(error == .functionNotFound(name: "absent", region: "us-east-1"))
                #expect(error?.localizedDescription.contains("--create --role") == true)
                #expect(recorder.requests == ["GET /2015-03-31/functions/absent"])
            }
        }
    }

    @Test("a zip given directly is uploaded byte for byte; --with-published-layer takes the newest version")
    func zipGivenDirectly() async throws {
        try await MotoServer.with(regions: ["us-east-1"], functions: ["existing-fn"]) { moto in
            try await withFunctionFolder { folder in
                // A zip made by Python's zipfile, not by picolayer.
                let zip = (folder as NSString).deletingLastPathComponent + "/function.zip"
                _ = try DeployFixture.run(["makezip", folder, zip])
                _ = try DeployFixture.publishLayer(moto, "picolisp")
                let newest = try DeployFixture.publishLayer(moto, "picolisp")
                let report = try await deployer(
                    moto,
                    DeployConfiguration(
                        functionName: "existing-fn", codePath: zip, region: "us-east-1", withPublishedLayer: true)
                ).run()
                let expected = try UploadZip(path: zip)
                #expect(report.codeSha256 == expected.sha256Base64)
                #expect(report.zipBytes == expected.size)
                let state = try DeployFixture.function(moto, "existing-fn")
                #expect(state.codeSha256 == expected.sha256Base64)
                #expect(state.layers.last == newest)
                #expect(state.layers.count == 2)
            }
        }
    }

    @Test("--dry-run reads the function and reports what would change, and changes nothing")
    func dryRun() async throws {
        try await MotoServer.with(regions: ["us-east-1"], functions: ["existing-fn"]) { moto in
            try await withFunctionFolder { folder in
                let before = try DeployFixture.function(moto, "existing-fn")
                let layer = try DeployFixture.publishLayer(moto, "picolisp")
                let recorder = RequestRecorder()
                let planned = try await deployer(
                    moto,
                    DeployConfiguration(
                        functionName: "existing-fn", codePath: folder, region: "us-east-1", layers: [layer],
                        memorySize: 1024, publishVersion: true, dryRun: true),
                    recorder: recorder
                ).run()
                #expect(planned.dryRun)
                #expect(planned.code == .updated)
                #expect(planned.configurationChanged == ["MemorySize", "Layers"])
                #expect(planned.publishedVersion == nil)
                #expect(planned.table().hasPrefix("dry run"))
                #expect(planned.files == ["bin/", "bin/tool", "lib/", "lib/util.l", "main.l"])
                #expect(recorder.requests == ["GET /2015-03-31/functions/existing-fn"])
                let after = try DeployFixture.function(moto, "existing-fn")
                #expect(after.codeSha256 == before.codeSha256)
                #expect(after.layers == before.layers)
                #expect(after.versions == before.versions)

                recorder.reset()
                let create = try await deployer(
                    moto,
                    DeployConfiguration(
                        functionName: "not-yet", codePath: folder, region: "us-east-1", create: true,
                        role: MotoServer.functionRoleArn, dryRun: true),
                    recorder: recorder
                ).run()
                #expect(create.code == .created)
                #expect(create.handler == "main.handler")
                #expect(create.runtime == "provided.al2023")
                #expect(recorder.requests == ["GET /2015-03-31/functions/not-yet"])
            }
        }
    }
}

@Suite("picolayer deploy: checks made before any request")
struct DeployLocalCheckTests {
    /// A transport that fails the test if anything is sent.
    static let noNetwork = HTTPTransport { request in
        Issue.record("unexpected request \(request.method) \(request.path)")
        throw AWSError.transport(operation: "test", endpoint: "none", reason: "no network in this test")
    }

    func run(_ configuration: DeployConfiguration) async throws {
        _ = try await Deployer(
            configuration: configuration, credentials: .fixed(testCredentials), transport: Self.noNetwork,
            timing: FakeTiming().timing
        ).run()
    }

    @Test("a handler whose file is not in the folder is warned about before anything is sent")
    func handlerFileMissing() async throws {
        try await withFunctionFolder { folder in
            let lines = LineCollector()
            let offline = HTTPTransport { _ in
                throw AWSError.transport(operation: "GetFunction", endpoint: "none", reason: "offline")
            }
            for handler in ["app.handler", "main.handler"] {
                _ = try? await Deployer(
                    configuration: DeployConfiguration(
                        functionName: "f", codePath: folder, region: "us-east-1", handler: handler),
                    credentials: .fixed(testCredentials), transport: offline, timing: FakeTiming().timing,
                    logger: lines.logger
                ).run()
            }
            let warnings = lines.all.filter { $0.hasPrefix("warning:") }
            #expect(warnings == ["warning: handler app.handler names app.l, which is not in \(folder)"])
        }
    }

    @Test("a file that is not a zip, a missing path and a zip over the inline limit are refused")
    func badCode() async throws {
        try await withFunctionFolder { folder in
            let notZip = folder + "/main.l"
            let error = await #expect(throws: DeployError.self) {
                try await run(DeployConfiguration(functionName: "f", codePath: notZip, region: "us-east-1"))
            }
            guard case .notAZip(let path, _) = error else {
                Issue.record("expected notAZip, got \(String(describing: error))")
                return
            }
            #expect(path == notZip)

            await #expect(throws: DeployError.codeNotFound(folder + "/absent")) {
                try await run(DeployConfiguration(functionName: "f", codePath: folder + "/absent", region: "us-east-1"))
            }

            let tooLarge = await #expect(throws: DeployError.self) {
                try await run(
                    DeployConfiguration(functionName: "f", codePath: folder, region: "us-east-1", inlineLimit: 100))
            }
            guard case .codeTooLarge(let shown, let size, 100) = tooLarge else {
                Issue.record("expected codeTooLarge, got \(String(describing: tooLarge))")
                return
            }
            #expect(shown == folder)
            #expect(size > 100)
            #expect(tooLarge?.localizedDescription.contains("at most 0.0 MB inline") == true)
        }
    }

    static func settings(
        handler: String? = nil, layers: [String] = [], withPublishedLayer: Bool = false, create: Bool = false,
        memorySize: Int? = nil, timeout: Int? = nil, architecture: String? = nil,
        environment: [String: String]? = nil, name: String = "f"
    ) -> DeployConfiguration {
        DeployConfiguration(
            functionName: name, codePath: ".", region: "us-east-1", handler: handler, layers: layers,
            withPublishedLayer: withPublishedLayer, create: create, memorySize: memorySize, timeout: timeout,
            architecture: architecture, environment: environment)
    }

    @Test(
        "invalid settings are refused with the value named",
        arguments: [
            (settings(create: true), DeployError.roleRequired("f")),
            (settings(memorySize: 64), .invalidMemory(64)),
            (settings(timeout: 901), .invalidTimeout(901)),
            (settings(architecture: "i386"), .invalidArchitecture("i386")),
            (settings(environment: ["1X": "v"]), .invalidVariableName("1X")),
            (settings(layers: ["arn:aws:lambda:r:1:layer:x"]), .invalidLayerArn("arn:aws:lambda:r:1:layer:x")),
            (settings(layers: ["arn:aws:lambda:r:1:layer:x:1"], withPublishedLayer: true), .conflictingLayerOptions),
            (settings(name: "my fn"), .invalidFunctionName("my fn")),
            (settings(handler: "main handler"), .invalidHandler("main handler")),
        ])
    func invalidSettings(configuration: DeployConfiguration, expected: DeployError) async throws {
        await #expect(throws: expected) { try await run(configuration) }
        #expect(expected.errorDescription?.isEmpty == false)
    }
}
