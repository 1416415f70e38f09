/// Every setting picolayer.toml may hold: its dotted name, its type, the environment variables that override it
/// and what it means. The one list `config`, the docs and the "unknown key" check read.
public enum ProjectKey: String, CaseIterable, Sendable {
    case layerName = "layer.name"
    case layerRegions = "layer.regions"
    case layerPublic = "layer.public"
    case layerDescription = "layer.description"
    case functionName = "function.name"
    case functionHandler = "function.handler"
    case functionCode = "function.code"
    case functionRegion = "function.region"
    case functionMemory = "function.memory"
    case functionTimeout = "function.timeout"
    case functionRole = "function.role"
    case functionArchitecture = "function.architecture"
    case functionLayers = "function.layers"
    case functionPublishedLayer = "function.published_layer"
    case functionCreate = "function.create"
    case buildEngine = "build.engine"
    case buildTarget = "build.target"
    case buildArchitecture = "build.architecture"
    case buildImage = "build.image"
    case buildOutput = "build.output"

    public enum Kind: Sendable {
        case string, integer, boolean, strings

        var name: String {
            switch self {
            case .string: return "a string"
            case .integer: return "an integer"
            case .boolean: return "true or false"
            case .strings: return "an array of strings"
            }
        }
    }

    /// The tables a file may open; `function.environment` holds the function's variables, any names.
    public static let tables = ["layer", "function", "function.environment", "build"]
    public static let environmentTable = "function.environment"

    public var kind: Kind {
        switch self {
        case .layerRegions, .functionLayers: return .strings
        case .layerPublic, .functionPublishedLayer, .functionCreate: return .boolean
        case .functionMemory, .functionTimeout: return .integer
        default: return .string
        }
    }

    /// Variables that win over the file (and lose to a flag), first found wins.
    public var environmentNames: [String] {
        switch self {
        case .layerName: return ["PICOLAYER_LAYER_NAME"]
        case .functionName: return ["PICOLAYER_FUNCTION"]
        case .functionHandler: return ["PICOLAYER_HANDLER"]
        case .functionRegion: return ["AWS_REGION", "AWS_DEFAULT_REGION"]
        case .functionRole: return ["PICOLAYER_ROLE"]
        case .buildEngine: return ["PICOLAYER_ENGINE"]
        default: return []
        }
    }

    /// What holds when neither a flag, the environment nor the file says: nil for no value (or one found later,
    /// such as the region chain's).
    public var defaultValue: TOMLValue? {
        switch self {
        case .layerName: return .string(DeployConfiguration.defaultLayerName)
        case .layerPublic, .functionPublishedLayer, .functionCreate: return .boolean(false)
        case .functionCode: return .string(".")
        case .functionMemory: return .integer(128)
        case .functionTimeout: return .integer(3)
        case .buildTarget: return .string(LambdaTarget.al2023.rawValue)
        case .buildOutput: return .string("build/layer")
        default: return nil
        }
    }

    /// The setting's meaning and its default, for `picolayer config` and docs/config.md.
    public var summary: String {
        switch self {
        case .layerName: return "the layer's name, for publish and deploy's published_layer (default picolisp)"
        case .layerRegions: return "the regions publish publishes to (default: the region chain, as for --region)"
        case .layerPublic: return "publish grants lambda:GetLayerVersion to every account (default false)"
        case .layerDescription: return "the layer version's description"
        case .functionName: return "the function's name (deploy, and the emulator's ARN)"
        case .functionHandler: return "path/file.function, e.g. main.handler"
        case .functionCode: return "the function's folder, relative to picolayer.toml (default .)"
        case .functionRegion: return "the function's region (after AWS_REGION, before the profile's region)"
        case .functionMemory: return "memory in MB, 128-10240 (default 128)"
        case .functionTimeout: return "timeout in seconds, 1-900 (default 3)"
        case .functionRole: return "the execution role ARN, for creating the function"
        case .functionArchitecture: return "x86_64 or arm64"
        case .functionLayers: return "layer version ARNs to attach"
        case .functionPublishedLayer: return "attach the newest published version of layer.name (default false)"
        case .functionCreate: return "deploy creates the function when it does not exist (default false)"
        case .buildEngine: return "docker, podman or none (default: the one found)"
        case .buildTarget: return "provided.al2023 or provided.al2 (default provided.al2023)"
        case .buildArchitecture: return "x86_64 or arm64 (default: this machine's)"
        case .buildImage: return "the container image build compiles in"
        case .buildOutput:
            return "where build stages the layer, and the layer invoke and serve run (default build/layer)"
        }
    }
}
