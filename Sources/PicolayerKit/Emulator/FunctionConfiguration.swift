import FoundationEssentials

/// Everything the emulator needs to know about one function, as Lambda would hold it in its configuration.
///
/// Paths may be relative; they are resolved against the current directory when the runtime starts.
public struct FunctionConfiguration: Sendable {
    /// `_HANDLER`, e.g. `main.handler`.
    public var handler: String
    /// The function's code: Lambda's `/var/task`. Its `bootstrap` wins over the layer's.
    public var taskRoot: String
    /// The runtime layer: Lambda's `/opt`. Its `bin/` goes on `PATH`, its `lib/` on `LD_LIBRARY_PATH`.
    public var layerDirectory: String?
    public var functionName: String
    public var region: String
    public var accountID: String
    public var memorySize: Int
    /// The function timeout (Lambda: 1 s to 900 s, default 3 s).
    public var timeout: Duration
    /// How long the runtime may take to ask for its first event.
    public var initTimeout: Duration
    /// Variables the user asked for (`--env`, `--env-file`); nothing else of the caller's environment is passed.
    public var userEnvironment: [String: String]
    /// `--watch`: an invocation after a change to the task root or the layer starts a fresh runtime.
    public var watch = false

    public init(
        handler: String,
        taskRoot: String = ".",
        layerDirectory: String? = "build/layer",
        functionName: String = "picolayer-function",
        region: String = "us-east-1",
        accountID: String = "123456789012",
        memorySize: Int = 128,
        timeout: Duration = .seconds(3),
        initTimeout: Duration = RuntimeAPI.initTimeout,
        userEnvironment: [String: String] = [:]
    ) {
        self.handler = handler
        self.taskRoot = taskRoot
        self.layerDirectory = layerDirectory
        self.functionName = functionName
        self.region = region
        self.accountID = accountID
        self.memorySize = memorySize
        self.timeout = timeout
        self.initTimeout = initTimeout
        self.userEnvironment = userEnvironment
    }

    /// `arn:aws:lambda:REGION:ACCOUNT:function:NAME`, sent as `Lambda-Runtime-Invoked-Function-Arn`.
    public var functionARN: String {
        "arn:aws:lambda:\(region):\(accountID):function:\(functionName)"
    }

    /// Checks what can be checked before a runtime starts.
    public func validate() throws(EmulatorError) {
        if let name = userEnvironment.keys.sorted().first(where: LambdaLimits.reservedVariables.contains) {
            throw .reservedVariable(name)
        }
        // Below a second is allowed here, for tests of the watchdog; the command line takes whole seconds.
        if timeout <= .zero || timeout > .seconds(LambdaLimits.timeoutSeconds.upperBound) {
            throw .invalidTimeout(timeout)
        }
        if !LambdaLimits.memoryMegabytes.contains(memorySize) {
            throw .invalidMemorySize(memorySize)
        }
    }
}

/// The nondeterministic inputs of the emulator, injected so that tests can check every header exactly.
public struct EmulatorHooks: Sendable {
    /// A fresh `Lambda-Runtime-Aws-Request-Id`.
    public var requestID: @Sendable () -> String
    /// A fresh `Lambda-Runtime-Trace-Id` for the request id given.
    public var traceID: @Sendable (String) -> String
    /// Wall-clock time, used for `Lambda-Runtime-Deadline-Ms` and the log stream name.
    public var now: @Sendable () -> Date

    public init(
        requestID: @escaping @Sendable () -> String,
        traceID: @escaping @Sendable (String) -> String,
        now: @escaping @Sendable () -> Date
    ) {
        self.requestID = requestID
        self.traceID = traceID
        self.now = now
    }

    /// Random UUIDs, X-Ray style trace ids and the system clock.
    public static let system = EmulatorHooks(
        requestID: { UUID().uuidString.lowercased() },
        traceID: { _ in
            let epoch = String(UInt32(truncatingIfNeeded: Int(Date().timeIntervalSince1970)), radix: 16)
            let root =
                TextFormat.hex(UInt64.random(in: 0...UInt64(UInt32.max)), digits: 8)
                + TextFormat.hex(UInt64.random(in: .min ... .max), digits: 16)
            return
                "Root=1-\(epoch)-\(root);Parent=\(TextFormat.hex(UInt64.random(in: .min ... .max), digits: 16));Sampled=0"
        },
        now: { Date() }
    )
}

/// Builds the environment of a custom runtime exactly as Lambda documents it ("Defined runtime environment
/// variables"), with the layer folder standing in for `/opt` and the task root for `/var/task`.
enum LambdaEnvironment {
    static func variables(
        for configuration: FunctionConfiguration,
        taskRoot: String,
        layerDirectory: String?,
        runtimeAPI: String,
        logStreamName: String
    ) -> [String: String] {
        let runtimeDir = layerDirectory ?? taskRoot
        var libraryPath = [
            "/var/lang/lib", "/lib64", "/usr/lib64", runtimeDir, runtimeDir + "/lib", taskRoot, taskRoot + "/lib",
        ]
        var path = ["/usr/local/bin", "/usr/bin/", "/bin"]
        if let layerDirectory {
            path.append(layerDirectory + "/bin")
            libraryPath.append(layerDirectory + "/lib")
        }
        var environment: [String: String] = [
            "PATH": path.joined(separator: ":"),
            "LD_LIBRARY_PATH": libraryPath.joined(separator: ":"),
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
        ]
        for (key, value) in configuration.userEnvironment {
            environment[key] = value
        }
        let lambda: [String: String] = [
            "_HANDLER": configuration.handler,
            "LAMBDA_TASK_ROOT": taskRoot,
            "LAMBDA_RUNTIME_DIR": runtimeDir,
            "AWS_LAMBDA_RUNTIME_API": runtimeAPI,
            "AWS_REGION": configuration.region,
            "AWS_DEFAULT_REGION": configuration.region,
            "AWS_LAMBDA_FUNCTION_NAME": configuration.functionName,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": String(configuration.memorySize),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/" + configuration.functionName,
            "AWS_LAMBDA_LOG_STREAM_NAME": logStreamName,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        ]
        environment.merge(lambda) { _, reserved in reserved }
        return environment
    }

    /// `YYYY/MM/DD/[$LATEST]<32 hex>`, the shape of Lambda's log stream names.
    static func logStreamName(date: Date, seed: String) -> String {
        let day = UTCTime(date).slashedDay
        let hex = seed.lowercased().filter(\.isHexDigit)
        return day + "/[$LATEST]" + String((hex + String(repeating: "0", count: 32)).prefix(32))
    }
}
