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
