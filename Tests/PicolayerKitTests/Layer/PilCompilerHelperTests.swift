import Foundation
import Logging
import Testing

@testable import PicolayerKit

@Suite("the runtime's C helper reaches the build")
struct PilCompilerHelperTests {
    func compiler(in root: URL, engine: Engine) -> PilCompiler {
        let configuration = BuildConfiguration(
            projectDirectory: root, engine: engine, cacheDirectory: root.appendingPathComponent("cache"),
            environment: testEnvironment)
        return PilCompiler(
            configuration: configuration, runner: ProcessRunner(environment: testEnvironment), logger: .silent)
    }

    func source(in root: URL) throws -> FetchedSource {
        let folder = root.appendingPathComponent("src")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return FetchedSource(name: "pil21", origin: folder.path, url: folder, isDirectory: true, sha256: "\(UUID())")
    }

    @Test("the build script finds picolayer.c beside itself, as given")
    func besideTheScript() async throws {
        try await withTemporaryDirectory { root in
            let script = Array(
                """
                mkdir -p "$2/pil21/bin" "$2/pil21/lib" && cp /bin/true "$2/pil21/bin/picolisp"
                cp "$(dirname "$0")/picolayer.c" "$2/pil21/lib/helper-source"

                """.utf8)
            let helper = Array("/* helper */\n".utf8)
            let output = try await compiler(in: root, engine: .none).compile(
                source: try source(in: root), script: script, helper: helper)
            let copied = try Data(contentsOf: output.tree.appendingPathComponent("lib/helper-source"))
            #expect(Array(copied) == helper)
        }
    }

    @Test("the helper's bytes are part of the build key, and a container gets it mounted read-only")
    func keyAndMount() async throws {
        try await withTemporaryDirectory { root in
            let compiler = compiler(in: root, engine: .podman)
            let fetched = try source(in: root)
            let script = Array("true\n".utf8)
            let keys = Set([
                compiler.key(source: fetched, script: script),
                compiler.key(source: fetched, script: script, helper: Array("a".utf8)),
                compiler.key(source: fetched, script: script, helper: Array("b".utf8)),
            ])
            #expect(keys.count == 3)
            let file = root.appendingPathComponent("picolayer.c")
            let arguments = compiler.containerArguments(
                source: fetched.url, script: root.appendingPathComponent("s.sh"), output: root, helper: file)
            #expect(arguments.contains("\(file.path):/picolayer/picolayer.c:ro"))
        }
    }
}
