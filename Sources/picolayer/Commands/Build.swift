import ArgumentParser
import FoundationEssentials
import Logging
import PicolayerKit
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

extension Engine: ExpressibleByArgument {}
extension Architecture: ExpressibleByArgument {}
extension LambdaTarget: ExpressibleByArgument {}

extension Picolayer {
    struct Build: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fetch and check the sources, compile PicoLisp (pil21) and stage the layer in build/layer.",
            discussion: """
                The engine defaults to docker, else podman, whichever is on PATH and answers `info` (a docker \
                client without its daemon is passed over), else pass --engine none to compile \
                on this machine (add --install-deps to have its package manager install a clang that fits \
                its LLVM). Engine options can also come from PICOLAYER_ENGINE_ARGS (split at spaces), \
                e.g. PICOLAYER_ENGINE_ARGS="--runtime /usr/sbin/runc"; CONTAINERS_CONF and DOCKER_HOST are \
                passed to the engine unchanged.
                """)

        enum Library: String, ExpressibleByArgument, CaseIterable { case json, awscurl }

        @Option(help: "pil21 source: an https URL, a tarball or an unpacked pil21 folder.")
        var pilSource = BuildConfiguration.defaultPilSource
        @Option(help: "picolisp-json tarball (URL or path).")
        var jsonSource = BuildConfiguration.defaultJSONSource
        @Option(help: "picolisp-awscurl tarball (URL or path).")
        var awscurlSource = BuildConfiguration.defaultAWSCurlSource
        @Option(help: "Leave a library out of the layer (json, awscurl); repeatable.")
        var without: [Library] = []
        @Option(
            help: "Where to compile: docker, podman or none (this machine; default: build.engine, else the one found).")
        var engine: Engine?
        @Option(help: "Container image to compile in (default: build.image, else \(BuildConfiguration.defaultImage)).")
        var image: String?
        @Option(help: "Layer architecture: x86_64 or arm64 (default: build.architecture, else this machine's).")
        var arch: Architecture?
        @Option(help: "Lambda base image the layer is for: provided.al2023 or provided.al2 (default: build.target).")
        var target: LambdaTarget?
        @Option(
            name: .customLong("engine-arg"), parsing: .unconditionalSingleValue,
            help:
                "Argument put before `run` in the engine's command line; repeatable (e.g. --engine-arg=--runtime=/usr/sbin/runc)."
        )
        var engineArguments: [String] = []
        @Option(help: "Folder with bootstrap, runtime.l and build-pil21.sh to use instead of the built-in ones.")
        var templates: String?
        @Flag(help: "Keep pil21's docs, tests, sources and images in the layer.")
        var full = false
        @Flag(
            help:
                "With --engine none: install a fitting clang, llvm, make and headers with the system's package manager (as root, or through sudo)."
        )
        var installDeps = false
        @Flag(help: "Refuse any source whose hash is not in picolayer.lock (for CI).")
        var locked = false
        @Flag(help: "Download the sources again and record their hashes in picolayer.lock.")
        var update = false
        @Option(help: "Folder holding picolayer.lock; relative paths are resolved against it.")
        var project = "."
        @Option(help: "Where to stage the layer (default: build.output, else <project>/build/layer).")
        var output: String?
        @Option(help: "Download and build cache (default: $XDG_CACHE_HOME/picolayer or ~/.cache/picolayer).")
        var cacheDir: String?
        @Option(help: "Seconds a download may take to connect.")
        var connectTimeout: Int = 10
        @Option(help: "Seconds a download server may stay silent, before or during the body, before the attempt fails.")
        var readTimeout: Int = 30
        @Flag(help: "Print the result as one JSON object (docs/json.md).")
        var json = false
        @OptionGroup var reporting: ReportingOptions

        func validate() throws {
            if locked && update { throw ValidationError("--locked and --update contradict each other; pass one.") }
            if installDeps && engine != Engine.none {
                throw ValidationError(
                    "--install-deps installs the toolchain on this machine and needs --engine none; "
                        + "a container engine installs it inside its image by itself.")
            }
            guard connectTimeout > 0, readTimeout > 0 else {
                throw ValidationError("--connect-timeout and --read-timeout take a number of seconds above 0.")
            }
        }

        func run() async throws {
            TemporaryPaths.shared.removeOnSignals()
            let logger = reporting.logger
            let environment = ProcessInfo.processInfo.environment
            let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            func path(_ text: String) -> URL {
                text.hasPrefix("/") ? URL(fileURLWithPath: text) : cwd.appendingPathComponent(text).standardizedFileURL
            }
            let settings = ProjectSettings(
                file: try ProjectFile.find(directory: project, environment: environment), environment: environment)
            func setting<T: RawRepresentable<String>>(_ key: ProjectKey, _ type: T.Type) -> T? {
                (settings.string(key, flag: nil, "")?.value).flatMap(T.init(rawValue:))
            }
            let chosen: Engine
            if let engine = engine ?? setting(.buildEngine, Engine.self) {
                chosen = engine
            } else {
                chosen = try await Engine.detect(environment: environment)
            }
            let extraArguments = (environment["PICOLAYER_ENGINE_ARGS"] ?? "").split(separator: " ").map(String.init)
            let configuration = BuildConfiguration(
                projectDirectory: path(project),
                outputDirectory: (output ?? settings.file?.path(.buildOutput)).map(path),
                pilSource: pilSource,
                jsonSource: without.contains(.json) ? nil : jsonSource,
                awscurlSource: without.contains(.awscurl) ? nil : awscurlSource,
                engine: chosen,
                image: image ?? settings.file?.string(.buildImage) ?? BuildConfiguration.defaultImage,
                architecture: arch ?? setting(.buildArchitecture, Architecture.self) ?? .host,
                target: target ?? setting(.buildTarget, LambdaTarget.self) ?? .al2023,
                engineArguments: extraArguments + engineArguments,
                templatesDirectory: templates.map(path),
                full: full,
                installDependencies: installDeps,
                lockMode: locked ? .locked : update ? .update : .record,
                cacheDirectory: cacheDir.map(path)
                    ?? BuildConfiguration.defaultCacheDirectory(environment: environment),
                environment: environment,
                owner: chosen == .docker ? "\(getuid()):\(getgid())" : nil,
                connectTimeout: .seconds(connectTimeout),
                readTimeout: .seconds(readTimeout),
                liveCheck: LayerLiveCheck.reporting(to: logger))
            let report = try await LayerBuilder(configuration: configuration, logger: logger).build()
            if json {
                printResult(try report.json(target: configuration.target, architecture: configuration.architecture))
                return
            }
            printVerification(report.verification)
            printResult("layer ready: \(report.layer.path)")
        }
    }
}

/// Prints findings and the size table the same way for build and verify: they are results, on stdout.
func printVerification(_ report: VerifyReport) {
    for finding in report.findings {
        printResult(finding.description)
    }
    printResult(report.sizes.table)
}
