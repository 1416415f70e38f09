import FoundationEssentials
import Logging

/// What `picolayer build` produced.
public struct BuildReport: Sendable {
    public var layer: URL
    public var buildKey: String
    /// True when the compile step was skipped because an identical build was in the cache.
    public var reusedBuild: Bool
    public var verification: VerifyReport
}

/// `picolayer build`: fetch and check the sources, compile pil21 (or reuse a cached build), stage the layer,
/// verify it, and only then put it in place of the previous one.
public struct LayerBuilder: Sendable {
    public var configuration: BuildConfiguration
    public var logger: Logger

    public init(configuration: BuildConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    var runner: ProcessRunner { ProcessRunner(environment: configuration.environment) }

    public func build() async throws -> BuildReport {
        let templates =
            try configuration.templatesDirectory.map { try TemplateSet.load(from: $0) } ?? TemplateSet.embedded
        let script = try await preflight(templates)
        let (pil, libraries) = try await fetchSources()
        let compiler = PilCompiler(configuration: configuration, runner: runner, logger: logger)
        let build = try await compiler.compile(
            source: pil, script: script, helper: templates.files[TemplateSet.helperSource])

        // Stage next to the output, so the final rename stays on one file system.
        let output = configuration.outputDirectory
        let parent = output.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        let staging = parent.appendingPathComponent(".\(output.lastPathComponent).staging-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: staging) }
        let stager = LayerStager(
            runner: runner, target: configuration.target, full: configuration.full, logger: logger)
        try await stager.stage(build: build, libraries: libraries, templates: templates, into: staging)
        let verification = try await verify(staging, output: output)
        try swapIn(staging, for: output)
        return BuildReport(layer: output, buildKey: build.key, reusedBuild: build.reused, verification: verification)
    }

    /// The checks that need nothing slow, so a missing bootstrap, engine or LLVM tool fails at once: the build
    /// script of the templates.
    func preflight(_ templates: TemplateSet) async throws -> [UInt8] {
        let script = try templates.require(TemplateSet.buildScript)
        _ = try templates.require(TemplateSet.bootstrap)
        if configuration.engine != .none, runner.locate(configuration.engine.rawValue) == nil {
            throw BuildError.engineNotFound(configuration.engine.rawValue)
        }
        if configuration.engine == .none, configuration.architecture != configuration.hostArchitecture {
            throw BuildError.hostArchitectureMismatch(
                requested: configuration.architecture.rawValue, host: configuration.hostArchitecture.rawValue)
        }
        if configuration.engine == .none {
            // Before any download: a clang newer than the LLVM tools would otherwise fail a minute into make.
            let toolchain = HostToolchain(
                runner: runner, logger: logger, script: script,
                scratch: configuration.cacheDirectory.appendingPathComponent(PilCompiler.buildsFolder))
            try await toolchain.check(install: configuration.installDependencies)
        }
        return script
    }

    /// pil21 and the libraries, fetched (or taken from the cache) against the lock file, which is updated unless
    /// `--locked`; every tarball is listed once so a corrupt one fails before the compile.
    func fetchSources() async throws -> (pil: FetchedSource, libraries: [LayerStager.Library]) {
        let lockURL = configuration.projectDirectory.appendingPathComponent(Lockfile.fileName)
        var lock = try Lockfile.load(from: lockURL)
        let lockBefore = lock
        let fetcher = SourceFetcher(
            cacheDirectory: configuration.cacheDirectory, lockMode: configuration.lockMode, logger: logger,
            retryDelays: configuration.retryDelays, connectTimeout: configuration.connectTimeout,
            readTimeout: configuration.readTimeout)
        let base = configuration.projectDirectory
        let pil = try await fetcher.fetch(
            name: "pil21", location: try SourceLocation.parse(configuration.pilSource, relativeTo: base),
            origin: configuration.pilSource, lock: &lock, lockPath: lockURL.path)
        var libraries: [LayerStager.Library] = []
        for (name, source) in [("json", configuration.jsonSource), ("awscurl", configuration.awscurlSource)] {
            guard let source else { continue }
            let fetched = try await fetcher.fetch(
                name: name, location: try SourceLocation.parse(source, relativeTo: base), origin: source,
                lock: &lock, lockPath: lockURL.path)
            libraries.append(LayerStager.Library(name: name, source: fetched))
        }
        for source in [pil] + libraries.map(\.source) where !source.isDirectory {
            try await checkArchive(source)
        }
        if lock != lockBefore, configuration.lockMode != .locked {
            try lock.write(to: lockURL)
            logger.info("lock: wrote \(lockURL.path)")
        }
        return (pil, libraries)
    }

    /// Verifies the staged layer; a rejected one is kept beside the output as `NAME.rejected` for a look.
    func verify(_ staging: URL, output: URL) async throws -> VerifyReport {
        let verifier = LayerVerifier(
            target: configuration.target, architecture: configuration.architecture,
            liveCheck: configuration.liveCheck)
        let verification = try await verifier.verify(directory: staging)
        guard verification.passed else {
            let rejected = output.deletingLastPathComponent().appendingPathComponent(
                "\(output.lastPathComponent).rejected")
            try? FileManager.default.removeItem(at: rejected)
            try FileManager.default.moveItem(at: staging, to: rejected)
            throw BuildError.layerRejected(path: rejected.path, errors: verification.errors.map(\.description))
        }
        return verification
    }

    /// Swaps the new layer in; the old one is removed only once the new one is in place.
    func swapIn(_ staging: URL, for output: URL) throws {
        let fileManager = FileManager.default
        let old = output.deletingLastPathComponent().appendingPathComponent(
            ".\(output.lastPathComponent).old-\(UUID().uuidString)")
        if fileManager.fileExists(atPath: output.path) {
            try fileManager.moveItem(at: output, to: old)
        }
        try fileManager.moveItem(at: staging, to: output)
        try? fileManager.removeItem(at: old)
        logger.info("layer: staged \(output.path)")
    }

    /// Lists a tarball with tar, so a corrupt download fails with a clear message before any compile.
    func checkArchive(_ source: FetchedSource) async throws {
        let result = try await runner.run("tar", ["-tzf", source.url.path])
        guard result.succeeded else {
            let reason = result.standardErrorText.split(separator: "\n").first.map(String.init) ?? "tar failed"
            throw BuildError.corruptArchive(source: source.origin, reason: reason)
        }
    }
}
