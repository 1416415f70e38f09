import Foundation
import Testing

@Suite("picolayer test: a folder of cases through one warm runtime")
struct TestCommandTests {
    static let handler = """
        # Counts the invocations of this runtime; {"zero": ...} divides by zero.
        (setq *N 0)

        (de handler (Event Headers)
           (if (assoc "zero" Event) (/ 1 0) (inc '*N)) )

        """

    func write(_ text: String, _ path: String) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    @Test("state is kept across cases, an expected error passes, a wrong answer fails with a diff, --update records")
    func cases() async throws {
        let binary = try picolayerExecutable()
        try await withTemporaryDirectory { root in
            let project = root.path
            let env = [
                "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
                "XDG_CACHE_HOME": root.path + "/cache",
            ]
            try write(Self.handler, project + "/main.l")
            try write(#"{"zero":1}"# + "\n", project + "/tests/a-div.event.json")
            try write("Function.Div\n", project + "/tests/a-div.error")
            try write(
                #"{"event":{},"expected":1}"# + "\n" + #"{"event":{"n":2},"expected":2}"# + "\n",
                project + "/tests/counter.jsonl")
            let arguments = [binary, "test", "--handler", "main.handler", "-q"]
            let passing = try await runTool(arguments, in: project, environment: env)
            #expect(passing.status == 0, "\(passing.stdout)\(passing.stderr)")
            #expect(passing.stdout == "ok    a-div\nok    counter:1\nok    counter:2\n3 passed, 0 failed\n")

            // The runtime is one: a third counter case sees 3, and one that expects 1 again fails.
            try write(
                #"{"event":{},"expected":1}"# + "\n" + #"{"event":{},"expected":2}"# + "\n"
                    + #"{"event":{},"expected":1}"# + "\n", project + "/tests/counter.jsonl")
            let failing = try await runTool(arguments, in: project, environment: env)
            #expect(failing.status == 1)
            #expect(
                failing.stdout.contains("FAIL  counter:3\n      expected: 1\n      got:      3\n"), "\(failing.stdout)")
            #expect(failing.stdout.hasSuffix("3 passed, 1 failed\n"), "\(failing.stdout)")
            try write("Function.Other\n", project + "/tests/a-div.error")
            let wrongError = try await runTool(arguments, in: project, environment: env)
            #expect(wrongError.stdout.contains("expected: error Function.Other\n      got:      error Function.Div"))

            // --update records what each case gave; then everything passes.
            try FileManager.default.removeItem(atPath: project + "/tests/a-div.error")
            try write(#"{"name":"x"}"# + "\n", project + "/tests/b-new.event.json")
            let missing = try await runTool(arguments, in: project, environment: env)
            #expect(missing.stdout.contains("b-new: no expected answer yet"), "\(missing.stdout)")
            let updated = try await runTool(arguments + ["--update"], in: project, environment: env)
            #expect(updated.status == 0, "\(updated.stderr)")
            #expect(try String(contentsOfFile: project + "/tests/a-div.error", encoding: .utf8) == "Function.Div\n")
            #expect(try String(contentsOfFile: project + "/tests/b-new.expected.json", encoding: .utf8) == "1\n")
            let counter = try String(contentsOfFile: project + "/tests/counter.jsonl", encoding: .utf8)
            #expect(
                counter == #"{"event":{},"expected":2}"# + "\n" + #"{"event":{},"expected":3}"# + "\n"
                    + #"{"event":{},"expected":4}"# + "\n", "\(counter)")
            let again = try await runTool(arguments, in: project, environment: env)
            #expect(again.status == 0, "\(again.stdout)")
            #expect(again.stdout.hasSuffix("5 passed, 0 failed\n"))
        }
    }

    @Test("a folder without cases, and a sequence line that is not a case, are errors naming the file")
    func badFolders() async throws {
        let binary = try picolayerExecutable()
        try await withTemporaryDirectory { root in
            try write(Self.handler, root.path + "/main.l")
            try FileManager.default.createDirectory(atPath: root.path + "/tests", withIntermediateDirectories: true)
            let empty = try await runTool([binary, "test", "--handler", "main.handler"], in: root.path)
            #expect(empty.status == 1 && empty.stderr.contains("tests: holds no cases"), "\(empty.stderr)")
            try write("[1,2]\n", root.path + "/tests/x.jsonl")
            let bad = try await runTool([binary, "test", "--handler", "main.handler"], in: root.path)
            #expect(bad.status == 1 && bad.stderr.contains("tests/x.jsonl:1: expected {"), "\(bad.stderr)")
        }
    }
}
