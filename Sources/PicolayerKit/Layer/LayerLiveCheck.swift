import FoundationEssentials
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// The live part of `picolayer verify`: a staged layer must answer a real event under the emulator.
///
/// This runs the layer's own `bootstrap`, code from wherever the layer came from. It runs on a private scratch
/// copy of the layer (mode 0700, removed afterwards) and, where bubblewrap can make namespaces, inside
/// ``LiveCheckSandbox``: the whole file system read-only, a private `/tmp`, no capabilities, new PID/IPC/UTS/user
/// namespaces; only loopback networking is needed (the Runtime API is on 127.0.0.1), so the network is shared.
/// An echo handler is written to a temporary task root, the bootstrap runs it through ``LocalLambda`` with one
/// JSON event, and the answer must be that event, JSON-encoded by the runtime.
public enum LayerLiveCheck {
    static let event = #"{"picolayer":"verify","n":1}"#
    static let handlerSource = "(de handler (Event_Data Headers) Event_Data)\n"

    /// Runs the check on the layer folder; returns the runtime's answer, throws when it is wrong or missing.
    @Sendable public static func run(layer: URL) async throws -> String? {
        try await run(layer: layer, sandbox: LiveCheckSandbox.detect())
    }

    /// The check for a verifier, saying on `logger` when it runs without a sandbox.
    public static func reporting(to logger: Logger) -> LayerVerifier.LiveCheck {
        { layer in try await run(layer: layer, sandbox: LiveCheckSandbox.detect(), logger: logger) }
    }

    static func run(layer: URL, sandbox: LiveCheckSandbox?, logger: Logger = .silent) async throws -> String? {
        let scratch = try LayerZipUnpacker.makeScratchFolder(prefix: "picolayer-live")
        defer { ScratchFolders.remove(scratch) }
        let taskRoot = scratch.appendingPathComponent("task")
        let copy = scratch.appendingPathComponent("layer")
        do {
            try prepare(layer: layer, copy: copy, taskRoot: taskRoot, sandbox: sandbox)
        } catch {
            throw LiveCheckError(
                detail: "could not prepare its scratch copy in \(scratch.path) (\(reason(error))); "
                    + "check free space in the temporary folder (TMPDIR)")
        }
        if sandbox == nil {
            logger.warning("\(LiveCheckSandbox.unavailableNotice)")
        }
        // A cold start takes milliseconds; 30 s leaves room for a loaded CI runner (10 s was hit with two cores
        // busy) while still bounding a runtime that never answers.
        let configuration = FunctionConfiguration(
            handler: "echo.handler", taskRoot: taskRoot.path, layerDirectory: copy.path, timeout: .seconds(30))
        let result = try await LocalLambda.with(configuration) { lambda in
            try await lambda.invoke(Array(event.utf8))
        }
        let answer = String(decoding: result.payload, as: UTF8.self)
        if let type = result.errorType {
            let cause =
                missingLibrary(in: result.log).map {
                    " (\($0) => not found: the layer does not hold it and this "
                        + "machine does not have it)"
                } ?? ""
            throw LiveCheckError(detail: "the runtime reported \(type)\(cause): \(answer)")
        }
        let expected = try JSONValue.parse(Array(event.utf8))
        let actual = try? JSONValue.parse(result.payload)
        guard let actual, actual == expected else {
            throw LiveCheckError(detail: "an echo handler answered \(answer) to \(event)")
        }
        return answer
    }

    /// Copies the layer, writes the echo handler and, with a sandbox, the task root's bootstrap that starts the
    /// layer's bootstrap inside it (the task root's bootstrap wins over the layer's).
    static func prepare(layer: URL, copy: URL, taskRoot: URL, sandbox: LiveCheckSandbox?) throws {
        try FileManager.default.createDirectory(at: taskRoot, withIntermediateDirectories: false)
        try FileManager.default.copyItem(at: layer, to: copy)
        try Data(handlerSource.utf8).write(to: taskRoot.appendingPathComponent("echo.l"))
        guard let sandbox else { return }
        let wrapper = taskRoot.appendingPathComponent(LayerLayout.bootstrap)
        try Data(sandbox.wrapperScript(layer: copy.path, taskRoot: taskRoot.path).utf8).write(to: wrapper)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: wrapper.path)
    }

    /// The system's words for a file error (`No space left on device`), not Foundation's error domain and code.
    static func reason(_ error: Error) -> String {
        if let file = error as? FileError { return String(cString: strerror(file.code)) + " at \(file.path)" }
        return ErrorText.describe(error)
    }

    /// The library the dynamic loader could not find, from its `error while loading shared libraries: NAME:`.
    static func missingLibrary(in log: String) -> String? {
        let marker = "error while loading shared libraries: "
        guard let range = log.firstRange(of: marker) else { return nil }
        let name = log[range.upperBound...].prefix { $0 != ":" && !$0.isNewline }
        return name.isEmpty ? nil : String(name.prefix(255))
    }
}

/// The layer ran but did not answer the test event as it should.
public struct LiveCheckError: LocalizedError, Equatable {
    public let detail: String

    public var errorDescription: String? {
        "\(detail). Run `picolayer invoke --layer DIR` with a handler of yours to see the runtime's output."
    }
}
