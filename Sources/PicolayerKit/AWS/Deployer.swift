import FoundationEssentials
import Logging

/// Deploys a function's code and configuration: zip, compare CodeSha256, create or update the code, wait, update
/// the configuration, wait, publish a version. Side effects come in through `credentials`, `transport`, `timing`.
public struct Deployer: Sendable {
    public var configuration: DeployConfiguration
    public var credentials: CredentialSource
    /// For the endpoint overrides (`AWS_ENDPOINT_URL_LAMBDA`, `AWS_ENDPOINT_URL`).
    public var environment: [String: String]
    public var transport: HTTPTransport
    public var timing: AWSTiming
    /// Progress and warnings at info and warning level; every request attempt at debug (`--verbose`).
    public var logger: Logger
    /// Where a folder is zipped (in a fresh subfolder removed afterwards).
    public var scratchDirectory: URL

    public init(
        configuration: DeployConfiguration, credentials: CredentialSource, environment: [String: String] = [:],
        transport: HTTPTransport, timing: AWSTiming = .live, logger: Logger = .silent,
        scratchDirectory: URL = FileManager.default.temporaryDirectory
    ) {
        self.configuration = configuration
        self.credentials = credentials
        self.environment = environment
        self.transport = transport
        self.timing = timing
        self.logger = logger
        self.scratchDirectory = scratchDirectory
    }

    public func run() async throws -> DeployReport {
        try configuration.validate()
        return try await withCodeZip { code in
            var report = try await deploy(zip: code.zip)
            if report.dryRun {
                log("would ship \(code.entryNames.count) entries:")
                for name in code.entryNames { log(name) }
                report.files = code.entryNames
            }
            return report
        }
    }

    func lambdaClient() throws -> LambdaClient {
        let context = AWSServiceContext(
            credentials: credentials, environment: environment, endpointFlag: configuration.endpointURL,
            transport: transport, timing: timing, logger: logger)
        return LambdaClient(client: try context.client(for: .lambda, region: configuration.region))
    }

    /// Plans (layers to attach, what would change), uploads the code, then attaches the configuration.
    func deploy(zip: UploadZip) async throws -> DeployReport {
        let lambda = try lambdaClient()
        guard let existing = try await lambda.getFunction(functionName: configuration.functionName) else {
            return try await create(lambda: lambda, zip: zip)
        }
        let attach = try await layersToAttach(lambda: lambda, architecture: architecture(of: existing))
        warnAboutRuntime(of: existing)
        let uploads = codeDiffers(existing, zip: zip)
        // Planned now so that too many layers stop the deploy before the code is uploaded.
        let planned = try plannedUpdate(current: existing, attach: attach)
        if configuration.dryRun {
            return describeDryRun(existing: existing, zip: zip, uploads: uploads, planned: planned)
        }
        let (uploaded, action) = try await uploadCode(zip, to: existing, uploads: uploads, lambda: lambda)
        let (function, changed) = try await attachConfiguration(to: uploaded, attach: attach, lambda: lambda)
        return try await publishingVersion(
            report(function: function, zip: zip, action: action, changed: changed), lambda: lambda)
    }

    func warnAboutRuntime(of function: LambdaClient.FunctionInfo) {
        guard let runtime = function.runtime, !runtime.hasPrefix("provided") else { return }
        let needed = "PicoLisp needs an OS-only runtime (\(DeployConfiguration.runtime))"
        logger.warning(
            "\(configuration.functionName) runs on \(runtime); \(needed). deploy does not change a function's runtime.")
    }

    var requestedArchitectures: [String] { configuration.architecture.map { [$0] } ?? [] }

    /// Whether UpdateFunctionCode is needed: another CodeSha256, or another architecture asked for.
    func codeDiffers(_ function: LambdaClient.FunctionInfo, zip: UploadZip) -> Bool {
        let architectures = requestedArchitectures
        return function.codeSha256 != zip.sha256Base64
            || (!architectures.isEmpty && function.architectures != architectures)
    }

    func describeDryRun(
        existing: LambdaClient.FunctionInfo, zip: UploadZip, uploads: Bool, planned: LambdaClient.ConfigurationUpdate
    ) -> DeployReport {
        let changed = Self.changedFields(planned)
        log(
            "dry run, nothing sent: \(uploads ? "UpdateFunctionCode, " : "")"
                + (changed.isEmpty ? "" : "UpdateFunctionConfiguration (\(changed.joined(separator: ", "))), ")
                + (configuration.publishVersion ? "PublishVersion, " : "") + "GetFunction until ready")
        let after = Self.applying(planned, architectures: requestedArchitectures, to: existing)
        return report(function: after, zip: zip, action: uploads ? .updated : .unchanged, changed: changed)
    }

    /// The function as it would be after the deploy: `update`'s fields and the requested architectures (when
    /// any) in place of the current ones.
    static func applying(
        _ update: LambdaClient.ConfigurationUpdate, architectures: [String], to function: LambdaClient.FunctionInfo
    ) -> LambdaClient.FunctionInfo {
        var planned = function
        if let handler = update.handler { planned.handler = handler }
        if let memory = update.memorySize { planned.memorySize = memory }
        if let timeout = update.timeout { planned.timeout = timeout }
        if let environment = update.environment { planned.environment = environment }
        if let layers = update.layers { planned.layers = layers }
        if !architectures.isEmpty { planned.architectures = architectures }
        return planned
    }

    /// UpdateFunctionCode when `uploads`, then waits until the function is ready.
    func uploadCode(
        _ zip: UploadZip, to existing: LambdaClient.FunctionInfo, uploads: Bool, lambda: LambdaClient
    ) async throws -> (LambdaClient.FunctionInfo, DeployReport.CodeAction) {
        let name = configuration.functionName
        var function = existing
        let action: DeployReport.CodeAction
        if uploads {
            let label = "updating the code of \(name) (\(zip.size) bytes)"
            log(label)
            let architectures = requestedArchitectures
            let progress = UploadProgress(logger: logger, label: label, now: timing.now)
            function = try await retryingConflicts("UpdateFunctionCode", lambda: lambda) {
                try await lambda.updateFunctionCode(
                    functionName: name, zipPath: zip.path, zipSize: zip.size, architectures: architectures,
                    progress: progress.report)
            }
            progress.finished()
            action = .updated
        } else {
            log("code unchanged (CodeSha256 \(zip.sha256Base64)); not uploading it again")
            action = .unchanged
        }
        return (try await waitUntilReady(lambda: lambda, after: function), action)
    }

    /// UpdateFunctionConfiguration with what differs (layers included), then waits until the function is ready.
    func attachConfiguration(
        to uploaded: LambdaClient.FunctionInfo, attach: [String], lambda: LambdaClient
    ) async throws -> (LambdaClient.FunctionInfo, [String]) {
        let name = configuration.functionName
        let update = try plannedUpdate(current: uploaded, attach: attach)
        let changed = Self.changedFields(update)
        if update.isEmpty {
            log("configuration unchanged")
            return (uploaded, changed)
        }
        log("updating the configuration of \(name): \(changed.joined(separator: ", "))")
        let function = try await retryingConflicts("UpdateFunctionConfiguration", lambda: lambda) {
            try await lambda.updateFunctionConfiguration(functionName: name, update)
        }
        return (try await waitUntilReady(lambda: lambda, after: function), changed)
    }

    /// CreateFunction (with every setting at once), then wait until the function is active.
    func create(lambda: LambdaClient, zip: UploadZip) async throws -> DeployReport {
        let config = configuration
        let name = config.functionName
        guard config.create, let role = config.role else {
            throw DeployError.functionNotFound(name: name, region: config.region)
        }
        let attach = try await layersToAttach(lambda: lambda, architecture: architecture(of: nil))
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
        let label = "creating function \(name) (\(DeployConfiguration.runtime), \(zip.size) bytes)"
        log(label)
        let progress = UploadProgress(logger: logger, label: label, now: timing.now)
        var function = try await lambda.createFunction(input, progress: progress.report)
        progress.finished()
        function = try await waitUntilReady(lambda: lambda, after: function)
        return try await publishingVersion(
            report(function: function, zip: zip, action: .created, changed: []), lambda: lambda)
    }

    func report(
        function: LambdaClient.FunctionInfo, zip: UploadZip, action: DeployReport.CodeAction, changed: [String]
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
        if var environment = config.environment {
            if config.mergeEnvironment { environment = current.environment.merging(environment) { _, ours in ours } }
            if environment != current.environment { update.environment = environment }
        }
        var layers = current.layers
        for arn in attach {
            layers = LambdaClient.replacingLayer(in: layers, layerArn: LambdaClient.layerArn(of: arn), with: arn)
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

extension Deployer {
    /// One progress line, at info level.
    func log(_ line: String) { logger.info("\(line)") }
}
