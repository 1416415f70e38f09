import Crypto
import FoundationEssentials

/// Everything `picolayer publish` was asked to do, as plain values (the CLI builds it; tests build it too).
public struct PublishConfiguration: Sendable {
    public var zipPath: String
    public var layerName: String
    public var regions: [String]
    /// Bucket for uploading through S3; `{region}` in the name is replaced by each region (buckets are regional).
    public var s3Bucket: String?
    public var makePublic: Bool
    /// Who may use the layer with `makePublic`: `*`, an account id or an account ARN.
    public var principal: String
    public var organizationId: String?
    public var functions: [String]
    public var description: String?
    public var licenseInfo: String
    public var compatibleRuntimes: [String]
    /// `--arch`; when `nil` it is read from the ELF header of the zip's `bin/picolisp`.
    public var architecture: String?
    public var force: Bool
    public var dryRun: Bool
    public var endpointURL: String?
    public var maxConcurrency: Int
    /// Largest zip sent inline; Lambda's documented limit for direct upload is 50 MB.
    public var inlineLimit: Int64

    public static let defaultInlineLimit = Int64(LambdaLimits.directUploadZippedBytes)

    public init(
        zipPath: String = "picolisp.zip", layerName: String, regions: [String], s3Bucket: String? = nil,
        makePublic: Bool = false, principal: String = "*", organizationId: String? = nil, functions: [String] = [],
        description: String? = nil, licenseInfo: String = "MIT", compatibleRuntimes: [String] = ["provided.al2023"],
        architecture: String? = nil, force: Bool = false, dryRun: Bool = false, endpointURL: String? = nil,
        maxConcurrency: Int = 4, inlineLimit: Int64 = PublishConfiguration.defaultInlineLimit
    ) {
        self.zipPath = zipPath
        self.layerName = layerName
        self.regions = regions
        self.s3Bucket = s3Bucket
        self.makePublic = makePublic
        self.principal = principal
        self.organizationId = organizationId
        self.functions = functions
        self.description = description
        self.licenseInfo = licenseInfo
        self.compatibleRuntimes = compatibleRuntimes
        self.architecture = architecture
        self.force = force
        self.dryRun = dryRun
        self.endpointURL = endpointURL
        self.maxConcurrency = maxConcurrency
        self.inlineLimit = inlineLimit
    }

    /// `[a-zA-Z0-9-_]{1,140}` or a layer ARN (`arn:<partition>:lambda:<region>:<account>:layer:<name>`).
    public static func isValidLayerName(_ name: String) -> Bool {
        guard (1...140).contains(name.count) else { return false }
        func plain(_ text: Substring) -> Bool {
            !text.isEmpty && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
        }
        if name.hasPrefix("arn:") {
            let parts = name.split(separator: ":", omittingEmptySubsequences: false)
            return parts.count == 7 && parts[2] == "lambda" && parts[5] == "layer" && plain(parts[6])
        }
        return plain(Substring(name))
    }
}

/// Why a publish could not start; per-region failures are reported in `RegionResult` instead.
public enum PublishError: Error, LocalizedError, Equatable {
    case invalidLayerName(String)
    case zipNotFound(String)
    case zipTooLargeForInline(path: String, size: Int64, limit: Int64)
    case architectureUnknown(path: String, reason: String)
    case invalidArchitecture(String)
    case noRegions

    public var errorDescription: String? {
        switch self {
        case .invalidLayerName(let name):
            return "layer name '\(name)' is invalid: use 1-140 of [a-zA-Z0-9-_] or a layer ARN."
        case .zipNotFound(let path):
            return "layer zip \(path) does not exist. Run `picolayer package` first or pass the zip's path."
        case .zipTooLargeForInline(let path, let size, let limit):
            return "\(path) is \(Self.megabytes(size)); Lambda accepts at most \(Self.megabytes(limit)) inline. "
                + "Pass --s3-bucket BUCKET to upload it through S3."
        case .architectureUnknown(let path, let reason):
            return "cannot tell the architecture of \(path): \(reason). Pass --arch x86_64 or --arch arm64."
        case .invalidArchitecture(let value):
            return "architecture '\(value)' is not one Lambda knows. Use --arch x86_64 or --arch arm64."
        case .noRegions:
            return "no region to publish to. Pass --region R or --regions R1,R2."
        }
    }

    static func megabytes(_ bytes: Int64) -> String {
        TextFormat.fixed(Double(bytes) / 1_048_576, places: 1) + " MB"
    }
}

/// The outcome in one region.
public struct RegionResult: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable {
        /// A new layer version was created.
        case published
        /// The newest version already had this zip's CodeSha256; nothing was created.
        case unchanged
        case failed
        /// `--dry-run`: nothing was sent.
        case planned
    }

    public var region: String
    public var status: Status
    public var layerVersionArn: String?
    public var version: Int?
    public var codeSha256: String?
    public var madePublic: Bool
    public var functionsUpdated: [String]
    public var error: String?
}

public struct PublishReport: Sendable, Codable, Equatable {
    public var layerName: String
    public var zip: String
    /// Base64 SHA-256 of the zip, as Lambda reports `CodeSha256`.
    public var codeSha256: String
    public var results: [RegionResult]

    public var anyFailed: Bool { results.contains { $0.status == .failed } }

    /// One line per region: region, status, version, ARN, CodeSha256 (error text for failures).
    public func table() -> String {
        var rows = [["REGION", "STATUS", "VERSION", "LAYER VERSION ARN / ERROR", "CODESHA256"]]
        for result in results {
            rows.append([
                result.region, result.status.rawValue, result.version.map(String.init) ?? "-",
                result.error ?? result.layerVersionArn ?? "-", result.codeSha256 ?? "-",
            ])
        }
        let widths = (0..<4).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index < 4 ? cell.rightPadded(widths[index]) : cell
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    /// `{"layerName", "zip", "codeSha256", "regions": {region: {...}}}`, keys sorted.
    public func json() throws -> String {
        struct Shape: Encodable {
            var layerName: String
            var zip: String
            var codeSha256: String
            var regions: [String: RegionResult]
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let shape = Shape(
            layerName: layerName, zip: zip, codeSha256: codeSha256,
            regions: Dictionary(results.map { ($0.region, $0) }, uniquingKeysWith: { first, _ in first }))
        return String(decoding: try encoder.encode(shape), as: UTF8.self)
    }
}

/// Facts about the zip computed once before any region is touched.
public struct LayerZip: Sendable, Equatable {
    public var path: String
    public var size: Int64
    public var sha256Hex: String
    public var sha256Base64: String

    /// Reads the file once, in chunks, to hash it.
    public init(path: String) throws {
        guard FileStatus.size(path) != nil else { throw PublishError.zipNotFound(path) }
        let file = try FileDigest(path: path)
        self.path = path
        self.size = file.size
        self.sha256Hex = file.hex
        self.sha256Base64 = file.base64
    }
}

/// Publishes a layer zip to one or many regions. Each region runs on its own; a failure in one does not stop
/// the others. Side effects come in through `transport` and `timing`.
public struct Publisher: Sendable {
    public var configuration: PublishConfiguration
    /// Asked before each request, so temporary credentials are refreshed during a long multi-region publish.
    public var credentials: CredentialSource
    public var environment: [String: String]
    public var transport: HTTPTransport
    public var timing: AWSTiming
    /// Receives progress lines and, with `--dry-run`, the redacted requests.
    public var log: @Sendable (String) -> Void
    /// Reads `CompatibleArchitectures` from the zip when `--arch` is not given.
    public var detectArchitecture: @Sendable (String) throws -> String

    public init(
        configuration: PublishConfiguration, credentials: CredentialSource, environment: [String: String],
        transport: HTTPTransport = .live(), timing: AWSTiming = .live,
        log: @escaping @Sendable (String) -> Void = { _ in },
        detectArchitecture: @escaping @Sendable (String) throws -> String = Publisher.architectureFromZip
    ) {
        self.configuration = configuration
        self.credentials = credentials
        self.environment = environment
        self.transport = transport
        self.timing = timing
        self.log = log
        self.detectArchitecture = detectArchitecture
    }

    /// `CompatibleArchitectures` from the ELF header of `picoLisp/bin/picolisp` (or `bin/picolisp`) in the zip.
    public static let architectureFromZip: @Sendable (String) throws -> String = { path in
        let reader: ZipReader
        do {
            reader = try ZipReader(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw PublishError.architectureUnknown(path: path, reason: ErrorText.describe(error))
        }
        guard let entry = LayerArchitecture.binaryPaths.lazy.compactMap({ reader.entry(named: $0) }).first else {
            throw PublishError.architectureUnknown(
                path: path, reason: "it has no \(LayerArchitecture.binaryPaths.joined(separator: " or "))")
        }
        let bytes: [UInt8]
        do {
            bytes = try reader.contents(of: entry)
        } catch {
            throw PublishError.architectureUnknown(path: path, reason: ErrorText.describe(error))
        }
        guard let architecture = LayerArchitecture.fromELFHeader(Array(bytes.prefix(64))) else {
            throw PublishError.architectureUnknown(
                path: path, reason: "\(entry.path) is not an x86_64 or aarch64 ELF executable")
        }
        return architecture
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
        let zip = try LayerZip(path: config.zipPath)
        if zip.size > config.inlineLimit && config.s3Bucket == nil {
            throw PublishError.zipTooLargeForInline(path: zip.path, size: zip.size, limit: config.inlineLimit)
        }
        let architecture = try config.architecture ?? detectArchitecture(zip.path)
        guard ["x86_64", "arm64"].contains(architecture) else { throw PublishError.invalidArchitecture(architecture) }
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
        var zip: LayerZip
        var architecture: String
        var description: String
    }

    func clients(region: String) throws -> (lambda: LambdaClient, s3: S3Client) {
        let trace: @Sendable (String) -> Void = { [log] line in log("[\(region)] \(line)") }
        let lambdaEndpoint = try EndpointResolver.endpoint(
            for: .lambda, region: region, flag: configuration.endpointURL, environment: environment)
        let s3Endpoint = try EndpointResolver.endpoint(
            for: .s3, region: region, flag: configuration.endpointURL, environment: environment)
        let lambda = AWSClient(
            service: .lambda, region: region, endpoint: lambdaEndpoint, credentials: credentials, transport: transport,
            timing: timing, trace: trace)
        let s3 = AWSClient(
            service: .s3, region: region, endpoint: s3Endpoint, credentials: credentials, transport: transport,
            timing: timing, trace: trace)
        return (LambdaClient(client: lambda), S3Client(client: s3))
    }

    func publish(region: String, plan: RegionPlan) async -> RegionResult {
        var result = RegionResult(
            region: region, status: .failed, layerVersionArn: nil, version: nil, codeSha256: nil, madePublic: false,
            functionsUpdated: [], error: nil)
        do {
            let (lambda, s3) = try clients(region: region)
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

            if config.dryRun {
                try await describeDryRun(
                    region: region, lambda: lambda, input: input, bucket: useS3 ? bucket : nil, key: key, plan: plan)
                result.status = .planned
                result.codeSha256 = plan.zip.sha256Base64
                return result
            }

            var layer: LambdaClient.LayerVersion?
            if !config.force, let newest = try await lambda.listLayerVersions(layerName: config.layerName).first {
                let existing = try await lambda.getLayerVersion(layerName: config.layerName, version: newest)
                if existing.codeSha256 == plan.zip.sha256Base64 {
                    log("[\(region)] version \(existing.version) already holds this zip; not publishing again")
                    layer = existing
                    result.status = .unchanged
                }
            }
            if layer == nil {
                if useS3, let bucket {
                    log("[\(region)] uploading \(plan.zip.path) to s3://\(bucket)/\(key)")
                    try await s3.upload(path: plan.zip.path, size: plan.zip.size, bucket: bucket, key: key)
                }
                log("[\(region)] publishing layer \(config.layerName)")
                layer = try await lambda.publishLayerVersion(input)
                result.status = .published
            }
            guard let layer else { return result }
            result.layerVersionArn = layer.layerVersionArn
            result.version = layer.version
            result.codeSha256 = layer.codeSha256 ?? plan.zip.sha256Base64

            if config.makePublic {
                let added = try await lambda.addLayerVersionPermission(
                    layerName: config.layerName, version: layer.version, statementId: Self.statementId(config),
                    principal: config.principal, organizationId: config.organizationId)
                log(
                    "[\(region)] \(added ? "granted" : "already granted") lambda:GetLayerVersion to \(config.principal)"
                )
                result.madePublic = true
            }
            for function in config.functions {
                let current = try await lambda.getFunctionLayers(functionName: function)
                let updated = LambdaClient.replacingLayer(
                    in: current, layerArn: layer.layerArn, with: layer.layerVersionArn)
                if updated != current {
                    try await lambda.updateFunctionLayers(functionName: function, layers: updated)
                    log("[\(region)] function \(function) now uses \(layer.layerVersionArn)")
                }
                result.functionsUpdated.append(function)
            }
        } catch {
            result.status = .failed
            result.error = ErrorText.describe(error)
        }
        return result
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
