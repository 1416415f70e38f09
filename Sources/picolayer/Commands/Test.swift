import ArgumentParser
import FoundationEssentials
import Logging
import PicolayerKit

extension Picolayer {
    /// `picolayer test`: a folder of handler cases through one warm local runtime.
    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a folder of handler cases through one warm runtime and compare the answers.",
            discussion: """
                A case is NAME.event.json with NAME.expected.json (the response) or NAME.error (the error type), \
                or a NAME.jsonl sequence, one {"event": ..., "expected": ...} or {"event": ..., "error": "TYPE"} \
                a line. Cases run in name order on ONE runtime, so state kept between invocations is tested as \
                Lambda keeps it. Responses are compared as JSON. Exits 1 when a case fails. See docs/test.md.
                """)

        @Argument(help: "The folder of cases.")
        var folder = "tests"

        @OptionGroup var function: EmulatorOptions

        @Flag(help: "Write what each case gave as its expected answer (or error type) instead of comparing.")
        var update = false

        @Flag(help: "Print the result as one JSON object: passed, failed and each case (docs/json.md).")
        var json = false

        @OptionGroup var reporting: ReportingOptions

        func run() async throws {
            TemporaryPaths.shared.removeOnSignals()
            let cases = try HandlerTests.load(folder: folder)
            let configuration = try function.configuration(logger: reporting.logger)
            let output = reporting.verbose ? functionOutput(reporting) : nil
            let results = try await LocalLambda.with(configuration, output: output) { lambda in
                try await HandlerTests.run(cases, on: lambda)
            }
            if update {
                try HandlerTests.update(cases, with: results)
                printResult("updated \(results.count) case(s) in \(folder)")
                return
            }
            let failed = results.filter { !$0.passed }.count
            if json {
                printResult(try Self.json(results, failed: failed))
            } else {
                for result in results { printResult(Self.describe(result)) }
                printResult("\(results.count - failed) passed, \(failed) failed")
            }
            if failed > 0 { throw ExitCode.failure }
        }

        static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

        static func describe(_ result: HandlerCaseResult) -> String {
            guard !result.passed else { return "ok    \(result.name)" }
            let got = result.errorType.map { "error \($0): \(text(result.response))" } ?? text(result.response)
            switch result.expected {
            case .none:
                return "FAIL  \(result.name): no expected answer yet (picolayer test --update writes it)\n"
                    + "      got:      \(got)"
            case .error(let type):
                return "FAIL  \(result.name)\n      expected: error \(type)\n      got:      \(got)"
            case .response(let bytes):
                return "FAIL  \(result.name)\n      expected: \(text(bytes))\n      got:      \(got)"
            }
        }

        static func json(_ results: [HandlerCaseResult], failed: Int) throws -> String {
            let cases: [JSONValue] = results.map { result in
                var fields: [String: JSONValue] = [
                    "name": .string(result.name), "passed": .bool(result.passed),
                    "response": (try? JSONValue.parse(result.response)) ?? .string(text(result.response)),
                    "errorType": result.errorType.map { .string($0) } ?? .null,
                ]
                switch result.expected {
                case .none: fields["expected"] = .null
                case .error(let type): fields["expectedError"] = .string(type)
                case .response(let bytes): fields["expected"] = (try? JSONValue.parse(bytes)) ?? .string(text(bytes))
                }
                return .object(fields)
            }
            let document: JSONValue = [
                "passed": .number(Double(results.count - failed)), "failed": .number(Double(failed)),
                "cases": .array(cases),
            ]
            return try JSONOutput.encode(document)
        }
    }
}
