import Foundation

/// The live part of `picolayer verify`: a staged layer must answer a real event under the emulator.
///
/// An echo handler is written to a temporary task root, the layer's `bootstrap` runs it through ``LocalLambda``
/// with one JSON event, and the answer must be that event, JSON-encoded by the runtime.
public enum LayerLiveCheck {
    static let event = #"{"picolayer":"verify","n":1}"#
    static let handlerSource = "(de handler (Event_Data Headers) Event_Data)\n"

    /// Runs the check on the layer folder; returns the runtime's answer, throws when it is wrong or missing.
    @Sendable public static func run(layer: URL) async throws -> String? {
        let taskRoot = FileManager.default.temporaryDirectory
            .appendingPathComponent("picolayer-live-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: taskRoot, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: taskRoot) }
        try Data(handlerSource.utf8).write(to: taskRoot.appendingPathComponent("echo.l"))
        let configuration = FunctionConfiguration(
            handler: "echo.handler", taskRoot: taskRoot.path, layerDirectory: layer.path, timeout: .seconds(10))
        let result = try await LocalLambda.with(configuration) { lambda in
            try await lambda.invoke(Array(event.utf8))
        }
        let answer = String(decoding: result.payload, as: UTF8.self)
        if let type = result.errorType {
            throw LiveCheckError(detail: "the runtime reported \(type): \(answer)")
        }
        let expected = try JSONSerialization.jsonObject(with: Data(event.utf8)) as? NSDictionary
        let actual = try? JSONSerialization.jsonObject(with: Data(result.payload)) as? NSDictionary
        guard let actual, actual == expected else {
            throw LiveCheckError(detail: "an echo handler answered \(answer) to \(event)")
        }
        return answer
    }
}

/// The layer ran but did not answer the test event as it should.
public struct LiveCheckError: LocalizedError, Equatable {
    public let detail: String

    public var errorDescription: String? {
        "\(detail). Run `picolayer invoke --layer DIR` with a handler of yours to see the runtime's output."
    }
}
