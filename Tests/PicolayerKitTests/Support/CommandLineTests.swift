import Foundation
import Testing

/// The program `name` on PATH, nil when it is not installed.
func installedProgram(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
}

@Suite("picolayer's command line: completions and did-you-mean")
struct CommandLineTests {
    static let commands = [
        "build", "package", "verify", "publish", "deploy", "layers", "whoami", "invoke", "serve", "completions",
    ]

    @Test(
        "completions SHELL prints a script its shell accepts that names every command",
        arguments: ["bash", "zsh", "fish"])
    func completions(shell: String) throws {
        let run = try runTool([try picolayerExecutable(), "completions", shell])
        #expect(run.status == 0, "\(run.stderr)")
        for command in Self.commands { #expect(run.stdout.contains(command), "\(shell) script lacks \(command)") }
        guard let program = installedProgram(shell) else {
            print("skipped: \(shell) is not installed, so its syntax check (\(shell) -n) was not run")
            return
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("picolayer-completion-\(UUID())")
        try Data(run.stdout.utf8).write(to: scratch)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let check = try runTool([program, "-n", scratch.path])
        #expect(check.status == 0, "\(shell) -n: \(check.stderr)")
    }

    @Test("completions with another shell is a usage error")
    func completionsUnknownShell() throws {
        let run = try runTool([try picolayerExecutable(), "completions", "tcsh"])
        #expect(run.status == 64)
    }

    @Test(
        "a mistyped command: exit 64 and the closest command, or the list of them",
        arguments: [
            ("publsh", "error: unknown command 'publsh'. Did you mean 'publish'?\n"),
            ("dploy", "error: unknown command 'dploy'. Did you mean 'deploy'?\n"),
            ("lay", "error: unknown command 'lay'. Did you mean 'layers'?\n"),
            (
                "frobnicate",
                "error: unknown command 'frobnicate'. The commands are: build, package, verify, publish, deploy, "
                    + "layers, whoami, invoke, serve, test, logs, config, new, completions (picolayer help COMMAND for each).\n"
            ),
        ])
    func didYouMean(argument: String, expected: String) throws {
        let run = try runTool([try picolayerExecutable(), argument, "--region", "eu-west-1"])
        #expect(run.status == 64)
        #expect(run.stderr == expected)
        #expect(run.stdout.isEmpty)
    }

    @Test(
        "other usage errors stay swift-argument-parser's",
        arguments: [["--bogus"], ["publish", "--bogus"], ["layers", "--region"], ["layers", "extra"]])
    func otherErrors(arguments: [String]) throws {
        let run = try runTool([try picolayerExecutable()] + arguments)
        #expect(run.status == 64, "\(run.stderr)")
        #expect(run.stderr.hasPrefix("Error: "), "\(run.stderr)")
        #expect(!run.stderr.contains("Did you mean"))
    }

    @Test("--version, --help and a known command's --help still exit 0")
    func helpAndVersion() throws {
        for arguments in [["--version"], ["--help"], ["layers", "--help"], ["help", "layers"]] {
            let run = try runTool([try picolayerExecutable()] + arguments)
            #expect(run.status == 0, "\(arguments): \(run.stderr)")
            #expect(!run.stdout.isEmpty)
        }
    }
}
