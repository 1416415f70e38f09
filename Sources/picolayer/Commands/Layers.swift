import ArgumentParser
import FoundationEssentials
import Logging
import PicolayerKit

extension Picolayer {
    struct Layers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List a layer's published versions per region (ListLayerVersions), as bref's layers.json does.",
            discussion: """
                Prints, for each region, every version of the layer with its ARN, CodeSha256, architectures, \
                runtimes and creation date. Credentials and region as for publish (see docs/credentials.md). \
                Exits 1 when any region failed; that region's line (or JSON entry) holds the error.
                """)

        @Option(help: "The layer's name or ARN.")
        var layerName: String = DeployConfiguration.defaultLayerName

        @Option(help: "The region to list.")
        var region: String?

        @Option(help: "Comma-separated regions to list in parallel.")
        var regions: String?

        @Flag(help: "Print the result as one line of JSON: {\"layerName\", \"regions\": {region: [versions]}}.")
        var json = false

        @OptionGroup var aws: AWSOptions

        @OptionGroup var reporting: ReportingOptions

        func validate() throws {
            if region != nil && regions != nil { throw ValidationError("Use --region or --regions, not both.") }
            if !PublishConfiguration.isValidLayerName(layerName) {
                throw ValidationError(ErrorText.describe(PublishError.invalidLayerName(layerName)))
            }
        }

        func run() async throws {
            let regionList = try aws.regions(flag: region, list: regions)
            let logger = reporting.logger
            let listing = try await aws.withServices(region: regionList.first, logger: logger) { services in
                await LayerLister(layerName: layerName, regions: regionList, services: services).run()
            }
            printResult(json ? try listing.json() : listing.table())
            if listing.anyFailed { throw ExitCode.failure }
        }
    }
}
