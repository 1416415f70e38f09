import FoundationEssentials

/// Region resolution in AWS CLI v2 order: `--region`, `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's `region`.
public enum RegionResolver {
    public static func resolve(flag: String?, context: AWSConfigContext) throws -> String {
        if let flag, !flag.isEmpty { return flag }
        for name in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
            if let value = context.environment[name], !value.isEmpty { return value }
        }
        if let value = context.configProfile()["region"], !value.isEmpty { return value }
        throw AWSError.noRegion(searched: [
            "--region", "AWS_REGION", "AWS_DEFAULT_REGION",
            "region in \(context.configFilePath) [\(context.profileName)]",
        ])
    }
}

/// The regions picolayer knows: every commercial AWS region as of 2026, China's two and GovCloud's two. A region
/// outside the list is refused before anything is sent (a typo would otherwise surface as a DNS failure after
/// credentials were looked up); `--allow-unknown-region` or `PICOLAYER_ALLOW_UNKNOWN_REGION=1` accept a newer one.
public enum KnownRegions {
    public static let all: [String] = [
        "us-east-1", "us-east-2", "us-west-1", "us-west-2",
        "af-south-1",
        "ap-east-1", "ap-east-2", "ap-south-1", "ap-south-2",
        "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6",
        "ap-southeast-7",
        "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
        "ca-central-1", "ca-west-1",
        "eu-central-1", "eu-central-2", "eu-west-1", "eu-west-2", "eu-west-3", "eu-south-1", "eu-south-2",
        "eu-north-1",
        "il-central-1",
        "me-south-1", "me-central-1",
        "mx-central-1",
        "sa-east-1",
        "cn-north-1", "cn-northwest-1",
        "us-gov-east-1", "us-gov-west-1",
    ]

    /// The environment variable that, set to `1`, accepts any region.
    public static let allowEnvironmentName = "PICOLAYER_ALLOW_UNKNOWN_REGION"

    /// `region` unchanged when it is known; otherwise `AWSError.unknownRegion` with the closest known one.
    @discardableResult
    public static func check(_ region: String) throws -> String {
        guard all.contains(region) else {
            throw AWSError.unknownRegion(region, suggestion: Suggestion.closest(to: region, among: all))
        }
        return region
    }
}

/// Where a service lives: scheme, host, port. Built from the partition's DNS suffix, or from an override URL.
public struct AWSEndpoint: Sendable, Equatable {
    public var scheme: String
    public var host: String
    public var port: Int?
    /// A path prefix from an override URL (`http://localhost:4566/prefix`), without a trailing `/`.
    public var basePath: String
    /// True when the user gave the URL: S3 then uses path-style addressing.
    public var isOverride: Bool

    public init(scheme: String, host: String, port: Int? = nil, basePath: String = "", isOverride: Bool = false) {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.basePath = basePath
        self.isOverride = isOverride
    }

    /// The `Host` header value: `host` or `host:port` when the port is not the scheme's default.
    public var hostHeader: String {
        guard let port, !(scheme == "https" && port == 443), !(scheme == "http" && port == 80) else { return host }
        return "\(host):\(port)"
    }

    public var description: String { "\(scheme)://\(hostHeader)\(basePath)" }

    /// Parses `http(s)://host[:port][/path]`.
    public init(overrideURL text: String) throws {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty
        else {
            throw AWSError.invalidEndpoint(text)
        }
        var path = components.percentEncodedPath
        while path.hasSuffix("/") { path.removeLast() }
        self.init(scheme: scheme, host: host, port: components.port, basePath: path, isOverride: true)
    }
}

/// The AWS services picolayer talks to.
public enum AWSService: String, Sendable {
    case lambda
    case s3
    case sts
    /// The IAM Identity Center portal (GetRoleCredentials); its hosts are `portal.sso.<region>...`.
    case sso
    /// CloudWatch Logs (`picolayer logs`).
    case logs

    /// The first labels of the service's host name.
    var hostPrefix: String { self == .sso ? "portal.sso" : rawValue }

    /// The suffix of `AWS_ENDPOINT_URL_<ID>` (the service id upper-cased, spaces as `_`: "CloudWatch Logs").
    var endpointEnvironmentName: String {
        "AWS_ENDPOINT_URL_" + (self == .logs ? "CLOUDWATCH_LOGS" : rawValue.uppercased())
    }
}

/// Endpoint rules: `--endpoint-url` > `AWS_ENDPOINT_URL_<SERVICE>` > `AWS_ENDPOINT_URL` > the partition's host.
public enum EndpointResolver {
    /// The DNS suffix of the partition a region belongs to.
    public static func dnsSuffix(region: String) -> String {
        if region.hasPrefix("cn-") { return "amazonaws.com.cn" }
        if region.hasPrefix("eu-isoe-") { return "cloud.adc-e.uk" }
        if region.hasPrefix("us-isob-") { return "sc2s.sgov.gov" }
        if region.hasPrefix("us-iso-") { return "c2s.ic.gov" }
        return "amazonaws.com"
    }

    public static func endpoint(
        for service: AWSService, region: String, flag: String?, environment: [String: String]
    ) throws -> AWSEndpoint {
        let overrides = [flag, environment[service.endpointEnvironmentName], environment["AWS_ENDPOINT_URL"]]
        if let url = overrides.compactMap({ $0 }).first(where: { !$0.isEmpty }) {
            return try AWSEndpoint(overrideURL: url)
        }
        return AWSEndpoint(scheme: "https", host: "\(service.hostPrefix).\(region).\(dnsSuffix(region: region))")
    }
}
