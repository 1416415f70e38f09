import FoundationEssentials
import Logging

/// Which layer versions a deploy attaches: `--layer`'s, or the newest published version that runs on the
/// function's architecture.
extension Deployer {
    /// The architecture the function will run on: `--arch`, else the existing function's, else x86_64 (what
    /// CreateFunction defaults to).
    func architecture(of function: LambdaClient.FunctionInfo?) -> String {
        configuration.architecture ?? function?.architectures.first ?? Architecture.x86_64.rawValue
    }

    /// The layer version ARNs to attach: `--layer`'s, or the newest version of `--layer-name` compatible with
    /// `architecture` (a version that names no architectures fits any).
    func layersToAttach(lambda: LambdaClient, architecture: String) async throws -> [String] {
        let config = configuration
        guard config.withPublishedLayer else { return config.layers }
        let versions = try await lambda.layerVersionSummaries(layerName: config.layerName)
        guard !versions.isEmpty else {
            throw DeployError.layerNotPublished(name: config.layerName, region: config.region)
        }
        guard let newest = Self.newestVersion(of: versions, compatibleWith: architecture) else {
            throw DeployError.noCompatibleLayerVersion(
                name: config.layerName, region: config.region, architecture: architecture,
                seen: versions.map { DeployError.SeenVersion(version: $0.version, architectures: $0.architectures) })
        }
        log("newest version of layer \(config.layerName) for \(architecture): \(newest.layerVersionArn)")
        return [newest.layerVersionArn]
    }

    /// The highest-numbered version whose CompatibleArchitectures contain `architecture` or are empty.
    static func newestVersion(
        of versions: [LayerVersionSummary], compatibleWith architecture: String
    ) -> LayerVersionSummary? {
        versions.filter { $0.architectures.isEmpty || $0.architectures.contains(architecture) }
            .max { $0.version < $1.version }
    }
}
