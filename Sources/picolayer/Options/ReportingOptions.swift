import ArgumentParser
import FoundationEssentials
import Logging
import PicolayerKit

/// How much every command says on stderr; results always go to stdout. One meaning for every command:
/// `--quiet` leaves results, warnings and errors; `--verbose` adds each request attempt and which credential
/// source answered. Lines are written as they happen; with `CI` set each starts with a UTC timestamp.
struct ReportingOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Print only results, warnings and errors: no progress on stderr.")
    var quiet = false

    @Flag(help: "Also print each request attempt and which credential source answered, on stderr.")
    var verbose = false

    func validate() throws {
        if quiet && verbose { throw ValidationError("Pass --quiet or --verbose, not both.") }
    }

    var verbosity: Verbosity { quiet ? .quiet : (verbose ? .verbose : .normal) }

    /// The command's logger: stderr, at the level `--quiet`/`--verbose` chose.
    var logger: Logger {
        ConsoleLogHandler.logger(verbosity: verbosity, environment: ProcessInfo.processInfo.environment)
    }
}

/// A result line on stdout, after ending any progress line the console left on the terminal.
func printResult(_ text: String) {
    ConsoleSink.standardError.finishLine()
    StandardStreams.writeOutput(text + "\n")
}
