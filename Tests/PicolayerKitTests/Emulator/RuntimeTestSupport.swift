import Foundation
import Synchronization
import Testing

@testable import PicolayerKit

/// A function folder in a fresh temporary directory, removed by `cleanUp()`.
struct TemporaryFunction {
    let root: URL
    var taskRoot: String { root.appendingPathComponent("task").path }
    var layer: String { root.appendingPathComponent("layer").path }

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("picolayer-emulator-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: root.appendingPathComponent("task"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(
            at: root.appendingPathComponent("layer/bin"), withIntermediateDirectories: true)
    }

    /// Writes an executable file (a bootstrap) into `folder` (`task` or `layer`).
    @discardableResult
    func writeExecutable(_ text: String, named name: String = "bootstrap", in folder: String = "task") throws -> String
    {
        let path = root.appendingPathComponent(folder).appendingPathComponent(name).path
        // O_CLOEXEC: a runtime spawned meanwhile by a parallel test must not keep the file open for writing,
        // or executing it fails with ETXTBSY.
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
        try #require(fd >= 0, "cannot create \(path)")
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        close(fd)
        try #require(written == bytes.count)
        return path
    }

    func write(_ text: String, named name: String, in folder: String = "task") throws {
        try text.write(
            to: root.appendingPathComponent(folder).appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    func configuration(
        timeout: Duration = .seconds(30),
        initTimeout: Duration = .seconds(30),
        environment: [String: String] = [:]
    ) -> FunctionConfiguration {
        FunctionConfiguration(
            handler: "handler.fn", taskRoot: taskRoot, layerDirectory: layer, functionName: "test-fn",
            region: "eu-west-3", accountID: "000000000042", memorySize: 256, timeout: timeout,
            initTimeout: initTimeout, userEnvironment: environment)
    }

    func cleanUp() {
        try? FileManager.default.removeItem(at: root)
    }
}

/// Request ids `req-1`, `req-2`, ...; trace ids `Root=1-trace-<id>`; the clock stands at 2023-11-14T22:13:20Z.
func fixedHooks() -> EmulatorHooks {
    let counter = Mutex(0)
    return EmulatorHooks(
        requestID: { "req-\(counter.withLock { $0 += 1; return $0 })" },
        traceID: { "Root=1-trace-\($0)" },
        now: { Date(timeIntervalSince1970: 1_700_000_000) })
}

let fixedNowMilliseconds: Int64 = 1_700_000_000_000

/// The start of a shell runtime: `api` is the invocation URL prefix; `next` fetches an event into $event and
/// its request id into $id, its trace id into $trace.
let shellPrelude = """
    #!/bin/sh
    set -u
    api="http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime"
    work="$LAMBDA_TASK_ROOT/.work-$$"
    mkdir -p "$work"
    next() {
        curl -sS -D "$work/headers" -o "$work/event" "$api/invocation/next"
        id=$(grep -i '^lambda-runtime-aws-request-id:' "$work/headers" | cut -d' ' -f2 | tr -d '\\r')
        trace=$(grep -i '^lambda-runtime-trace-id:' "$work/headers" | cut -d' ' -f2 | tr -d '\\r')
        event=$(cat "$work/event")
    }

    """

/// The Python interpreter on PATH, resolved to its real file (pyenv shims need variables Lambda does not pass).
func pythonExecutable() async throws -> String {
    let result = try await run("/usr/bin/env", ["python3", "-c", "import sys; print(sys.executable)"])
    let path = String(decoding: result.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    try #require(result.status == 0 && !path.isEmpty, "python3 is needed: scripts/install-test-deps.sh installs it")
    return path
}

/// A plain HTTP exchange through curl: status, lower-cased headers, body.
struct CurlResponse {
    var status: Int
    var headers: [String: String]
    var body: String
}

func curl(_ arguments: [String], input: Data? = nil) async throws -> CurlResponse {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("curl-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let headerFile = directory.appendingPathComponent("headers").path
    let result = try await run("/usr/bin/curl", ["-sS", "-D", headerFile] + arguments, input: input)
    try #require(result.status == 0, "curl failed: \(String(decoding: result.stderr, as: UTF8.self))")
    let lines = try String(contentsOfFile: headerFile, encoding: .utf8).components(separatedBy: "\r\n")
    // With `100 Continue` there are two heads; the last one counts.
    let lastHead = lines.lastIndex { $0.hasPrefix("HTTP/1.1 ") } ?? 0
    let status = Int(lines[lastHead].split(separator: " ")[1]) ?? 0
    var headers: [String: String] = [:]
    for line in lines[(lastHead + 1)...] {
        guard let colon = line.firstIndex(of: ":") else { continue }
        headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    return CurlResponse(status: status, headers: headers, body: String(decoding: result.stdout, as: UTF8.self))
}

extension InvocationResult {
    var text: String { String(decoding: payload, as: UTF8.self) }
}

/// Parses a JSON object.
func jsonObject(_ text: String) throws -> [String: Any] {
    let value = try JSONSerialization.jsonObject(with: Data(text.utf8))
    return try #require(value as? [String: Any], "not a JSON object: \(text)")
}
