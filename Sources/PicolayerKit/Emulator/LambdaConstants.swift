/// Names and numbers of the Lambda Runtime API (2018-06-01) and of the Invoke API (2015-03-31) that the emulator
/// speaks. Values come from AWS's Runtime API documentation and the Runtime Interface Emulator (RIE).
///
/// Runtime API route table, as served by ``RuntimeAPIServer``:
///
/// | method | path                                               | answer                                   |
/// |--------|----------------------------------------------------|------------------------------------------|
/// | GET    | /2018-06-01/runtime/invocation/next                | 200 + event (long poll)                  |
/// | POST   | /2018-06-01/runtime/invocation/{id}/response       | 202; 400 unknown id; 403 twice; 413 size |
/// | POST   | /2018-06-01/runtime/invocation/{id}/error          | 202; 400 unknown id; 403 twice           |
/// | POST   | /2018-06-01/runtime/init/error                     | 202; 403 after init                      |
/// | any    | anything else                                      | 404                                      |
public enum RuntimeAPI {
    public static let version = "2018-06-01"
    static let nextPath = "/2018-06-01/runtime/invocation/next"
    static let invocationPrefix = "/2018-06-01/runtime/invocation/"
    static let initErrorPath = "/2018-06-01/runtime/init/error"

    /// The largest buffered response (and synchronous event) Lambda accepts: 6 MiB + 100 bytes.
    public static let maxPayloadSize = 6_291_556
    /// How long Lambda lets a runtime initialise before it gives up on an on-demand start.
    public static let initTimeout: Duration = .seconds(10)

    enum Header {
        static let requestID = "Lambda-Runtime-Aws-Request-Id"
        static let deadline = "Lambda-Runtime-Deadline-Ms"
        static let functionARN = "Lambda-Runtime-Invoked-Function-Arn"
        static let traceID = "Lambda-Runtime-Trace-Id"
        static let clientContext = "Lambda-Runtime-Client-Context"
        static let cognitoIdentity = "Lambda-Runtime-Cognito-Identity"
        static let errorType = "Lambda-Runtime-Function-Error-Type"
        static let errorBody = "Lambda-Runtime-Function-Error-Body"
        static let responseMode = "Lambda-Runtime-Function-Response-Mode"
    }

    /// Error types the platform itself reports to callers.
    public enum PlatformError {
        public static let exit = "Runtime.ExitError"
        public static let timeout = "Sandbox.Timedout"
        public static let responseTooLarge = "Function.ResponseSizeTooLarge"
        public static let unknown = "Runtime.Unknown"
    }
}

/// Names of the Invoke API as served by ``InvokeAPIServer``.
public enum InvokeAPI {
    static let pathPrefix = "/2015-03-31/functions/"
    static let pathSuffix = "/invocations"
    static let streamingPathPrefix = "/2021-11-15/functions/"
    static let streamingPathSuffix = "/response-streaming-invocations"
    /// The function name RIE answers to; `serve` accepts it besides the configured name.
    public static let rieFunctionName = "function"
    /// The log tail returned with `X-Amz-Log-Type: Tail` is at most this many bytes.
    static let logTailSize = 4096
    /// Asynchronous (`Event`) invocations take at most 1 MB.
    static let maxEventPayloadSize = 1_048_576

    enum Header {
        static let invocationType = "X-Amz-Invocation-Type"
        static let logType = "X-Amz-Log-Type"
        static let clientContext = "X-Amz-Client-Context"
        static let traceID = "X-Amzn-Trace-Id"
        static let functionError = "X-Amz-Function-Error"
        static let logResult = "X-Amz-Log-Result"
        static let executedVersion = "X-Amz-Executed-Version"
        static let requestID = "x-amzn-RequestId"
        static let errorType = "x-amzn-ErrorType"
    }
}
