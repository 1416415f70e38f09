import ArgumentParser
import FoundationEssentials
import Logging
import PicolayerKit

#if canImport(Glibc)
    import Glibc
#endif

extension Picolayer {
    struct Package: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Zip a staged layer tree into a reproducible layer zip.",
            discussion: """
                Entries are sorted, modes normalised (0755 for folders and executables, 0644 otherwise), \
                symbolic links kept as links, and every timestamp is SOURCE_DATE_EPOCH (or 1980-01-01). \
                The zip is written beside the target and renamed into place only when complete. \
                picolayer's default ignore rules (.git/, .env, editor backups, ...), the folder's .picolayerignore, \
                then --exclude and --include leave paths out (gitignore syntax; see docs/package.md).
                """
        )

        @Argument(help: "The staged layer folder.", completion: .directory)
        var directory: String = "build/layer"

        @Option(name: .shortAndLong, help: "Where to write the zip.")
        var output: String = "picolisp.zip"

        @Option(help: "Compression level, 0 (store) to 9.")
        var level: Int = 6

        @Option(help: "Chunks compressed at once (default: every core). Never changes the output.")
        var threads: Int?

        @OptionGroup var ignore: IgnoreFlags

        @Flag(help: "Apply no ignore rule at all: not the defaults, not .picolayerignore.")
        var noIgnore = false

        @Flag(help: "Print the report as one JSON object.")
        var json = false

        @OptionGroup var reporting: ReportingOptions

        func validate() throws {
            guard (0...9).contains(level) else {
                throw ValidationError("--level must be from 0 to 9, not \(level).")
            }
            if let threads, threads < 1 { throw ValidationError("--threads must be at least 1.") }
            if noIgnore && !ignore.options.isEmpty {
                throw ValidationError("--no-ignore switches every rule off; drop it or drop --exclude and --include.")
            }
        }

        func run() async throws {
            TemporaryPaths.shared.removeOnSignals()
            let environment = ProcessInfo.processInfo.environment
            var options = ZipOptions(level: level, timestamp: try sourceDateEpoch(environment))
            if let threads { options.threads = threads }
            let root = URL(fileURLWithPath: directory)
            let rules = noIgnore ? nil : try IgnoreRules.forTree(root: root, options: ignore.options)
            var report = try await ZipWriter(options: options).write(
                directory: root, to: URL(fileURLWithPath: output), ignoring: rules)
            // The zip is named as the user gave it (`picolisp.zip`, not this machine's absolute path).
            report.path = output
            printResult(json ? try report.jsonString() : report.summary)
            let logger = reporting.logger
            for warning in report.warnings {
                logger.warning("\(warning)")
            }
        }

        private func sourceDateEpoch(_ environment: [String: String]) throws -> Int64? {
            guard let value = environment["SOURCE_DATE_EPOCH"], !value.isEmpty else { return nil }
            guard let seconds = Int64(value), seconds >= 0 else {
                throw ValidationError("SOURCE_DATE_EPOCH must be a whole number of seconds since 1970, not '\(value)'.")
            }
            return seconds
        }
    }
}
