import FoundationEssentials

/// Everything `picolayer deploy` was asked to do, as plain values (the CLI builds it; tests build it too).
public struct DeployConfiguration: Sendable {
    public var functionName: String
    /// A function folder (zipped with `ZipWriter`) or a zip file.
    public var codePath: String
    public var region: String
    /// `file.function`; when creating and `nil`, `main.handler`.
    public var handler: String?
    /// Layer version ARNs to attach: any version of the same layer already attached is replaced in place.
    public var layers: [String]
    /// Attach the newest version of `layerName` in the region.
    public var withPublishedLayer: Bool
    public var layerName: String
    /// Create the function when it does not exist (needs `role`).
    public var create: Bool
    /// The execution role, for `create`.
    public var role: String?
    public var memorySize: Int?
    public var timeout: Int?
    /// `x86_64` or `arm64`; `nil` keeps the function's (Lambda's default `x86_64` when creating).
    public var architecture: String?
    /// The function's variables, replacing the whole map; `nil` keeps the variables the function has.
    public var environment: [String: String]?
    public var publishVersion: Bool
    /// Read the function and report what would change, without changing anything.
    public var dryRun: Bool
    public var endpointURL: String?
    /// Largest zip sent inline (Lambda's limit for direct upload).
    public var inlineLimit: Int64
    /// The longest total time spent waiting for one update to finish.
    public var waitLimit: Duration
    /// The first pause between two GetFunction polls; it doubles up to `maxPoll`.
    public var firstPoll: Duration
    public var maxPoll: Duration
    /// How often an operation answered with ResourceConflictException (an update in progress) is tried again.
    public var conflictRetries: Int

    public static let runtime = "provided.al2023"
    public static let defaultHandler = "main.handler"
    public static let defaultLayerName = "picolisp"
    public static let memoryRange = 128...10240
    public static let timeoutRange = 1...900
    public static let maxLayers = 5

    public init(
        functionName: String, codePath: String, region: String, handler: String? = nil, layers: [String] = [],
        withPublishedLayer: Bool = false, layerName: String = DeployConfiguration.defaultLayerName,
        create: Bool = false, role: String? = nil, memorySize: Int? = nil, timeout: Int? = nil,
        architecture: String? = nil, environment: [String: String]? = nil, publishVersion: Bool = false,
        dryRun: Bool = false, endpointURL: String? = nil,
        inlineLimit: Int64 = Int64(LambdaLimits.directUploadZippedBytes),
        waitLimit: Duration = .seconds(300), firstPoll: Duration = .seconds(1), maxPoll: Duration = .seconds(5),
        conflictRetries: Int = 5
    ) {
        self.functionName = functionName
        self.codePath = codePath
        self.region = region
        self.handler = handler
        self.layers = layers
        self.withPublishedLayer = withPublishedLayer
        self.layerName = layerName
        self.create = create
        self.role = role
        self.memorySize = memorySize
        self.timeout = timeout
        self.architecture = architecture
        self.environment = environment
        self.publishVersion = publishVersion
        self.dryRun = dryRun
        self.endpointURL = endpointURL
        self.inlineLimit = inlineLimit
        self.waitLimit = waitLimit
        self.firstPoll = firstPoll
        self.maxPoll = maxPoll
        self.conflictRetries = conflictRetries
    }

    /// Checks what can be checked without the file system or the network.
    public func validate() throws(DeployError) {
        if functionName.isEmpty || functionName.count > 140 || functionName.contains(where: \.isWhitespace) {
            throw .invalidFunctionName(functionName)
        }
        if create && (role ?? "").isEmpty { throw .roleRequired(functionName) }
        if let handler, handler.isEmpty || handler.count > 128 || handler.contains(where: \.isWhitespace) {
            throw .invalidHandler(handler)
        }
        if let memorySize, !Self.memoryRange.contains(memorySize) { throw .invalidMemory(memorySize) }
        if let timeout, !Self.timeoutRange.contains(timeout) { throw .invalidTimeout(timeout) }
        if let architecture, !["x86_64", "arm64"].contains(architecture) {
            throw .invalidArchitecture(architecture)
        }
        for name in (environment ?? [:]).keys.sorted() where !Self.isValidVariableName(name) {
            throw .invalidVariableName(name)
        }
        if withPublishedLayer && !layers.isEmpty { throw .conflictingLayerOptions }
        if withPublishedLayer && !PublishConfiguration.isValidLayerName(layerName) {
            throw .invalidLayerName(layerName)
        }
        for arn in layers where !Self.isLayerVersionArn(arn) { throw .invalidLayerArn(arn) }
        if layers.count > Self.maxLayers { throw .tooManyLayers(layers) }
    }

    /// Lambda's rule for variable names: `[a-zA-Z]([a-zA-Z0-9_])+`.
    static func isValidVariableName(_ name: String) -> Bool {
        guard name.count >= 2, let first = name.first, first.isASCII, first.isLetter else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }

    /// `arn:<partition>:lambda:<region>:<account>:layer:<name>:<version>`.
    static func isLayerVersionArn(_ arn: String) -> Bool {
        let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
        return parts.count == 8 && parts[0] == "arn" && parts[2] == "lambda" && parts[5] == "layer"
            && !parts[6].isEmpty && !parts[7].isEmpty && parts[7].allSatisfy(\.isNumber)
    }
}

/// Why a deploy stopped. Each message names the value involved and what to do next.
public enum DeployError: Error, LocalizedError, Equatable {
    case invalidFunctionName(String)
    case roleRequired(String)
    case invalidHandler(String)
    case invalidMemory(Int)
    case invalidTimeout(Int)
    case invalidArchitecture(String)
    case invalidVariableName(String)
    case conflictingLayerOptions
    case invalidLayerName(String)
    case invalidLayerArn(String)
    case tooManyLayers([String])
    case codeNotFound(String)
    case notAZip(path: String, reason: String)
    case codeTooLarge(path: String, size: Int64, limit: Int64)
    case functionNotFound(name: String, region: String)
    case layerNotPublished(name: String, region: String)
    /// The function's `State` became `Failed` (e.g. after CreateFunction).
    case functionFailed(name: String, reason: String)
    /// `LastUpdateStatus` became `Failed`.
    case updateFailed(name: String, reason: String)
    case waitTimedOut(name: String, state: String, lastUpdateStatus: String, seconds: Int)
    case conflictPersisted(name: String, operation: String, attempts: Int)

    public var errorDescription: String? {
        switch self {
        case .invalidFunctionName(let name):
            return "function name '\(name)' is invalid: use 1-140 characters without spaces (a name or an ARN)."
        case .roleRequired(let name):
            return "creating function \(name) needs its execution role. Pass --role arn:aws:iam::ACCOUNT:role/NAME."
        case .invalidHandler(let handler):
            return "handler '\(handler)' is invalid: use 1-128 characters without spaces, e.g. main.handler "
                + "(file main.l, function handler)."
        case .invalidMemory(let value):
            return "memory \(value) MB is out of range. Use --memory from 128 to 10240."
        case .invalidTimeout(let value):
            return "timeout \(value) s is out of range. Use --timeout from 1 to 900."
        case .invalidArchitecture(let value):
            return "architecture '\(value)' is not one Lambda knows. Use --arch x86_64 or --arch arm64."
        case .invalidVariableName(let name):
            return "environment variable name '\(name)' is invalid: Lambda wants [a-zA-Z][a-zA-Z0-9_]+. Rename it."
        case .conflictingLayerOptions:
            return "--layer and --with-published-layer exclude each other. Pass one of them."
        case .invalidLayerName(let name):
            return "layer name '\(name)' is invalid: use 1-140 of [a-zA-Z0-9-_] or a layer ARN."
        case .invalidLayerArn(let arn):
            return "'\(arn)' is not a layer version ARN (arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION). "
                + "Pass the ARN `picolayer publish` printed."
        case .tooManyLayers(let layers):
            return "a function can use at most \(DeployConfiguration.maxLayers) layers; this deploy would give it "
                + "\(layers.count): \(layers.joined(separator: ", ")). Drop some."
        case .codeNotFound(let path):
            return "\(path) does not exist. Pass --code with the function's folder or zip."
        case .notAZip(let path, let reason):
            return "\(path) is not a zip file (\(reason)). Pass the function's folder, or a zip made by "
                + "`picolayer package`."
        case .codeTooLarge(let path, let size, let limit):
            return "\(path) is \(PublishError.megabytes(size)) zipped; Lambda accepts at most "
                + "\(PublishError.megabytes(limit)) inline. Move large dependencies into a layer."
        case .functionNotFound(let name, let region):
            return "function \(name) does not exist in \(region). Pass --create --role ROLE_ARN to create it, "
                + "or check the name and --region."
        case .layerNotPublished(let name, let region):
            return "layer \(name) has no version in \(region). Publish it first "
                + "(picolayer publish --layer-name \(name) --region \(region)) or pass --layer ARN."
        case .functionFailed(let name, let reason):
            return "function \(name) is in state Failed: \(reason). Fix the cause and deploy again."
        case .updateFailed(let name, let reason):
            return "the update of function \(name) failed: \(reason). Fix the cause and deploy again."
        case .waitTimedOut(let name, let state, let status, let seconds):
            return "function \(name) was still not ready after \(seconds) s (State \(state), LastUpdateStatus "
                + "\(status)). Check it in the Lambda console, then deploy again."
        case .conflictPersisted(let name, let operation, let attempts):
            return "\(operation) of \(name) met an update in progress \(attempts) times "
                + "(ResourceConflictException). Wait for the other update to finish, then deploy again."
        }
    }
}

/// What a deploy did.
public struct DeployReport: Sendable, Codable, Equatable {
    public enum CodeAction: String, Sendable, Codable {
        case created
        case updated
        /// The function already had this CodeSha256: nothing was uploaded.
        case unchanged
    }

    public var functionName: String
    public var functionArn: String
    public var region: String
    public var code: CodeAction
    /// Base64 SHA-256 of the zip, as Lambda reports `CodeSha256`.
    public var codeSha256: String
    public var zipBytes: Int64
    /// The configuration fields UpdateFunctionConfiguration changed (`Handler`, `Layers`, ...), none when unchanged.
    public var configurationChanged: [String]
    public var runtime: String?
    public var handler: String?
    public var memorySize: Int?
    public var timeout: Int?
    public var architectures: [String]
    public var layers: [String]
    public var environmentNames: [String]
    public var state: String?
    public var lastUpdateStatus: String?
    /// The version PublishVersion answered, with `--publish-version`.
    public var publishedVersion: String?
    public var publishedVersionArn: String?
    /// `--dry-run`: `code` and `configurationChanged` say what would be done; nothing was.
    public var dryRun = false

    /// One `name  value` line per fact.
    public func table() -> String {
        var rows: [(String, String)] = dryRun ? [("dry run", "nothing was changed; what a deploy would do:")] : []
        rows += [
            ("function", functionName), ("arn", functionArn), ("region", region), ("code", code.rawValue),
            ("codeSha256", codeSha256), ("zip bytes", String(zipBytes)),
            (
                "configuration",
                configurationChanged.isEmpty ? "unchanged" : configurationChanged.joined(separator: ", ")
            ),
            ("runtime", runtime ?? "-"), ("handler", handler ?? "-"), ("memory", memorySize.map { "\($0) MB" } ?? "-"),
            ("timeout", timeout.map { "\($0) s" } ?? "-"), ("architecture", architectures.joined(separator: ", ")),
            ("layers", layers.isEmpty ? "-" : layers.joined(separator: "\n" + String(repeating: " ", count: 14))),
            ("environment", environmentNames.isEmpty ? "-" : environmentNames.joined(separator: ", ")),
            ("state", "\(state ?? "-") / \(lastUpdateStatus ?? "-")"),
            ("version", publishedVersionArn ?? "-"),
        ]
        return rows.map { $0.0.rightPadded(14) + $0.1 }.joined(separator: "\n")
    }

    /// The report as one JSON object, keys sorted.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}

/// Deploys a function's code and configuration: zip, compare CodeSha256, create or update the code, wait, update
/// the configuration, wait, publish a version. Side effects come in through `credentials`, `transport`, `timing`.
public struct Deployer: Sendable {
    public var configuration: DeployConfiguration
    public var credentials: CredentialSource
    /// For the endpoint overrides (`AWS_ENDPOINT_URL_LAMBDA`, `AWS_ENDPOINT_URL`).
    public var environment: [String: String]
    public var transport: HTTPTransport
    public var timing: AWSTiming
    /// Receives progress lines and warnings.
    public var log: @Sendable (String) -> Void
    /// Receives every request attempt (`--verbose`).
    public var trace: (@Sendable (String) -> Void)?
    /// Where a folder is zipped (in a fresh subfolder removed afterwards).
    public var scratchDirectory: URL

    public init(
        configuration: DeployConfiguration, credentials: CredentialSource, environment: [String: String] = [:],
        transport: HTTPTransport, timing: AWSTiming = .live, log: @escaping @Sendable (String) -> Void = { _ in },
        trace: (@Sendable (String) -> Void)? = nil,
        scratchDirectory: URL = FileManager.default.temporaryDirectory
    ) {
        self.configuration = configuration
        self.credentials = credentials
        self.environment = environment
        self.transport = transport
        self.timing = timing
        self.log = log
        self.trace = trace
        self.scratchDirectory = scratchDirectory
    }

    public func run() async throws -> DeployReport {
        try configuration.validate()
        return try await withCodeZip { zip in try await deploy(zip: zip) }
    }

    /// Runs `body` with the zip to upload: the given zip, or the folder zipped into a temporary folder that is
    /// removed afterwards.
    func withCodeZip<T>(_ body: (LayerZip) async throws -> T) async throws -> T {
        let path = configuration.codePath
        var isDirectory = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DeployError.codeNotFound(path)
        }
        guard isDirectory else {
            do {
                _ = try ZipReader(contentsOf: URL(fileURLWithPath: path))
            } catch {
                throw DeployError.notAZip(path: path, reason: Self.zipReason(error))
            }
            return try await body(try checkedSize(LayerZip(path: path), shownAs: path))
        }
        checkHandlerFile(in: path)
        let folder = scratchDirectory.appendingPathComponent("picolayer-deploy-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("function.zip")
        let report = try await ZipWriter().write(directory: URL(fileURLWithPath: path), to: output)
        // The inline limit is checked below with deploy's own message; the writer's says to use publish.
        let inline = ZipReport.limitWarnings(zipped: report.zippedSize, unzipped: 0)
        for warning in report.warnings where !inline.contains(warning) { log("warning: \(warning)") }
        log("zipped \(path): \(report.entries) entries, \(report.zippedSize) bytes")
        return try await body(try checkedSize(LayerZip(path: output.path), shownAs: path))
    }

    func checkedSize(_ zip: LayerZip, shownAs path: String) throws -> LayerZip {
        guard zip.size <= configuration.inlineLimit else {
            throw DeployError.codeTooLarge(path: path, size: zip.size, limit: configuration.inlineLimit)
        }
        return zip
    }

    /// The reason from a `ZipError.notAZip` without its advice to run `picolayer package`.
    static func zipReason(_ error: Error) -> String {
        if case ZipError.notAZip(_, let reason) = error { return reason }
        return ErrorText.describe(error)
    }

    /// Warns when the handler's file (`path/file.function` names `path/file.l`) is not in the folder.
    func checkHandlerFile(in folder: String) {
        guard let handler = configuration.handler ?? (configuration.create ? DeployConfiguration.defaultHandler : nil),
            let dot = handler.lastIndex(of: ".")
        else { return }
        let file = String(handler[..<dot]) + ".l"
        if !FileManager.default.fileExists(atPath: PathText.join(folder, file)) {
            log("warning: handler \(handler) names \(file), which is not in \(folder)")
        }
    }

    func lambdaClient() throws -> LambdaClient {
        let region = configuration.region
        let endpoint = try EndpointResolver.endpoint(
            for: .lambda, region: region, flag: configuration.endpointURL, environment: environment)
        return LambdaClient(
            client: AWSClient(
                service: .lambda, region: region, endpoint: endpoint, credentials: credentials, transport: transport,
                timing: timing, trace: trace))
    }

    func deploy(zip: LayerZip) async throws -> DeployReport {
        let config = configuration
        let name = config.functionName
        let lambda = try lambdaClient()
        var attach = config.layers
        if config.withPublishedLayer {
            guard let newest = try await lambda.listLayerVersions(layerName: config.layerName).first else {
                throw DeployError.layerNotPublished(name: config.layerName, region: config.region)
            }
            let layer = try await lambda.getLayerVersion(layerName: config.layerName, version: newest)
            log("newest version of layer \(config.layerName): \(layer.layerVersionArn)")
            attach = [layer.layerVersionArn]
        }
        guard let existing = try await lambda.getFunction(functionName: name) else {
            return try await create(lambda: lambda, zip: zip, attach: attach)
        }
        if let runtime = existing.runtime, !runtime.hasPrefix("provided") {
            log(
                "warning: \(name) runs on \(runtime); PicoLisp needs an OS-only runtime (\(DeployConfiguration.runtime)). "
                    + "deploy does not change a function's runtime.")
        }
        let architectures = config.architecture.map { [$0] } ?? []
        let uploads =
            existing.codeSha256 != zip.sha256Base64
            || (!architectures.isEmpty && existing.architectures != architectures)
        // Planned now so that too many layers stop the deploy before the code is uploaded.
        let planned = try plannedUpdate(current: existing, attach: attach)
        if config.dryRun {
            let changed = Self.changedFields(planned)
            log(
                "dry run, nothing sent: \(uploads ? "UpdateFunctionCode, " : "")"
                    + (changed.isEmpty ? "" : "UpdateFunctionConfiguration (\(changed.joined(separator: ", "))), ")
                    + (config.publishVersion ? "PublishVersion, " : "") + "GetFunction until ready")
            return report(function: existing, zip: zip, action: uploads ? .updated : .unchanged, changed: changed)
        }

        var function = existing
        let action: DeployReport.CodeAction
        if uploads {
            log("updating the code of \(name) (\(zip.size) bytes)")
            function = try await retryingConflicts("UpdateFunctionCode", lambda: lambda) {
                try await lambda.updateFunctionCode(
                    functionName: name, zipPath: zip.path, zipSize: zip.size, architectures: architectures)
            }
            action = .updated
        } else {
            log("code unchanged (CodeSha256 \(zip.sha256Base64)); not uploading it again")
            action = .unchanged
        }
        function = try await waitUntilReady(lambda: lambda, after: function)

        let update = try plannedUpdate(current: function, attach: attach)
        let changed = Self.changedFields(update)
        if update.isEmpty {
            log("configuration unchanged")
        } else {
            log("updating the configuration of \(name): \(changed.joined(separator: ", "))")
            function = try await retryingConflicts("UpdateFunctionConfiguration", lambda: lambda) {
                try await lambda.updateFunctionConfiguration(functionName: name, update)
            }
            function = try await waitUntilReady(lambda: lambda, after: function)
        }
        return try await publishingVersion(
            report(function: function, zip: zip, action: action, changed: changed), lambda: lambda)
    }

    /// CreateFunction (with every setting at once), then wait until the function is active.
    func create(lambda: LambdaClient, zip: LayerZip, attach: [String]) async throws -> DeployReport {
        let config = configuration
        let name = config.functionName
        guard config.create, let role = config.role else {
            throw DeployError.functionNotFound(name: name, region: config.region)
        }
        let input = LambdaClient.CreateFunctionInput(
            functionName: name, role: role, runtime: DeployConfiguration.runtime,
            handler: config.handler ?? DeployConfiguration.defaultHandler, zipPath: zip.path, zipSize: zip.size,
            architectures: config.architecture.map { [$0] } ?? [], memorySize: config.memorySize,
            timeout: config.timeout, environment: config.environment, layers: attach)
        if attach.count > DeployConfiguration.maxLayers { throw DeployError.tooManyLayers(attach) }
        if config.dryRun {
            log("dry run, nothing sent: CreateFunction \(name), GetFunction until active")
            var planned = DeployReport(
                functionName: name, functionArn: "-", region: config.region, code: .created,
                codeSha256: zip.sha256Base64, zipBytes: zip.size, configurationChanged: [], runtime: input.runtime,
                handler: input.handler, memorySize: input.memorySize, timeout: input.timeout,
                architectures: input.architectures, layers: attach,
                environmentNames: (input.environment ?? [:]).keys.sorted(), state: nil, lastUpdateStatus: nil,
                publishedVersion: nil, publishedVersionArn: nil)
            planned.dryRun = true
            return planned
        }
        log("creating function \(name) (\(DeployConfiguration.runtime), \(zip.size) bytes)")
        var function = try await lambda.createFunction(input)
        function = try await waitUntilReady(lambda: lambda, after: function)
        return try await publishingVersion(
            report(function: function, zip: zip, action: .created, changed: []), lambda: lambda)
    }

    func report(
        function: LambdaClient.FunctionInfo, zip: LayerZip, action: DeployReport.CodeAction, changed: [String]
    ) -> DeployReport {
        var report = DeployReport(
            functionName: function.functionName, functionArn: function.functionArn, region: configuration.region,
            code: action, codeSha256: zip.sha256Base64, zipBytes: zip.size, configurationChanged: changed,
            runtime: function.runtime, handler: function.handler, memorySize: function.memorySize,
            timeout: function.timeout, architectures: function.architectures, layers: function.layers,
            environmentNames: function.environment.keys.sorted(), state: function.state,
            lastUpdateStatus: function.lastUpdateStatus, publishedVersion: nil, publishedVersionArn: nil)
        report.dryRun = configuration.dryRun
        return report
    }

    /// With `--publish-version`: PublishVersion, guarded by the CodeSha256 just deployed.
    func publishingVersion(_ report: DeployReport, lambda: LambdaClient) async throws -> DeployReport {
        guard configuration.publishVersion else { return report }
        let name = configuration.functionName
        let version = try await retryingConflicts("PublishVersion", lambda: lambda) {
            try await lambda.publishVersion(functionName: name, codeSha256: report.codeSha256)
        }
        log("published version \(version.version ?? "?"): \(version.functionArn)")
        var report = report
        report.publishedVersion = version.version
        report.publishedVersionArn = version.functionArn
        return report
    }

    /// `configurationUpdate`, refused when it would give the function more layers than Lambda allows.
    func plannedUpdate(current: LambdaClient.FunctionInfo, attach: [String]) throws -> LambdaClient.ConfigurationUpdate
    {
        let update = Self.configurationUpdate(current: current, configuration: configuration, attach: attach)
        if let layers = update.layers, layers.count > DeployConfiguration.maxLayers {
            throw DeployError.tooManyLayers(layers)
        }
        return update
    }

    /// The fields that differ between the function and what was asked; layers in `attach` replace any version of
    /// the same layer in place and are appended otherwise, other layers are kept in their order.
    static func configurationUpdate(
        current: LambdaClient.FunctionInfo, configuration config: DeployConfiguration, attach: [String]
    ) -> LambdaClient.ConfigurationUpdate {
        var update = LambdaClient.ConfigurationUpdate()
        if let handler = config.handler, handler != current.handler { update.handler = handler }
        if let memory = config.memorySize, memory != current.memorySize { update.memorySize = memory }
        if let timeout = config.timeout, timeout != current.timeout { update.timeout = timeout }
        if let environment = config.environment, environment != current.environment {
            update.environment = environment
        }
        var layers = current.layers
        for arn in attach {
            let base = arn.lastIndex(of: ":").map { String(arn[..<$0]) } ?? arn
            layers = LambdaClient.replacingLayer(in: layers, layerArn: base, with: arn)
        }
        if layers != current.layers { update.layers = layers }
        return update
    }

    static func changedFields(_ update: LambdaClient.ConfigurationUpdate) -> [String] {
        [
            update.handler.map { _ in "Handler" }, update.memorySize.map { _ in "MemorySize" },
            update.timeout.map { _ in "Timeout" }, update.environment.map { _ in "Environment" },
            update.layers.map { _ in "Layers" },
        ].compactMap { $0 }
    }

    /// Whether Lambda has finished with the function: State `Active` (or `Inactive`, an idle function) and
    /// LastUpdateStatus `Successful` (either absent counts as done; CreateFunction answers have none).
    static func isReady(_ function: LambdaClient.FunctionInfo) -> Bool {
        [nil, "Active", "Inactive"].contains(function.state) && [nil, "Successful"].contains(function.lastUpdateStatus)
    }

    /// Polls GetFunction until the function is ready, starting from what the last call answered (`nil`: poll at
    /// once). Pauses start at `firstPoll` and double up to `maxPoll`; their total never exceeds `waitLimit`.
    func waitUntilReady(lambda: LambdaClient, after known: LambdaClient.FunctionInfo?) async throws
        -> LambdaClient.FunctionInfo
    {
        let config = configuration
        let name = config.functionName
        var observed = known
        var pause = config.firstPoll
        var waited = Duration.zero
        while true {
            let function: LambdaClient.FunctionInfo
            if let observed {
                function = observed
            } else {
                guard let polled = try await lambda.getFunction(functionName: name) else {
                    throw DeployError.functionNotFound(name: name, region: config.region)
                }
                function = polled
            }
            if function.state == "Failed" {
                throw DeployError.functionFailed(name: name, reason: function.stateReason ?? "no StateReason given")
            }
            if function.lastUpdateStatus == "Failed" {
                throw DeployError.updateFailed(
                    name: name, reason: function.lastUpdateStatusReason ?? "no LastUpdateStatusReason given")
            }
            if Self.isReady(function) { return function }
            guard waited + pause <= config.waitLimit else {
                throw DeployError.waitTimedOut(
                    name: name, state: function.state ?? "-", lastUpdateStatus: function.lastUpdateStatus ?? "-",
                    seconds: Int(waited.components.seconds))
            }
            log(
                "waiting for \(name): State \(function.state ?? "-"), LastUpdateStatus \(function.lastUpdateStatus ?? "-")"
            )
            try await timing.sleep(pause)
            waited += pause
            pause = min(pause * 2, config.maxPoll)
            observed = nil
        }
    }

    /// Runs `body`; while it fails with ResourceConflictException (another update in progress), pauses, waits
    /// until the function is ready and tries again, at most `conflictRetries` times.
    func retryingConflicts<T>(
        _ operation: String, lambda: LambdaClient, _ body: () async throws -> T
    ) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await body()
            } catch let error as AWSError where error.serviceCode == "ResourceConflictException" {
                guard attempt <= configuration.conflictRetries else {
                    throw DeployError.conflictPersisted(
                        name: configuration.functionName, operation: operation, attempts: attempt)
                }
                log("\(operation): an update is in progress; waiting before trying again")
                try await timing.sleep(configuration.firstPoll)
                _ = try await waitUntilReady(lambda: lambda, after: nil)
                attempt += 1
            }
        }
    }
}
