import FoundationEssentials

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
            return LambdaLimits.tooLargeInline(path, size: size, limit: limit)
                + " Pass --s3-bucket BUCKET to upload it through S3."
        case .architectureUnknown(let path, let reason):
            return "cannot tell the architecture of \(path): \(reason). Pass --arch x86_64 or --arch arm64."
        case .invalidArchitecture(let value):
            return "architecture '\(value)' is not one Lambda knows. Use --arch x86_64 or --arch arm64."
        case .noRegions:
            return "no region to publish to. Pass --region R or --regions R1,R2."
        }
    }
}
