import Foundation
import Logging
import Synchronization
import Testing

@testable import PicolayerKit

/// The compile's output: whole in the log file, on the console as it comes, without flooding a CI log.
@Suite("compile progress")
struct CompileProgressTests {
    /// What `body` logs through a console of `style` on a pipe.
    func console(_ style: ConsoleLogHandler.Style, _ verbosity: Verbosity, _ body: (Logger) async throws -> Void)
        async throws -> String
    {
        let pipe = Pipe()
        let sink = ConsoleSink(descriptor: pipe.fileHandleForWriting.fileDescriptor)
        let logger = Logger(label: "test") { _ in ConsoleLogHandler(verbosity: verbosity, style: style, sink: sink) }
        try await body(logger)
        sink.finishLine()
        try pipe.fileHandleForWriting.close()
        return String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    static let terminal = ConsoleLogHandler.Style(timestamps: false, interactive: true)
    static let log = ConsoleLogHandler.Style(timestamps: false, interactive: false)

    /// A clock that moves only when told.
    final class FakeClock: Sendable {
        let start = ContinuousClock.now
        let offset = Mutex(Duration.zero)
        func advance(_ by: Duration) { offset.withLock { $0 += by } }
        var now: @Sendable () -> ContinuousClock.Instant { { [self] in start + offset.withLock { $0 } } }
    }

    @Test("in a log: each line at debug only, one info summary every 10 s of compiling")
    func summaries() async throws {
        let clock = FakeClock()
        let said = try await console(Self.log, .normal) { logger in
            let progress = CompileProgress(logger: logger, label: "pil21", now: clock.now)
            for index in 1...30 {
                progress.line("cc \(index).c")
                clock.advance(.seconds(1))
            }
        }
        // Lines 11 and 21 come 10 s after the last summary (the start, then line 11).
        #expect(
            said
                == "pil21: compiling... 11 lines, last: cc 11.c\npil21: compiling... 21 lines, last: cc 21.c\n")

        let verbose = try await console(Self.log, .verbose) { logger in
            let progress = CompileProgress(logger: logger, label: "pil21", now: clock.now)
            progress.line("one")
            progress.line("two")
        }
        #expect(verbose == "pil21 | one\npil21 | two\n")
    }

    @Test("on a terminal: only the latest line, redrawn in place; no summaries")
    func terminal() async throws {
        let clock = FakeClock()
        let drawn = try await console(Self.terminal, .normal) { logger in
            let progress = CompileProgress(logger: logger, label: "pil21", now: clock.now)
            for index in 1...3 {
                progress.line("cc \(index).c")
                clock.advance(.seconds(20))
            }
            logger.info("pil21: built")
        }
        #expect(drawn == "pil21: cc 1.c\r\u{1b}[Kpil21: cc 2.c\r\u{1b}[Kpil21: cc 3.c\r\u{1b}[Kpil21: built\n")

        // A long command line is cut to the terminal's width (80 when it does not say), so it can be redrawn.
        let long = "clang-14 " + String(repeating: "-Iinclude ", count: 30) + "-c base.c"
        let cut = try await console(Self.terminal, .normal) { logger in
            CompileProgress(logger: logger, label: "pil21", now: clock.now).line(long)
        }
        #expect(cut == "pil21: " + long.prefix(79 - 3 - 7) + "...\n")
    }

    /// A compile script: `lines` lines on stdout and stderr, a last line without a newline, then `exit status`
    /// (having made bin/picolisp when 0).
    static func script(lines: Int, status: Int) -> [UInt8] {
        Array(
            """
            i=1
            while [ $i -le \(lines) ]; do echo "step $i"; [ $((i % 3)) -eq 0 ] && echo "warning $i" >&2; i=$((i + 1)); done
            mkdir -p "$2/pil21/bin" && cp /bin/true "$2/pil21/bin/picolisp"
            printf 'done'
            exit \(status)

            """.utf8)
    }

    func compile(_ script: [UInt8], in root: URL, logger: Logger) async throws -> PilCompiler.Output {
        let source = root.appendingPathComponent("src")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        let configuration = BuildConfiguration(
            projectDirectory: root, engine: .none, cacheDirectory: root.appendingPathComponent("cache"),
            environment: testEnvironment)
        let compiler = PilCompiler(
            configuration: configuration, runner: ProcessRunner(environment: testEnvironment), logger: logger)
        let fetched = FetchedSource(
            name: "pil21", origin: source.path, url: source, isDirectory: true, sha256: "\(UUID())")
        return try await compiler.compile(source: fetched, script: script)
    }

    @Test("a compile's lines reach the console as they come, in order, and the log file keeps all of them")
    func streamedCompile() async throws {
        try await withTemporaryDirectory { root in
            let said = try await console(Self.log, .verbose) { logger in
                let output = try await compile(Self.script(lines: 12, status: 0), in: root, logger: logger)
                let log = try String(contentsOf: output.directory.appendingPathComponent("build.log"), encoding: .utf8)
                #expect(log.hasPrefix("step 1\nstep 2\nstep 3\n"))
                #expect(log.hasSuffix("step 12\nwarning 12\ndone"))
                #expect(log.components(separatedBy: "\n").count == 17)
            }
            let lines = said.split(separator: "\n").map(String.init).filter { $0.hasPrefix("pil21 | ") }
            #expect(lines.count == 17, "\(said)")
            #expect(lines.first == "pil21 | step 1")
            #expect(lines.last == "pil21 | done")
            #expect(lines.firstIndex(of: "pil21 | warning 3") == lines.firstIndex(of: "pil21 | step 3").map { $0 + 1 })
            #expect(said.hasPrefix("pil21: compiling on this machine\n"))
            #expect(said.split(separator: "\n").last?.hasPrefix("pil21: built ") == true)
        }
    }

    @Test("a failing compile still fails with the last 25 lines of the log, which is kept whole")
    func failedCompile() async throws {
        try await withTemporaryDirectory { root in
            do {
                _ = try await compile(Self.script(lines: 40, status: 3), in: root, logger: .silent)
                Issue.record("the compile must fail")
            } catch let BuildError.buildFailed(log, tail, status) {
                #expect(status == 3)
                let kept = try String(contentsOfFile: log, encoding: .utf8)
                #expect(kept.hasPrefix("step 1\n"))
                #expect(kept.components(separatedBy: "\n").count == 54)
                let tailLines = tail.components(separatedBy: "\n")
                #expect(tailLines.count == PilCompiler.logTailLines)
                #expect(tailLines.last == "  | done")
            }
        }
    }

    @Test(
        "a log that cannot be written is an error; the lines still reach the console",
        .enabled(if: FileManager.default.fileExists(atPath: "/dev/full"), "skipped: no /dev/full here"))
    func unwritableLog() async throws {
        let lines = LineCollector()
        let full = URL(fileURLWithPath: "/dev/full")
        let error = await #expect(throws: FileError.self) {
            try await ProcessRunner(environment: testEnvironment).run(
                "sh", ["-c", "echo one; echo two >&2"], output: .appendToFile(full, lines: { lines.append($0) }))
        }
        #expect(error?.path == "/dev/full")
        #expect(lines.all == ["one", "two"])
    }
}
