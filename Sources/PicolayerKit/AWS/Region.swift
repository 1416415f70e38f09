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

    /// The first labels of the service's host name.
    var hostPrefix: String { self == .sso ? "portal.sso" : rawValue }

    /// The suffix of `AWS_ENDPOINT_URL_<ID>` (the service id upper-cased, spaces as `_`).
    var endpointEnvironmentName: String { "AWS_ENDPOINT_URL_\(rawValue.uppercased())" }
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
