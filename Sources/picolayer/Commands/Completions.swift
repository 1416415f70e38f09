import ArgumentParser
import PicolayerKit

extension Picolayer {
    struct Completions: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the shell completion script for bash, zsh or fish.",
            discussion: """
                bash: picolayer completions bash > ~/.local/share/bash-completion/completions/picolayer. \
                zsh: picolayer completions zsh > "${fpath[1]}/_picolayer". \
                fish: picolayer completions fish > ~/.config/fish/completions/picolayer.fish.
                """)

        enum Shell: String, ExpressibleByArgument, CaseIterable {
            case bash, zsh, fish
        }

        @Argument(help: "The shell: bash, zsh or fish.")
        var shell: Shell

        func run() throws {
            guard let completionShell = CompletionShell(rawValue: shell.rawValue) else {
                throw ValidationError("swift-argument-parser cannot write completions for \(shell.rawValue).")
            }
            let script = Picolayer.completionScript(for: completionShell)
            StandardStreams.writeOutput(script.hasSuffix("\n") ? script : script + "\n")
        }
    }
}
