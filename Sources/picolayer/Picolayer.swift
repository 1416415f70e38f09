import ArgumentParser
import FoundationEssentials
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
            Serve.self, Test.self, Logs.self, Config.self, New.self, Completions.self,
        ]
    )

    /// swift-argument-parser's own `main`, with three errors worded for people (all usage errors, exit 64): a
    /// mistyped command gets "Did you mean ...?", an unknown region names the closest known one, and a variable
    /// Lambda sets itself (from --env-file or picolayer.toml) is refused as it is in --env. Every other error and
    /// exit status is swift-argument-parser's.
    static func main() async {
        let command: any ParsableCommand
        do {
            command = try await asyncParseAsRoot()
        } catch {
            if let message = unknownCommandMessage(CommandLine.arguments.dropFirst().first) {
                usageError(message)
            }
            fail(error)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                var command = command
                try command.run()
            }
        } catch let error as AWSError {
            if case .unknownRegion = error { usageError(ErrorText.describe(error)) }
            fail(error)
        } catch EmulatorError.reservedVariable(let name), DeployError.reservedVariable(let name) {
            // From --env-file or picolayer.toml: a usage error too, as the same variable in --env.
            usageError(LambdaLimits.reservedVariable(name))
        } catch {
            fail(error)
        }
    }

    /// Whether the command line asks for JSON: then errors are JSON too.
    static var wantsJSON: Bool { CommandLine.arguments.dropFirst().contains("--json") }

    /// Exits for `error` as swift-argument-parser does; with `--json`, the error is also one JSON document on
    /// stdout (`{"error":{"message","exitCode"}}`, docs/json.md). Help, `--version` and an
    /// `ExitCode` thrown after the result was printed stay as they are.
    static func fail(_ error: any Error) -> Never {
        let code = exitCode(for: error)
        guard wantsJSON, !(error is ExitCode), code != .success else { exit(withError: error) }
        let message = error is LocalizedError ? ErrorText.describe(error) : self.message(for: error)
        let document: JSONValue = [
            "error": ["message": .string(message), "exitCode": .number(Double(code.rawValue))]
        ]
        printResult((try? JSONOutput.encode(document)) ?? #"{"error":{}}"#)
        // And the same words on stderr, for the person reading a CI log.
        StandardStreams.writeError("Error: \(message)\n")
        exit(withError: ExitCode(code.rawValue))
    }

    /// The names `picolayer COMMAND` accepts, aliases and `help` included.
    static var commandNames: [String] {
        configuration.subcommands.flatMap { [$0._commandName] + $0.configuration.aliases } + ["help"]
    }

    /// For a first argument that is neither an option nor a command: the closest command, or the list of them.
    static func unknownCommandMessage(_ argument: String?) -> String? {
        guard let argument, !argument.hasPrefix("-"), !commandNames.contains(argument) else { return nil }
        if let guess = Suggestion.closest(to: argument, among: commandNames.filter { $0 != "help" }) {
            return "unknown command '\(argument)'. Did you mean '\(guess)'?"
        }
        let names = configuration.subcommands.map { $0._commandName }.joined(separator: ", ")
        return "unknown command '\(argument)'. The commands are: \(names) (picolayer help COMMAND for each)."
    }

    /// `error: MESSAGE` on stderr, then exit 64 (EX_USAGE, as swift-argument-parser's usage errors).
    static func usageError(_ message: String) -> Never {
        if wantsJSON { fail(ValidationError(message)) }
        StandardStreams.writeError("error: \(message)\n")
        exit(withError: ExitCode.validationFailure)
    }
}
