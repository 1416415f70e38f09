import FoundationEssentials
import Logging

/// Compiles pil21 with `build-pil21.sh`, in a container or on this machine, and caches the result.
///
/// The cache key covers everything that decides the output: the source's hash, the engine, the image, the
/// architecture and the script itself. A finished build lives in `<cache>/builds/<key>/` (`pil21/`, `deps/`,
/// `build.log`); it is written under a temporary name and renamed when complete, so a reused build is whole.
struct PilCompiler: Sendable {
    static let buildsFolder = "builds"
    static let keyVersion = "picolayer-build-1"
    static let logTailLines = 25

    var configuration: BuildConfiguration
    var runner: ProcessRunner
    var logger: Logger

    struct Output: Sendable {
        var directory: URL
        var key: String
        var reused: Bool

        var tree: URL { directory.appendingPathComponent("pil21") }
        var dependencies: URL { directory.appendingPathComponent("deps") }
    }

    var builds: URL { configuration.cacheDirectory.appendingPathComponent(Self.buildsFolder) }

    func key(source: FetchedSource, script: [UInt8], helper: [UInt8]? = nil) -> String {
        let place = configuration.engine == .none ? "host" : configuration.image
        var lines = [
            Self.keyVersion, "source=\(source.sha256)", "engine=\(configuration.engine.rawValue)", "image=\(place)",
            "arch=\(configuration.architecture.rawValue)", "script=\(Hashing.sha256(script))",
        ]
        if let helper { lines.append("helper=\(Hashing.sha256(helper))") }
        let description = lines.joined(separator: "\n")
        return Hashing.sha256(Data(description.utf8))
    }

    /// The engine's argv for one build; the script, the runtime's C helper (when there is one) and the source are
    /// mounted read-only.
    func containerArguments(source: URL, script: URL, output: URL, helper: URL? = nil) -> [String] {
        var arguments =
            configuration.engineArguments + [
                "run", "--rm", "--platform", configuration.architecture.containerPlatform,
                "-v", "\(source.path):/picolayer/source:ro",
                "-v", "\(script.path):/picolayer/build-pil21.sh:ro",
                "-v", "\(output.path):/picolayer/out",
                "-e", "PICOLAYER_INSTALL_TOOLCHAIN=1",
            ]
        if let helper {
            arguments += ["-v", "\(helper.path):/picolayer/\(TemplateSet.helperSource):ro"]
        }
        if let owner = configuration.owner {
            arguments += ["-e", "PICOLAYER_OWNER=\(owner)"]
        }
        arguments += [configuration.image, "sh", "/picolayer/build-pil21.sh", "/picolayer/source", "/picolayer/out"]
        return arguments
    }

    /// Compiles pil21 and, when `helper` is given, the runtime's C helper (`templates/picolayer.c`) beside it.
    func compile(source: FetchedSource, script: [UInt8], helper: [UInt8]? = nil) async throws -> Output {
        let key = key(source: source, script: script, helper: helper)
        let final = builds.appendingPathComponent(key)
        let fileManager = FileManager.default
        if fileManager.fileExists(atPath: final.appendingPathComponent("pil21/bin/picolisp").path) {
            logger.info("pil21: reusing build \(key.prefix(12)) from \(builds.path)")
            return Output(directory: final, key: key, reused: true)
        }
        // The engine was found by LayerBuilder.preflight, before any download.
        try fileManager.createDirectory(at: builds, withIntermediateDirectories: true)
        let work = builds.appendingPathComponent(".work-\(UUID().uuidString)")
        let output = work.appendingPathComponent("out")
        try fileManager.createDirectory(at: output, withIntermediateDirectories: true)
        defer { try? fileManager.removeItem(at: work) }
        let scriptFile = work.appendingPathComponent(TemplateSet.buildScript)
        try Data(script).write(to: scriptFile)
        let helperFile = helper.map { _ in work.appendingPathComponent(TemplateSet.helperSource) }
        if let helper, let helperFile { try Data(helper).write(to: helperFile) }
        let log = work.appendingPathComponent("build.log")
        let progress = CompileProgress(logger: logger, label: "pil21")
        // The log stays whole; the console shows the compile's lines as they come (CompileProgress).
        let streamed: ProcessRunner.Output = .appendToFile(log, lines: { progress.line($0) })

        let result: ProcessResult
        switch configuration.engine {
        case .none:
            logger.info("pil21: compiling on this machine")
            result = try await runner.run(
                "sh", [scriptFile.path, source.url.path, output.path], output: streamed)
        case .docker, .podman:
            let platform = configuration.architecture.containerPlatform
            logger.info(
                "pil21: compiling in \(configuration.image) with \(configuration.engine.rawValue) (\(platform))")
            result = try await runner.run(
                configuration.engine.rawValue,
                containerArguments(source: source.url, script: scriptFile, output: output, helper: helperFile),
                output: streamed)
        }

        guard result.succeeded else {
            let kept = builds.appendingPathComponent("failed-\(key.prefix(12)).log")
            try? fileManager.removeItem(at: kept)
            try? fileManager.moveItem(at: log, to: kept)
            throw BuildError.buildFailed(log: kept.path, tail: Self.tail(of: kept), status: result.exitStatus)
        }
        let picolisp = output.appendingPathComponent("pil21/bin/picolisp")
        guard fileManager.fileExists(atPath: picolisp.path) else {
            throw BuildError.missingBuildOutput(path: picolisp.path)
        }
        try fileManager.moveItem(at: log, to: output.appendingPathComponent("build.log"))
        if fileManager.fileExists(atPath: final.path) { try fileManager.removeItem(at: final) }
        try fileManager.moveItem(at: output, to: final)
        logger.info("pil21: built \(key.prefix(12))")
        return Output(directory: final, key: key, reused: false)
    }

    static func tail(of log: URL) -> String {
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(logTailLines)
            .map { "  | \($0)" }.joined(separator: "\n")
    }
}
