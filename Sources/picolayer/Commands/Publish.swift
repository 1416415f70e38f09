import ArgumentParser
import FoundationEssentials
import Logging
import PicolayerKit

#if canImport(Glibc)
    import Glibc
#endif

extension Picolayer {
    struct Publish: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Publish the layer zip to one or many AWS regions (SigV4-signed Lambda API calls).",
            discussion: """
                Credentials: the AWS CLI's chain (environment, roles, web identity, SSO, the profile's keys, \
                credential_process, container, EC2 instance metadata; see docs/credentials.md). Region: --region, AWS_REGION, \
                AWS_DEFAULT_REGION, the profile. Nothing new is published when the newest layer version already \
                holds the zip (use --force).
                """)

        @Argument(help: "The layer zip.")
        var zip: String = "picolisp.zip"

        @Option(help: "Layer name ([a-zA-Z0-9-_]{1,140}) or layer ARN (default: layer.name, else picolisp).")
        var layerName: String?

        @Option(help: "The region to publish to.")
        var region: String?

        @Option(help: "Comma-separated regions to publish to in parallel.")
        var regions: String?

        @Option(help: "Upload through this S3 bucket ({region} is replaced by each region).")
        var s3Bucket: String?

        @Flag(help: "Allow other accounts to use the layer (lambda:GetLayerVersion).")
        var `public` = false

        @Option(help: "With --public: the account (id or ARN) allowed instead of everyone.")
        var principal: String = "*"

        @Option(help: "With --public: restrict to this AWS Organizations id (o-...).")
        var organization: String?

        @Option(name: .customLong("function"), help: "Point this function at the new version (repeatable).")
        var functions: [String] = []

        @Option(help: "Layer description (default names PicoLisp and picolayer).")
        var description: String?

        @Option(help: "Layer licence.")
        var licenseInfo: String = "MIT"

        @Option(help: "Comma-separated compatible runtimes.")
        var compatibleRuntimes: String = "provided.al2023"

        @Option(help: "x86_64 or arm64 (default: read from bin/picolisp in the zip).")
        var arch: Architecture?

        @OptionGroup var aws: AWSOptions

        @OptionGroup var reporting: ReportingOptions

        @Option(help: "Regions published at the same time.")
        var maxConcurrency: Int = 4

        @Flag(help: "Print the result as JSON (region -> ARN, version, CodeSha256).")
        var json = false

        @Flag(help: "Print the signed requests (signatures and secrets redacted) without sending anything.")
        var dryRun = false

        @Flag(help: "Publish even when the newest version already holds this zip.")
        var force = false

        func validate() throws {
            if region != nil && regions != nil { throw ValidationError("Use --region or --regions, not both.") }
            if maxConcurrency < 1 { throw ValidationError("--max-concurrency must be at least 1.") }
            if let layerName, !PublishConfiguration.isValidLayerName(layerName) {
                throw ValidationError(ErrorText.describe(PublishError.invalidLayerName(layerName)))
            }
        }

        func run() async throws {
            let context = aws.context
            let settings = try ProjectSettings.current(environment: context.environment)
            let regionList: [String]
            if regions == nil, region == nil, let listed = settings.strings(.layerRegions, flag: [], "")?.value,
                !listed.isEmpty
            {
                regionList = try listed.map(aws.checked)
            } else {
                regionList = try aws.regions(flag: settings.regionFlag(region), list: regions)
            }
            let layerName =
                settings.string(.layerName, flag: layerName, "--layer-name")?.value
                ?? DeployConfiguration.defaultLayerName
            if !PublishConfiguration.isValidLayerName(layerName) {
                throw ValidationError(ErrorText.describe(PublishError.invalidLayerName(layerName)))
            }
            // Local files before credentials: a missing zip is said before any lookup or request.
            if !FileManager.default.fileExists(atPath: zip) { throw PublishError.zipNotFound(zip) }
            let configuration = PublishConfiguration(
                zipPath: zip, layerName: layerName, regions: regionList, s3Bucket: s3Bucket,
                makePublic: settings.boolean(.layerPublic, flag: `public`, "--public").value,
                principal: principal, organizationId: organization, functions: functions,
                description: settings.string(.layerDescription, flag: description, "--description")?.value,
                licenseInfo: licenseInfo,
                compatibleRuntimes: compatibleRuntimes.split(separator: ",").map { String($0) },
                architecture: arch?.rawValue, force: force, dryRun: dryRun, endpointURL: aws.endpointURL,
                maxConcurrency: maxConcurrency)
            let logger = reporting.logger
            let report = try await aws.withTransport { transport in
                let lookup = aws.lookup(transport: transport, region: regionList.first, logger: logger)
                let credentials: CredentialSource
                do {
                    let resolved = try await CredentialSource.resolvedNow(lookup)
                    credentials = resolved.source
                    logger.debug("credentials: \(resolved.first.source)")
                } catch let error as AWSError where dryRun {
                    logger.warning("\(ErrorText.describe(error))\n(dry run continues with a placeholder key)")
                    credentials = .fixed(
                        AWSCredentials(
                            accessKeyId: "AKIDPLACEHOLDER", secretAccessKey: "placeholder",
                            source: "placeholder for --dry-run"))
                }
                let publisher = Publisher(
                    configuration: configuration, credentials: credentials, environment: context.environment,
                    transport: transport, logger: logger)
                return try await publisher.run()
            }
            printResult(json ? try report.json() : report.table())
            if report.anyFailed { throw ExitCode.failure }
        }
    }
}
