import ArgumentParser
import Foundation
import PicolayerKit

/// The AWS settings `publish`, `deploy` and `whoami` share: which profile, which endpoint, how much to say.
struct AWSOptions: ParsableArguments {
    @Option(help: "Named profile of ~/.aws/config and ~/.aws/credentials (default: AWS_PROFILE, then default).")
    var profile: String?

    @Option(help: "Send requests to this URL instead of the AWS endpoints (e.g. a local moto server).")
    var endpointURL: String?

    @Flag(help: "Print progress and each request attempt to stderr.")
    var verbose = false

    /// The process's view of the AWS configuration (environment read once, here).
    var context: AWSConfigContext {
        AWSConfigContext(environment: ProcessInfo.processInfo.environment, explicitProfile: profile)
    }

    /// With `--verbose`, a trace writing each line to stderr after `prefix`; otherwise none.
    func trace(prefix: String = "") -> (@Sendable (String) -> Void)? {
        guard verbose else { return nil }
        return { line in printError(prefix + line) }
    }

    /// A credential lookup over `transport`; with `--verbose`, the providers' network calls are traced.
    func lookup(transport: HTTPTransport, region: String?) -> CredentialLookup {
        CredentialLookup(
            context: context, transport: transport, regionFlag: region, trace: trace(prefix: "[credentials] "))
    }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
