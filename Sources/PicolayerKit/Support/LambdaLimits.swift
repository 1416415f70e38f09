/// Size limits of AWS Lambda that picolayer checks before anything is uploaded.
public enum LambdaLimits {
    /// The largest zip Lambda accepts inline in an API call (50 MiB); larger ones go through S3.
    public static let directUploadZippedBytes: UInt64 = 52_428_800
    /// The largest unzipped size of a function and all its layers together.
    public static let unzippedBytes: UInt64 = 262_144_000
}
