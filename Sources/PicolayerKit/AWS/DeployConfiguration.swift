import FoundationEssentials

/// Everything `picolayer deploy` was asked to do, as plain values (the CLI builds it; tests build it too).
public struct DeployConfiguration: Sendable {
    public var functionName: String
    /// A function folder (zipped with `ZipWriter`) or a zip file.
    public var codePath: String
    /// For a folder: patterns applied after picolayer's defaults and the folder's `.picolayerignore`.
    public var ignore: IgnoreOptions
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
    /// `--merge-env`: `environment` is laid over the function's variables instead of replacing them, so
    /// variables it does not name are kept.
    public var mergeEnvironment = false
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
    public static let memoryRange = LambdaLimits.memoryMegabytes
    public static let timeoutRange = LambdaLimits.timeoutSeconds
    public static let maxLayers = 5

    public init(
        functionName: String, codePath: String, region: String, handler: String? = nil, layers: [String] = [],
        withPublishedLayer: Bool = false, layerName: String = DeployConfiguration.defaultLayerName,
        create: Bool = false, role: String? = nil, memorySize: Int? = nil, timeout: Int? = nil,
        architecture: String? = nil, environment: [String: String]? = nil, publishVersion: Bool = false,
        dryRun: Bool = false, endpointURL: String? = nil,
        inlineLimit: Int64 = Int64(LambdaLimits.directUploadZippedBytes),
        waitLimit: Duration = .seconds(300), firstPoll: Duration = .seconds(1), maxPoll: Duration = .seconds(5),
        conflictRetries: Int = 5, ignore: IgnoreOptions = IgnoreOptions()
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
        self.ignore = ignore
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
        if let architecture, Architecture(rawValue: architecture) == nil {
            throw .invalidArchitecture(architecture)
        }
        for name in (environment ?? [:]).keys.sorted() {
            if LambdaLimits.reservedVariables.contains(name) { throw .reservedVariable(name) }
            if !Self.isValidVariableName(name) { throw .invalidVariableName(name) }
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
