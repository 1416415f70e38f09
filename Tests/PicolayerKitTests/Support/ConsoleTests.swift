import Foundation
import Logging
import PicolayerKit
import Testing

@Suite("the console: one way to report, on stderr, flushed and in order")
struct ConsoleTests {
    /// What `body` writes through a console on a pipe, read back once the writer is closed.
    func captured(_ style: ConsoleLogHandler.Style, _ verbosity: Verbosity, _ body: (Logger) -> Void) throws -> String {
        let pipe = Pipe()
        let sink = ConsoleSink(descriptor: pipe.fileHandleForWriting.fileDescriptor)
        let logger = Logger(label: "test") { _ in ConsoleLogHandler(verbosity: verbosity, style: style, sink: sink) }
        body(logger)
        sink.finishLine()
        try pipe.fileHandleForWriting.close()
        return String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    @Test("levels: --quiet keeps warnings and errors, the default adds progress, --verbose adds the requests")
    func levels() throws {
        let plain = ConsoleLogHandler.Style(timestamps: false, interactive: false)
        func say(_ logger: Logger) {
            logger.debug("GetFunction attempt 1")
            logger.info("zipped fn")
            logger.scoped("eu-west-1").warning("handler names a missing file")
            logger.error("serve: event invocation failed")
        }
        #expect(
            try captured(plain, .quiet, say)
                == "warning: [eu-west-1] handler names a missing file\nerror: serve: event invocation failed\n")
        #expect(
            try captured(plain, .normal, say)
                == "zipped fn\nwarning: [eu-west-1] handler names a missing file\nerror: serve: event invocation failed\n"
        )
        #expect(try captured(plain, .verbose, say).hasPrefix("GetFunction attempt 1\nzipped fn\n"))
    }

    @Test("in CI every line starts with a UTC timestamp; a terminal redraws progress in place")
    func styles() throws {
        let ci = try captured(.detect(environment: ["CI": "true"]), .normal) { logger in
            logger.info("one")
            logger.info("two")
        }
        let lines = ci.split(separator: "\n").map(String.init)
        #expect(lines.count == 2, "\(ci)")
        for (line, word) in zip(lines, ["one", "two"]) {
            #expect(line.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ (one|two)/)?.output.1 == Substring(word))
        }
        #expect(!ConsoleLogHandler.Style.detect(environment: ["CI": "false"]).timestamps)

        let terminal = ConsoleLogHandler.Style(timestamps: false, interactive: true)
        let drawn = try captured(terminal, .normal) { logger in
            let progress = TransferProgress(logger: logger, label: "pil21", total: 100)
            for received in stride(from: Int64(0), through: 100, by: 5) { progress.update(received) }
            logger.info("pil21: downloaded")
        }
        // Eleven steps of 10%, each over the one before, then the finished line over the last of them.
        #expect(drawn.components(separatedBy: "\r\u{1b}[K").count == 12, "\(drawn.debugDescription)")
        #expect(drawn.hasPrefix("pil21: 0% of 100 bytes\r\u{1b}[Kpil21: 10% of 100 bytes"))
        #expect(drawn.hasSuffix("pil21: 100% of 100 bytes\r\u{1b}[Kpil21: downloaded\n"))

        let logged = try captured(.init(timestamps: false, interactive: false), .normal) { logger in
            let progress = TransferProgress(logger: logger, label: "pil21", total: 1000)
            for received in stride(from: Int64(0), through: 1000, by: 1) { progress.update(received) }
        }
        #expect(logged.split(separator: "\n").count == 11, "a log gets a line every 10%, not every byte")
    }

    @Test("colour only on a terminal, never with NO_COLOR or TERM=dumb; only the warning: and error: prefixes")
    func colour() throws {
        #expect(ConsoleLogHandler.Style.detect(environment: ["TERM": "xterm"], terminal: true).colour)
        #expect(ConsoleLogHandler.Style.detect(environment: [:], terminal: true).colour)
        #expect(ConsoleLogHandler.Style.detect(environment: ["NO_COLOR": ""], terminal: true).colour)
        #expect(!ConsoleLogHandler.Style.detect(environment: ["NO_COLOR": "1"], terminal: true).colour)
        #expect(!ConsoleLogHandler.Style.detect(environment: ["NO_COLOR": "no"], terminal: true).colour)
        #expect(!ConsoleLogHandler.Style.detect(environment: ["TERM": "dumb"], terminal: true).colour)
        #expect(!ConsoleLogHandler.Style.detect(environment: ["TERM": "xterm"], terminal: false).colour)
        // CI on a terminal: timestamps, no redraw, but still colour.
        let ci = ConsoleLogHandler.Style.detect(environment: ["CI": "true"], terminal: true)
        #expect(ci.timestamps && !ci.interactive && ci.colour)

        let painted = ConsoleLogHandler.Style(timestamps: false, interactive: true, colour: true)
        let said = try captured(painted, .normal) { logger in
            logger.info("zipped fn")
            logger.scoped("eu-west-1").warning("handler names a missing file")
            logger.error("serve: event invocation failed")
        }
        #expect(
            said
                == "zipped fn\n\u{1b}[33mwarning:\u{1b}[0m [eu-west-1] handler names a missing file\n"
                + "\u{1b}[31merror:\u{1b}[0m serve: event invocation failed\n")
    }

    @Test("through a pipe, picolayer's results (stdout) and warnings (stderr) arrive whole and in order")
    func pipeOrder() async throws {
        let binary = try picolayerExecutable()
        try await withTemporaryDirectory { root in
            let tree = try makeTreeThatWarns(in: root)
            let zip = root.appendingPathComponent("layer.zip").path
            let script = "\"$0\" package \"$1\" -o \"$2\" \"$3\" 2>&1"
            let merged = try await runTool(
                ["sh", "-c", script, binary, tree.path, zip, "--json"], environment: ["CI": "true"])
            #expect(merged.status == 0, "\(merged.stderr)")
            let lines = merged.stdout.split(separator: "\n").map(String.init)
            #expect(lines.count == 2, "\(merged.stdout)")
            // The result first, as one JSON document on its own line, not timestamped: it is data.
            #expect(lines.first?.hasPrefix("{") == true && lines.first?.hasSuffix("}") == true, "\(lines)")
            #expect(
                lines.last?.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ warning: outside is a symbolic link .*/)
                    != nil, "\(lines)")

            let quiet = try await runTool([binary, "package", tree.path, "-o", zip, "--quiet"])
            #expect(quiet.status == 0)
            #expect(quiet.stderr.contains("warning: outside is a symbolic link"), "warnings stay with --quiet")
            #expect(quiet.stdout.hasPrefix(zip + "\n  entries"), "the summary is a result: \(quiet.stdout)")
        }
    }
}
