import ArgumentParser
import PicolayerKit

#if canImport(Glibc)
    import Glibc
#endif

@main
struct Picolayer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "picolayer",
        abstract: "Build, package, run and publish PicoLisp on AWS Lambda.",
        version: PicolayerVersion.current,
        subcommands: [
            Build.self, Package.self, Verify.self, Publish.self, Deploy.self, Layers.self, Whoami.self, Invoke.self,
            Serve.self, Completions.self,
        ]
    )
}
