import Foundation
import Testing

@testable import PicolayerKit

/// picolayer's stderr as a person on a terminal and a CI log see it: the same commands run once in a
/// pseudo-terminal (util-linux `script`) and once through pipes.
@Suite("terminal and pipe output of real commands")
struct TerminalOutputTests {
    static let script = ProcessRunner.locate("script", environment: testEnvironment)
    static let yellow = ConsoleLogHandler.Colour.yellow + "warning:" + ConsoleLogHandler.Colour.reset

    /// The argv as one `sh` word list, each argument in single quotes (what `script -c` wants).
    static func shellWords(_ arguments: [String]) -> String {
        arguments.map { "'" + $0.replacing("'", with: "'\\''") + "'" }.joined(separator: " ")
    }

    /// Runs picolayer with `arguments` in a pseudo-terminal; its stdout and stderr as the terminal showed them.
    func inTerminal(_ arguments: [String], environment: [String: String] = [:]) throws -> String {
        let script = try #require(Self.script)
        let command = Self.shellWords([try picolayerExecutable()] + arguments)
        let run = try runTool(
            [script, "-q", "-e", "-c", command, "/dev/null"],
            environment: testEnvironment.merging(["TERM": "xterm"].merging(environment) { _, new in new }) {
                _, new in new
            })
        return run.stdout
    }

    /// Runs picolayer with `arguments` through pipes.
    func throughPipes(_ arguments: [String], environment: [String: String] = [:]) throws -> ToolRun {
        try runTool([try picolayerExecutable()] + arguments, environment: testEnvironment.merging(environment) { $1 })
    }

    /// The three commands: `package` of a tree with a link leaving it (a warning), `verify --no-live-check` of a
    /// tree without an interpreter (info lines and findings), `invoke` of a shell bootstrap (the log stream).
    func commands(in root: URL, function: TemporaryFunction) throws -> [[String]] {
        let tree = root.appendingPathComponent("tree")
        try FileManager.default.createDirectory(at: tree, withIntermediateDirectories: true)
        try Data("#!/bin/sh\n".utf8).write(to: tree.appendingPathComponent("bootstrap"))
        try FileManager.default.createSymbolicLink(
            atPath: tree.appendingPathComponent("outside").path, withDestinationPath: "/etc/hostname")
        _ = try function.writeExecutable(LocalLambdaTests.echoRuntime, in: "layer")
        let event = root.appendingPathComponent("event.json")
        try Data(#"{"q":1}"#.utf8).write(to: event)
        return [
            ["package", tree.path, "-o", root.appendingPathComponent("tree.zip").path],
            ["verify", tree.path, "--no-live-check"],
            [
                "invoke", "--handler", "h.f", "--task-root", function.taskRoot, "--layer", function.layer,
                "--event", event.path,
            ],
        ]
    }

    @Test(
        "on a terminal warnings are yellow (not with NO_COLOR=1); through a pipe no colour, no \\r, whole lines",
        .enabled(if: script != nil, "skipped: util-linux `script` is not on PATH, so no pseudo-terminal"))
    func terminalAndPipe() async throws {
        try await withTemporaryDirectory { root in
            let function = try TemporaryFunction()
            defer { function.cleanUp() }
            let commands = try commands(in: root, function: function)
            let package = commands[0]

            let coloured = try inTerminal(package)
            #expect(coloured.contains(Self.yellow + " outside is a symbolic link"), "\(coloured.debugDescription)")
            let plain = try inTerminal(package, environment: ["NO_COLOR": "1"])
            #expect(plain.contains("warning: outside is a symbolic link"), "\(plain.debugDescription)")
            #expect(!plain.contains("\u{1b}["), "\(plain.debugDescription)")
            let dumb = try inTerminal(package, environment: ["TERM": "dumb"])
            #expect(!dumb.contains("\u{1b}[3"), "\(dumb.debugDescription)")

            for arguments in commands {
                let piped = try throughPipes(arguments)
                for (name, text) in [("stdout", piped.stdout), ("stderr", piped.stderr)] {
                    #expect(!text.contains("\u{1b}"), "\(arguments[0]) \(name): \(text.debugDescription)")
                    #expect(!text.contains("\r"), "\(arguments[0]) \(name): \(text.debugDescription)")
                }
                // invoke's stdout is the response payload, byte for byte; everything on stderr is whole lines.
                #expect(piped.stderr.isEmpty || piped.stderr.hasSuffix("\n"), "\(arguments[0]) ends inside a line")
            }
            // Every command runs on a terminal too, and shows there what it shows in a log.
            for (arguments, marker) in zip(commands, ["zipped", "verify: ", "REPORT RequestId: "]) {
                let shown = try inTerminal(arguments)
                #expect(shown.contains(marker), "\(arguments[0]): \(shown.debugDescription)")
            }
            let packaged = try throughPipes(package).stderr.split(separator: "\n").map(String.init)
            #expect(packaged.first?.hasPrefix("warning: outside is a symbolic link") == true, "\(packaged)")
            let invoked = try throughPipes(commands[2]).stderr.split(separator: "\n").map(String.init)
            let order = ["init pid ", "START RequestId: ", "handling ", "END RequestId: ", "REPORT RequestId: "]
            #expect(invoked.count == order.count, "\(invoked)")
            for (line, prefix) in zip(invoked, order) { #expect(line.hasPrefix(prefix), "\(invoked)") }
        }
    }

    @Test("with CI=true every line picolayer writes on stderr starts with a UTC timestamp")
    func ciTimestamps() async throws {
        try await withTemporaryDirectory { root in
            let function = try TemporaryFunction()
            defer { function.cleanUp() }
            let commands = try commands(in: root, function: function)
            for arguments in commands.prefix(2) {
                let run = try throughPipes(arguments + ["--verbose"], environment: ["CI": "true"])
                let lines = run.stderr.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
                #expect(!lines.isEmpty, "\(arguments[0]) says something on stderr")
                for line in lines {
                    #expect(
                        line.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ .+/) != nil, "\(arguments[0]): \(line)")
                }
            }
        }
    }
}
