import FoundationEssentials

/// Why a deploy stopped. Each message names the value involved and what to do next.
public enum DeployError: Error, LocalizedError, Equatable {
    case invalidFunctionName(String)
    case roleRequired(String)
    case invalidHandler(String)
    case invalidMemory(Int)
    case invalidTimeout(Int)
    case invalidArchitecture(String)
    case invalidVariableName(String)
    case reservedVariable(String)
    case conflictingLayerOptions
    case invalidLayerName(String)
    case invalidLayerArn(String)
    case tooManyLayers([String])
    case codeNotFound(String)
    case notAZip(path: String, reason: String)
    case codeTooLarge(path: String, size: Int64, limit: Int64)
    case functionNotFound(name: String, region: String)
    case layerNotPublished(name: String, region: String)
    /// `--with-published-layer`: no version of the layer lists the function's architecture.
    case noCompatibleLayerVersion(name: String, region: String, architecture: String, seen: [SeenVersion])
    /// The function's `State` became `Failed` (e.g. after CreateFunction).
    case functionFailed(name: String, reason: String)
    /// `LastUpdateStatus` became `Failed`.
    case updateFailed(name: String, reason: String)
    case waitTimedOut(name: String, state: String, lastUpdateStatus: String, seconds: Int)
    case conflictPersisted(name: String, operation: String, attempts: Int)

    public var errorDescription: String? {
        switch self {
        case .invalidFunctionName(let name):
            return "function name '\(name)' is invalid: use 1-140 characters without spaces (a name or an ARN)."
        case .roleRequired(let name):
            return "--create needs --role with the execution role to create function \(name). "
                + "Pass --role arn:aws:iam::ACCOUNT:role/NAME, or set function.role in picolayer.toml."
        case .invalidHandler(let handler):
            return "handler '\(handler)' is invalid: use 1-128 characters without spaces, e.g. main.handler "
                + "(file main.l, function handler)."
        case .invalidMemory(let value):
            return LambdaLimits.memoryOutOfRange(value)
        case .invalidTimeout(let value):
            return LambdaLimits.timeoutOutOfRange("\(value) s")
        case .invalidArchitecture(let value):
            return "architecture '\(value)' is not one Lambda knows. Use --arch x86_64 or --arch arm64."
        case .invalidVariableName(let name):
            return "environment variable name '\(name)' is invalid: Lambda wants [a-zA-Z][a-zA-Z0-9_]+. Rename it."
        case .reservedVariable(let name):
            return LambdaLimits.reservedVariable(name)
        case .conflictingLayerOptions:
            return "--layer and --with-published-layer exclude each other. Pass one of them."
        case .invalidLayerName(let name):
            return "layer name '\(name)' is invalid: use 1-140 of [a-zA-Z0-9-_] or a layer ARN."
        case .invalidLayerArn(let arn):
            return "'\(arn)' is not a layer version ARN (arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION). "
                + "Pass the ARN `picolayer publish` printed."
        case .tooManyLayers(let layers):
            return "a function can use at most \(DeployConfiguration.maxLayers) layers; this deploy would give it "
                + "\(layers.count): \(layers.joined(separator: ", ")). Drop some."
        case .codeNotFound(let path):
            return "\(path) does not exist. Pass --code with the function's folder or zip."
        case .notAZip(let path, let reason):
            return "\(path) is not a zip file (\(reason)). Pass the function's folder, or a zip made by "
                + "`picolayer package`."
        case .codeTooLarge(let path, let size, let limit):
            return LambdaLimits.tooLargeInline(path, size: size, limit: limit)
                + " Move large dependencies into a layer."
        case .functionNotFound(let name, let region):
            return "function \(name) does not exist in \(region). Pass --create --role ROLE_ARN to create it, "
                + "or check the name and --region."
        case .layerNotPublished(let name, let region):
            return "layer \(name) has no version in \(region). Publish it first "
                + "(picolayer publish --layer-name \(name) --region \(region)) or pass --layer ARN."
        case .noCompatibleLayerVersion(let name, let region, let architecture, let seen):
            return Self.noCompatibleVersion(name: name, region: region, architecture: architecture, seen: seen)
        case .functionFailed(let name, let reason):
            return "function \(name) is in state Failed: \(reason). Fix the cause and deploy again."
        case .updateFailed(let name, let reason):
            return "the update of function \(name) failed: \(reason). Fix the cause and deploy again."
        case .waitTimedOut(let name, let state, let status, let seconds):
            return "function \(name) was still not ready after \(seconds) s (State \(state), LastUpdateStatus "
                + "\(status)). Check it in the Lambda console, then deploy again."
        case .conflictPersisted(let name, let operation, let attempts):
            return "\(operation) of \(name) met an update in progress \(attempts) times "
                + "(ResourceConflictException). Wait for the other update to finish, then deploy again."
        }
    }
}

extension DeployError {
    static func noCompatibleVersion(name: String, region: String, architecture: String, seen: [SeenVersion]) -> String {
        let versions = seen.map { "\($0.version) (\($0.architectures.joined(separator: ", ")))" }
        return "layer \(name) has no version for \(architecture) in \(region); versions seen: "
            + "\(versions.joined(separator: ", ")). Publish one built for \(architecture) "
            + "(picolayer build --arch \(architecture), then picolayer publish --layer-name \(name)) or pass --layer ARN."
    }

    /// A layer version looked at by `--with-published-layer` and the architectures it lists.
    public struct SeenVersion: Sendable, Equatable {
        public var version: Int
        public var architectures: [String]

        public init(version: Int, architectures: [String]) {
            self.version = version
            self.architectures = architectures
        }
    }
}
