import FoundationEssentials
import Logging

/// Publishes a layer zip to one or many regions. Each region runs on its own; a failure in one does not stop
/// the others. Side effects come in through `transport` and `timing`.
public struct Publisher: Sendable {
    public var configuration: PublishConfiguration
    /// Asked before each request, so temporary credentials are refreshed during a long multi-region publish.
    public var credentials: CredentialSource
    public var environment: [String: String]
    public var transport: HTTPTransport
    public var timing: AWSTiming
    /// Progress and, with `--dry-run`, the redacted requests at info level; request attempts at debug.
    public var logger: Logger
    /// Reads `CompatibleArchitectures` from the zip when `--arch` is not given.
    public var detectArchitecture: @Sendable (String) throws -> String

    public init(
        configuration: PublishConfiguration, credentials: CredentialSource, environment: [String: String],
        transport: HTTPTransport = .live(), timing: AWSTiming = .live,
        logger: Logger = .silent,
        detectArchitecture: @escaping @Sendable (String) throws -> String = Publisher.architectureFromZip
    ) {
        self.configuration = configuration
        self.credentials = credentials
        self.environment = environment
        self.transport = transport
        self.timing = timing
        self.logger = logger
        self.detectArchitecture = detectArchitecture
    }

    /// `CompatibleArchitectures` from the ELF header of `picoLisp/bin/picolisp` (or `bin/picolisp`) in the zip.
    public static let architectureFromZip: @Sendable (String) throws -> String = { path in
        do throws(LayerArchitecture.Unknown) {
            return try LayerArchitecture.of(zip: path).rawValue
        } catch {
            throw PublishError.architectureUnknown(path: error.path, reason: error.reason)
        }
    }

    /// Checks everything that can be checked without the network, then publishes region by region.
    public func run() async throws -> PublishReport {
        let config = configuration
        guard PublishConfiguration.isValidLayerName(config.layerName) else {
            throw PublishError.invalidLayerName(config.layerName)
        }
        guard !config.regions.isEmpty else { throw PublishError.noRegions }
        guard FileManager.default.fileExists(atPath: config.zipPath) else {
            throw PublishError.zipNotFound(config.zipPath)
        }
        let zip = try UploadZip(path: config.zipPath)
        if zip.size > config.inlineLimit && config.s3Bucket == nil {
            throw PublishError.zipTooLargeForInline(path: zip.path, size: zip.size, limit: config.inlineLimit)
        }
        let architecture = try config.architecture ?? detectArchitecture(zip.path)
        guard Architecture(rawValue: architecture) != nil else { throw PublishError.invalidArchitecture(architecture) }
        let description =
            config.description
            ?? "PicoLisp runtime for AWS Lambda (\(architecture)), published by picolayer \(PicolayerVersion.current)"
        let plan = RegionPlan(zip: zip, architecture: architecture, description: description)

        var results: [RegionResult] = []
        await withTaskGroup(of: RegionResult.self) { group in
            var pending = config.regions[...]
            for _ in 0..<max(1, config.maxConcurrency) {
                guard let region = pending.popFirst() else { break }
                group.addTask { await self.publish(region: region, plan: plan) }
            }
            for await result in group {
                results.append(result)
                if let region = pending.popFirst() {
                    group.addTask { await self.publish(region: region, plan: plan) }
                }
            }
        }
        let order = Dictionary(config.regions.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        results.sort { order[$0.region, default: 0] < order[$1.region, default: 0] }
        return PublishReport(layerName: config.layerName, zip: zip.path, codeSha256: zip.sha256Base64, results: results)
    }

    struct RegionPlan: Sendable {
        var zip: UploadZip
        var architecture: String
        var description: String
    }

    func clients(region: String) throws -> (lambda: LambdaClient, s3: S3Client) {
        let context = AWSServiceContext(
            credentials: credentials, environment: environment, endpointFlag: configuration.endpointURL,
            transport: transport, timing: timing, logger: logger.scoped(region))
        let lambda = try context.client(for: .lambda, region: region)
        let s3 = try context.client(for: .s3, region: region)
        return (LambdaClient(client: lambda), S3Client(client: s3))
    }

    /// Plans the region's request, uploads (unless the newest version holds this zip), then attaches: the
    /// permission and the functions' layers. A failure is kept in the result.
    func publish(region: String, plan: RegionPlan) async -> RegionResult {
        var result = RegionResult(
            region: region, status: .failed, layerVersionArn: nil, version: nil, codeSha256: nil, madePublic: false,
            functionsUpdated: [], error: nil)
        do {
            let (lambda, s3) = try clients(region: region)
            let request = requestPlan(region: region, plan: plan)
            if configuration.dryRun {
                try await describeDryRun(
                    region: region, lambda: lambda, input: request.input, bucket: request.bucket, key: request.key,
                    plan: plan)
                result.status = .planned
                result.codeSha256 = plan.zip.sha256Base64
                return result
            }
            let (layer, status) = try await upload(request, region: region, plan: plan, lambda: lambda, s3: s3)
            result.status = status
            result.layerVersionArn = layer.layerVersionArn
            result.version = layer.version
            result.codeSha256 = layer.codeSha256 ?? plan.zip.sha256Base64
            try await attach(layer, region: region, lambda: lambda, result: &result)
        } catch {
            result.status = .failed
            result.error = ErrorText.describe(error)
        }
        return result
    }

    /// What PublishLayerVersion sends in one region; `bucket` is set when the zip goes through S3.
    struct RequestPlan: Sendable {
        var input: LambdaClient.PublishInput
        var bucket: String?
        var key: String
    }

    func requestPlan(region: String, plan: RegionPlan) -> RequestPlan {
        let config = configuration
        let useS3 = config.s3Bucket != nil || plan.zip.size > config.inlineLimit
        let bucket = config.s3Bucket.map { $0.replacing("{region}", with: region) }
        let key = "picolayer/\(config.layerName.split(separator: ":").last ?? "layer")/\(plan.zip.sha256Hex).zip"
        let content: LambdaClient.LayerContent =
            useS3 ? .s3(bucket: bucket ?? "", key: key) : .zipFile(path: plan.zip.path, size: plan.zip.size)
        let input = LambdaClient.PublishInput(
            layerName: config.layerName, content: content, description: plan.description,
            licenseInfo: config.licenseInfo, compatibleRuntimes: config.compatibleRuntimes,
            compatibleArchitectures: [plan.architecture])
        return RequestPlan(input: input, bucket: useS3 ? bucket : nil, key: key)
    }

    /// The newest version when it already holds this zip (and `--force` is not given), else a new version, the
    /// zip first uploaded to S3 when planned so.
    func upload(
        _ request: RequestPlan, region: String, plan: RegionPlan, lambda: LambdaClient, s3: S3Client
    ) async throws -> (LambdaClient.LayerVersion, RegionResult.Status) {
        let config = configuration
        if !config.force, let newest = try await lambda.listLayerVersions(layerName: config.layerName).first {
            let existing = try await lambda.getLayerVersion(layerName: config.layerName, version: newest)
            if existing.codeSha256 == plan.zip.sha256Base64 {
                log("[\(region)] version \(existing.version) already holds this zip; not publishing again")
                return (existing, .unchanged)
            }
        }
        if let bucket = request.bucket {
            let label = "[\(region)] uploading \(plan.zip.path) to s3://\(bucket)/\(request.key)"
            log(label)
            let progress = UploadProgress(logger: logger, label: label, now: timing.now)
            try await s3.upload(
                path: plan.zip.path, size: plan.zip.size, bucket: bucket, key: request.key, progress: progress.report)
            progress.finished()
        }
        let label = "[\(region)] publishing layer \(config.layerName)"
        log(label)
        let progress = UploadProgress(logger: logger, label: label, now: timing.now)
        let published = try await lambda.publishLayerVersion(request.input, progress: progress.report)
        if request.bucket == nil { progress.finished() }
        return (published, .published)
    }

    /// With `--public`, AddLayerVersionPermission; with `--function`, each function's version of the layer replaced.
    func attach(
        _ layer: LambdaClient.LayerVersion, region: String, lambda: LambdaClient, result: inout RegionResult
    ) async throws {
        let config = configuration
        if config.makePublic {
            let added = try await lambda.addLayerVersionPermission(
                layerName: config.layerName, version: layer.version, statementId: Self.statementId(config),
                principal: config.principal, organizationId: config.organizationId)
            log("[\(region)] \(added ? "granted" : "already granted") lambda:GetLayerVersion to \(config.principal)")
            result.madePublic = true
        }
        for function in config.functions {
            let current = try await lambda.getFunctionConfiguration(functionName: function).layers
            let updated = LambdaClient.replacingLayer(
                in: current, layerArn: layer.layerArn, with: layer.layerVersionArn)
            if updated != current {
                _ = try await lambda.updateFunctionConfiguration(
                    functionName: function, LambdaClient.ConfigurationUpdate(layers: updated))
                log("[\(region)] function \(function) now uses \(layer.layerVersionArn)")
            }
            result.functionsUpdated.append(function)
        }
    }

    /// `picolayer-public`, or `picolayer-<principal>[-<org>]` with characters outside `[a-zA-Z0-9-_]` dropped.
    static func statementId(_ config: PublishConfiguration) -> String {
        if config.principal == "*" && config.organizationId == nil { return "picolayer-public" }
        let raw = ["picolayer", config.principal == "*" ? "all" : config.principal, config.organizationId]
            .compactMap { $0 }.joined(separator: "-")
        return String(raw.filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }.prefix(100))
    }

    /// Prints the requests a real run would send, signed, with the signature and any session token redacted.
    func describeDryRun(
        region: String, lambda: LambdaClient, input: LambdaClient.PublishInput, bucket: String?, key: String,
        plan: RegionPlan
    ) async throws {
        let config = configuration
        var lines: [String] = []
        if !config.force {
            lines.append(
                "ListLayerVersions + GetLayerVersion \(config.layerName): skip publishing if the newest version's CodeSha256 is \(plan.zip.sha256Base64)"
            )
        }
        if let bucket {
            lines.append(
                "PutObject s3://\(bucket)/\(key) (\(plan.zip.size) bytes\(plan.zip.size >= S3Client(client: lambda.client).multipartThreshold ? ", multipart" : ""))"
            )
        }
        let request = try LambdaClient.publishRequest(input)
        let hash = try await request.body.sha256Hex()
        let signed = lambda.client.signed(
            request, payloadHash: hash, at: timing.now(), credentials: try await credentials.current())
        lines.append(
            Self.redacted(
                signed, endpoint: lambda.client.endpoint, bodyLength: request.body.length, inline: bucket == nil))
        if config.makePublic {
            lines.append(
                "AddLayerVersionPermission \(config.layerName) StatementId=\(Self.statementId(config)) Principal=\(config.principal)"
            )
        }
        for function in config.functions {
            lines.append(
                "GetFunctionConfiguration + UpdateFunctionConfiguration \(function): replace any version of \(config.layerName)"
            )
        }
        log(
            "[\(region)] dry run, nothing sent:\n"
                + lines.map { "  " + $0.replacing("\n", with: "\n    ") }.joined(separator: "\n"))
    }

    static func redacted(_ signed: SignedRequest, endpoint: AWSEndpoint, bodyLength: Int64, inline: Bool) -> String {
        var lines = ["\(signed.request.method) \(endpoint.description)\(signed.request.path)"]
        for (name, value) in signed.request.headers {
            switch name.lowercased() {
            case "authorization":
                let kept = value.components(separatedBy: ", Signature=").first ?? "AWS4-HMAC-SHA256"
                lines.append("\(name): \(kept), Signature=<redacted>")
            case "x-amz-security-token":
                lines.append("\(name): <redacted>")
            default:
                lines.append("\(name): \(value)")
            }
        }
        lines.append(
            "(body: \(bodyLength) bytes of JSON\(inline ? " with Content.ZipFile streamed from the zip" : ""))")
        return lines.joined(separator: "\n")
    }
}

extension Publisher {
    /// One progress line, at info level.
    func log(_ line: String) { logger.info("\(line)") }
}
