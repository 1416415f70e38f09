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

    /// A credential lookup over `transport`; with `--verbose`, the providers' network calls are traced.
    func lookup(transport: HTTPTransport, region: String?) -> CredentialLookup {
        var trace: (@Sendable (String) -> Void)?
        if verbose { trace = { line in printError("[credentials] \(line)") } }
        return CredentialLookup(context: context, transport: transport, regionFlag: region, trace: trace)
    }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
