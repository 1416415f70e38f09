import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// One case of `picolayer test`: an event, and the answer or the error type it should give.
public struct HandlerCase: Sendable, Equatable {
    public enum Expectation: Sendable, Equatable {
        /// The response, compared as JSON when both sides are JSON, else byte for byte.
        case response([UInt8])
        /// The invocation fails with this error type (`Function.Div`, `Sandbox.Timedout`...).
        case error(String)
        /// Nothing recorded yet (`--update` writes it).
        case none
    }

    /// `NAME` of `NAME.event.json`, or `NAME:LINE` of a `.jsonl` sequence.
    public var name: String
    public var event: [UInt8]
    public var expectation: Expectation
    /// Where the expectation is written by `--update`.
    var source: Source

    enum Source: Sendable, Equatable {
        case pair(expected: String, error: String)
        case sequence(file: String, line: Int)
    }
}

/// What one case gave.
public struct HandlerCaseResult: Sendable {
    public var name: String
    public var passed: Bool
    public var expected: HandlerCase.Expectation
    public var response: [UInt8]
    public var errorType: String?
}

/// Why the cases could not be read.
public struct HandlerTestError: Error, LocalizedError, Sendable {
    public var path: String
    public var reason: String
    public var errorDescription: String? { "\(path): \(reason)" }
}

/// `picolayer test`: reads a folder of cases and runs them in order through one warm runtime, so that what a
/// handler keeps between invocations is tested as Lambda keeps it.
///
/// A case is `NAME.event.json` with `NAME.expected.json` (the response) or `NAME.error` (the error type, one
/// line); or a `NAME.jsonl` sequence, one case a line: `{"event": ..., "expected": ...}` or
/// `{"event": ..., "error": "TYPE"}`. Cases run sorted by file name, a sequence's lines in order.
public enum HandlerTests {
    /// At most this many cases, and this many bytes a file: a test folder is small.
    static let maxCases = 10_000
    static let maxFileBytes = RuntimeAPI.maxPayloadSize * 2

    public static func load(folder: String) throws -> [HandlerCase] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        } catch {
            throw HandlerTestError(path: folder, reason: "cannot be read: \(ErrorText.describe(error))")
        }
        var cases: [HandlerCase] = []
        for name in names {
            let path = PathText.join(folder, name)
            if name.hasSuffix(".event.json") {
                let stem = String(name.dropLast(".event.json".count))
                cases.append(try pairCase(stem, folder: folder, event: try read(path)))
            } else if name.hasSuffix(".jsonl") {
                cases += try sequence(path, stem: String(name.dropLast(".jsonl".count)))
            }
            guard cases.count <= maxCases else {
                throw HandlerTestError(path: folder, reason: "more than \(maxCases) cases")
            }
        }
        if cases.isEmpty {
            throw HandlerTestError(
                path: folder, reason: "holds no cases (NAME.event.json with NAME.expected.json, or NAME.jsonl)")
        }
        return cases
    }

    private static func pairCase(_ stem: String, folder: String, event: [UInt8]) throws -> HandlerCase {
        let expected = PathText.join(folder, stem + ".expected.json")
        let error = PathText.join(folder, stem + ".error")
        let expectation: HandlerCase.Expectation
        if FileManager.default.fileExists(atPath: error) {
            let type = String(decoding: try read(error), as: UTF8.self).trimmingWhitespaceAndNewlines()
            expectation = .error(type)
        } else if FileManager.default.fileExists(atPath: expected) {
            expectation = .response(try read(expected))
        } else {
            expectation = .none
        }
        return HandlerCase(
            name: stem, event: event, expectation: expectation, source: .pair(expected: expected, error: error))
    }

    private static func sequence(_ path: String, stem: String) throws -> [HandlerCase] {
        var cases: [HandlerCase] = []
        for (index, line) in try read(path).split(separator: UInt8(ascii: "\n")).enumerated() {
            let number = index + 1
            guard case .object(let fields)? = try? JSONValue.parse(line), let event = fields["event"] else {
                throw HandlerTestError(
                    path: "\(path):\(number)",
                    reason: #"expected {"event": ..., "expected": ...} or {"event": ..., "error": "TYPE"}"#)
            }
            let expectation: HandlerCase.Expectation
            if let type = fields["error"]?.string {
                expectation = .error(type)
            } else if let expected = fields["expected"] {
                expectation = .response(try expected.encoded())
            } else {
                expectation = .none
            }
            cases.append(
                HandlerCase(
                    name: "\(stem):\(number)", event: try event.encoded(), expectation: expectation,
                    source: .sequence(file: path, line: number)))
        }
        return cases
    }

    private static func read(_ path: String) throws -> [UInt8] {
        let file = try OpenFile.reading(path)
        defer { file.close() }
        let bytes = try file.read(upTo: maxFileBytes + 1)
        guard bytes.count <= maxFileBytes else {
            throw HandlerTestError(path: path, reason: "is over \(maxFileBytes) bytes")
        }
        return bytes
    }

    /// Runs every case, in order, on `lambda` (one warm runtime).
    public static func run(_ cases: [HandlerCase], on lambda: LocalLambda) async throws -> [HandlerCaseResult] {
        var results: [HandlerCaseResult] = []
        for testCase in cases {
            let result = try await lambda.invoke(testCase.event)
            results.append(
                HandlerCaseResult(
                    name: testCase.name, passed: matches(testCase.expectation, result), expected: testCase.expectation,
                    response: result.payload, errorType: result.errorType))
        }
        return results
    }

    static func matches(_ expectation: HandlerCase.Expectation, _ result: InvocationResult) -> Bool {
        switch expectation {
        case .none: return false
        case .error(let type): return result.errorType == type
        case .response(let bytes):
            guard result.errorType == nil else { return false }
            if let want = try? JSONValue.parse(bytes), let got = try? JSONValue.parse(result.payload) {
                return want == got
            }
            return bytes == result.payload
        }
    }

    /// `--update`: writes what each case gave as its expectation (a response, or the error type).
    public static func update(_ cases: [HandlerCase], with results: [HandlerCaseResult]) throws {
        var sequences: [String: [Int: String]] = [:]
        for (testCase, result) in zip(cases, results) {
            switch testCase.source {
            case .pair(let expected, let error):
                try? FileManager.default.removeItem(atPath: result.errorType == nil ? error : expected)
                if let type = result.errorType {
                    try write(Array((type + "\n").utf8), to: error)
                } else {
                    try write(pretty(result.response), to: expected)
                }
            case .sequence(let file, let line):
                var fields: [String: JSONValue] = ["event": (try? JSONValue.parse(testCase.event)) ?? .null]
                if let type = result.errorType {
                    fields["error"] = .string(type)
                } else {
                    fields["expected"] =
                        (try? JSONValue.parse(result.response))
                        ?? .string(String(decoding: result.response, as: UTF8.self))
                }
                sequences[file, default: [:]][line] = try JSONOutput.encode(JSONValue.object(fields))
            }
        }
        for (file, lines) in sequences {
            let text = lines.keys.sorted().compactMap { lines[$0] }.joined(separator: "\n") + "\n"
            try write(Array(text.utf8), to: file)
        }
    }

    /// JSON responses written as they came (byte for byte), with a final newline for editors.
    private static func pretty(_ response: [UInt8]) -> [UInt8] {
        response.last == UInt8(ascii: "\n") ? response : response + [UInt8(ascii: "\n")]
    }

    /// Written beside the file and renamed over it, so an interrupted update leaves the old file whole.
    private static func write(_ bytes: [UInt8], to path: String) throws {
        let temporary = path + ".picolayer-\(getpid()).tmp"
        let file = try OpenFile.writing(temporary)
        do {
            try file.write(bytes)
            file.close()
        } catch {
            file.close()
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            try? FileManager.default.removeItem(atPath: temporary)
            throw HandlerTestError(path: path, reason: "cannot be written: \(String(cString: strerror(errno)))")
        }
    }
}
