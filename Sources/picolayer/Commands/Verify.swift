import ArgumentParser
import Foundation
import PicolayerKit

extension Picolayer {
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a layer folder or zip before upload and list every finding with what to do.",
            discussion: """
                Checks: bootstrap at the root, executable, with a shebang and no CRLF; bin/picolisp is an ELF of \
                the right architecture; every ELF needs at most the target's glibc and only libraries the target \
                image or the layer's lib/ holds; sizes within Lambda's limits. Exits non-zero on any error.
                """)

        @Argument(help: "A staged layer folder or a layer zip.")
        var layer = "build/layer"
        @Option(help: "Lambda base image the layer is for: provided.al2023 or provided.al2.")
        var target: LambdaTarget = .al2023
        @Option(help: "Layer architecture: x86_64 or arm64.")
        var arch: Architecture = .host
        @Flag(help: "Skip running a test event through the layer under the emulator.")
        var noLiveCheck = false

        func run() async throws {
            TemporaryPaths.shared.removeOnSignals()
            let url = URL(fileURLWithPath: layer)
            let verifier = LayerVerifier(
                target: target, architecture: arch, liveCheck: noLiveCheck ? nil : LayerLiveCheck.run)
            let report = try await verifier.verify(layerAt: url)
            printVerification(report)
            if !report.passed {
                print("verify: \(report.errors.count) error(s) in \(layer)")
                throw ExitCode.failure
            }
            print("verify: \(layer) passed for \(target.rawValue) \(arch.rawValue)")
        }
    }
}
