/// Size limits of AWS Lambda that picolayer checks before anything is uploaded.
public enum LambdaLimits {
    /// The largest zip Lambda accepts inline in an API call (50 MiB); larger ones go through S3.
    public static let directUploadZippedBytes: UInt64 = 52_428_800
    /// The largest unzipped size of a function and all its layers together.
    public static let unzippedBytes: UInt64 = 262_144_000
    /// A function's memory, in MB.
    public static let memoryMegabytes = 128...10_240
    /// A function's timeout, in seconds.
    public static let timeoutSeconds = 1...900

    /// The one statement of a zip too large to send inline (package, verify, publish, deploy add what to do).
    public static func tooLargeInline(_ what: String, size: Int64, limit: Int64 = Int64(directUploadZippedBytes))
        -> String
    {
        "\(what) is \(megabytes(size)) zipped; Lambda accepts at most \(megabytes(limit)) inline."
    }

    /// Bytes in MiB with one decimal, as the size messages print them.
    public static func megabytes(_ bytes: Int64) -> String {
        TextFormat.fixed(Double(bytes) / 1_048_576, places: 1) + " MB"
    }

    /// The one message for a memory size out of range (deploy, invoke and serve).
    public static func memoryOutOfRange(_ megabytes: Int) -> String {
        "memory \(megabytes) MB is out of range: Lambda accepts \(memoryMegabytes.lowerBound) to "
            + "\(memoryMegabytes.upperBound) MB. Pass --memory MB."
    }

    /// Variables Lambda sets itself; a user may not set them (Lambda rejects them too).
    public static let reservedVariables: Set<String> = [
        "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
    ]

    /// The one message for a variable in `reservedVariables` (deploy, invoke and serve; a usage error, exit 64).
    public static func reservedVariable(_ name: String) -> String {
        "\(name) is set by Lambda itself and cannot be given with --env or --env-file. Remove it."
    }

    /// The one message for a timeout out of range (deploy, invoke and serve); `timeout` as the user gave it.
    public static func timeoutOutOfRange(_ timeout: String) -> String {
        "timeout \(timeout) is out of range: Lambda accepts \(timeoutSeconds.lowerBound) to "
            + "\(timeoutSeconds.upperBound) seconds. Pass --timeout S."
    }
}
