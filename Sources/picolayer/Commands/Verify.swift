import ArgumentParser
import FoundationEssentials
import Logging
import PicolayerKit

#if canImport(Glibc)
    import Glibc
#endif

extension Picolayer {
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a layer folder or zip before upload and list every finding with what to do.",
            discussion: """
                Checks: bootstrap at the root, executable, with a shebang and no CRLF; bin/picolisp is an ELF of \
                the right architecture; every ELF needs at most the target's glibc and only libraries the target \
                image or the layer's lib/ holds; no link leaves the layer (except lib/NAME to a library of the \
                target in /usr/lib64 or /lib64); sizes within Lambda's limits. Exits non-zero on any error.

                A zip is treated as untrusted: its names, sizes and offsets are checked before anything is \
                unpacked, into a private scratch folder, and never through a link.

                The live check runs the layer's own bootstrap (code from the layer, with your user's rights) on \
                a private scratch copy, under bubblewrap (bwrap) when it works here: file system read-only \
                except a private /tmp, no capabilities, only loopback needed. Without bwrap it runs unconfined \
                (one line says so). Use --no-live-check for a layer you do not trust. See docs/security.md.
                """)

        @Argument(help: "A staged layer folder or a layer zip.")
        var layer = "build/layer"
        @Option(help: "Lambda base image the layer is for: provided.al2023 or provided.al2.")
        var target: LambdaTarget = .al2023
        @Option(
            help: ArgumentHelp(
                "Layer architecture: x86_64 or arm64 (default: read from the ELF header of the layer's "
                    + "picoLisp/bin/picolisp, else this machine's)."))
        var arch: Architecture?
        @Flag(help: "Skip running a test event through the layer's own bootstrap under the emulator.")
        var noLiveCheck = false
        @Flag(help: "Print the result as one JSON object (docs/json.md).")
        var json = false
        @OptionGroup var reporting: ReportingOptions

        func run() async throws {
            let logger = reporting.logger
            // Ctrl-C or SIGTERM: remove the scratch folders (unpacked zip, live check copy) before exiting.
            let interrupt = Task {
                guard let signal = await Interrupt.wait() else { return }
                ScratchFolders.removeAll()
                logger.warning("picolayer verify: \(signal): stopped, scratch removed")
                Glibc.exit(130)
            }
            defer { interrupt.cancel() }
            let url = URL(fileURLWithPath: layer)
            let (architecture, source) = architecture(logger: logger)
            let verifier = LayerVerifier(
                target: target, architecture: architecture,
                liveCheck: noLiveCheck ? nil : LayerLiveCheck.reporting(to: logger))
            let report = try await verifier.verify(layerAt: url)
            if json {
                printResult(try report.json(layer: layer, target: target, architecture: architecture))
                if !report.passed { throw ExitCode.failure }
                return
            }
            printVerification(report)
            if !report.passed {
                printResult(
                    "verify: \(report.errors.count) error(s) in \(layer) for \(target.rawValue) "
                        + "\(architecture.rawValue) (\(source))")
                throw ExitCode.failure
            }
            printResult("verify: \(layer) passed for \(target.rawValue) \(architecture.rawValue) (\(source))")
        }

        /// `--arch`, else the architecture of the layer's interpreter, else this machine's; and which it was.
        func architecture(logger: Logger) -> (Architecture, String) {
            if let arch { return (arch, "--arch") }
            do {
                return (try LayerArchitecture.of(layerAt: layer), "read from its interpreter")
            } catch {
                let host = Architecture.host.rawValue
                logger.info("cannot tell the architecture of \(error.path): \(error.reason); checking for \(host)")
                return (.host, "this machine's")
            }
        }
    }
}
