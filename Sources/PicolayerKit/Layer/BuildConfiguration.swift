import FoundationEssentials

/// Where pil21 is compiled: in a container (docker or podman) or on this machine (none).
public enum Engine: String, Sendable, CaseIterable {
    case docker
    case podman
    case none

    /// The first of docker and podman that is on PATH and answers `ENGINE info`: a docker client whose daemon is
    /// not running (or not reachable) does not count, so podman is tried next. Throws `noEngineAvailable`, naming
    /// any engine that was found but did not answer, when neither can build.
    public static func detect(environment: [String: String]) async throws -> Engine {
        let runner = ProcessRunner(environment: environment)
        var unusable: [String] = []
        for engine in [Engine.docker, .podman] where runner.locate(engine.rawValue) != nil {
            let answer = try? await runner.run(engine.rawValue, ["info"])
            if answer?.succeeded == true { return engine }
            let reason = answer.map { $0.standardErrorText.split(separator: "\n").first.map(String.init) ?? "" } ?? ""
            unusable.append(
                "\(engine.rawValue) (`\(engine.rawValue) info` failed\(reason.isEmpty ? "" : ": \(reason)"))")
        }
        throw BuildError.noEngineAvailable(unusable: unusable)
    }
}

/// Everything `picolayer build` needs, built once by the CLI from flags and the environment.
public struct BuildConfiguration: Sendable {
    public static let defaultPilSource = "https://software-lab.de/pil21.tgz"
    public static let defaultJSONSource = "https://github.com/aw/picolisp-json/archive/refs/tags/v4.1.0.tar.gz"
    public static let defaultAWSCurlSource =
        "https://github.com/aw/picolisp-awscurl/archive/refs/tags/v1.0.0.tar.gz"
    public static let defaultImage = "public.ecr.aws/amazonlinux/amazonlinux:2023"

    /// The folder holding `picolayer.lock`; relative sources are resolved against it.
    public var projectDirectory: URL
    /// Where the staged layer goes (`build/layer`).
    public var outputDirectory: URL
    public var pilSource: String
    /// nil leaves the library out of the layer (`--without json`).
    public var jsonSource: String?
    public var awscurlSource: String?
    public var engine: Engine
    public var image: String
    public var architecture: Architecture
    /// The architecture of this machine; `--engine none` can only build for it.
    public var hostArchitecture: Architecture = .host
    public var target: LambdaTarget
    /// Arguments put between the engine's name and `run`, e.g. `--runtime /usr/sbin/runc` for podman.
    public var engineArguments: [String]
    /// nil uses the templates built into picolayer.
    public var templatesDirectory: URL?
    /// Keep docs, tests, sources and images of pil21 in the layer.
    public var full: Bool
    /// `--engine none` only: install a fitting clang, llvm and the headers with the system's package manager
    /// (as root, or through sudo) when they are missing. Off: nothing is installed.
    public var installDependencies: Bool
    public var lockMode: LockMode
    /// `$XDG_CACHE_HOME/picolayer` or `~/.cache/picolayer`.
    public var cacheDirectory: URL
    /// The environment of the child processes (PATH, CONTAINERS_CONF, DOCKER_HOST...).
    public var environment: [String: String]
    /// `uid:gid` the container chowns its output to (docker runs as root); nil leaves ownership alone.
    public var owner: String?
    public var retryDelays: [Duration]
    public var connectTimeout: Duration
    /// How long a download server may stay silent before the attempt fails.
    public var readTimeout: Duration
    /// Runs the built layer on an event (the emulator); nil skips that check.
    public var liveCheck: LayerVerifier.LiveCheck?

    public init(
        projectDirectory: URL,
        outputDirectory: URL? = nil,
        pilSource: String = BuildConfiguration.defaultPilSource,
        jsonSource: String? = BuildConfiguration.defaultJSONSource,
        awscurlSource: String? = BuildConfiguration.defaultAWSCurlSource,
        engine: Engine,
        image: String = BuildConfiguration.defaultImage,
        architecture: Architecture = .host,
        target: LambdaTarget = .al2023,
        engineArguments: [String] = [],
        templatesDirectory: URL? = nil,
        full: Bool = false,
        installDependencies: Bool = false,
        lockMode: LockMode = .record,
        cacheDirectory: URL,
        environment: [String: String],
        owner: String? = nil,
        retryDelays: [Duration] = [.seconds(1), .seconds(3)],
        connectTimeout: Duration = .seconds(10),
        readTimeout: Duration = .seconds(30),
        liveCheck: LayerVerifier.LiveCheck? = nil
    ) {
        self.projectDirectory = projectDirectory
        self.outputDirectory =
            outputDirectory ?? projectDirectory.appendingPathComponent("build").appendingPathComponent("layer")
        self.pilSource = pilSource
        self.jsonSource = jsonSource
        self.awscurlSource = awscurlSource
        self.engine = engine
        self.image = image
        self.architecture = architecture
        self.target = target
        self.engineArguments = engineArguments
        self.templatesDirectory = templatesDirectory
        self.full = full
        self.installDependencies = installDependencies
        self.lockMode = lockMode
        self.cacheDirectory = cacheDirectory
        self.environment = environment
        self.owner = owner
        self.retryDelays = retryDelays
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout
        self.liveCheck = liveCheck
    }

    /// `$XDG_CACHE_HOME/picolayer`, else `$HOME/.cache/picolayer`, else a folder under the temporary directory.
    public static func defaultCacheDirectory(environment: [String: String]) -> URL {
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") {
            return URL(fileURLWithPath: xdg).appendingPathComponent("picolayer")
        }
        if let home = environment["HOME"], !home.isEmpty {
            return URL(fileURLWithPath: home).appendingPathComponent(".cache").appendingPathComponent("picolayer")
        }
        return FileManager.default.temporaryDirectory.appendingPathComponent("picolayer-cache")
    }
}
