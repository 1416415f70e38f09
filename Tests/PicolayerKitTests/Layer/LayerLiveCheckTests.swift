import Foundation
import PicolayerKit
import Testing

/// A layer staged from Debian's picolisp and templates/ by the runtime tests' own script.
private func stageLayer(_ folder: URL) throws -> URL {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    let layer = folder.appendingPathComponent("layer")
    let run = try runTool([root.appendingPathComponent("Tests/runtime/stage-layer.sh").path, layer.path])
    #expect(run.status == 0, "stage-layer.sh: \(run.stderr)")
    // stage-layer.sh links the host's interpreter; verify refuses links that leave the layer, so copy it in.
    let interpreter = layer.appendingPathComponent("picoLisp/bin/picolisp")
    let real = try FileManager.default.destinationOfSymbolicLink(atPath: interpreter.path)
    try FileManager.default.removeItem(at: interpreter)
    try FileManager.default.copyItem(at: URL(fileURLWithPath: real), to: interpreter)
    return layer
}

@Suite("verify's live check: the layer answers an event under the emulator")
struct LayerLiveCheckTests {
    @Test("a layer with our runtime echoes the test event")
    func realLayerAnswers() async throws {
        let scratch = try ZipScratch()
        defer { scratch.remove() }
        let layer = try stageLayer(scratch.url)
        let answer = try await LayerLiveCheck.run(layer: layer)
        let object = try JSONSerialization.jsonObject(with: Data((answer ?? "").utf8)) as? [String: Any]
        #expect(object?["picolayer"] as? String == "verify")
    }

    @Test("a layer whose runtime cannot start fails the check with the runtime's error")
    func brokenLayerFails() async throws {
        let scratch = try ZipScratch()
        defer { scratch.remove() }
        let layer = try stageLayer(scratch.url)
        try Data("(de broken (\n".utf8).write(to: layer.appendingPathComponent("picoLisp/runtime.l"))
        await #expect(throws: LiveCheckError.self) { try await LayerLiveCheck.run(layer: layer) }
    }

    @Test("verify runs the live check and reports its failure as an error")
    func verifyReportsFailure() async throws {
        let scratch = try ZipScratch()
        defer { scratch.remove() }
        let layer = try stageLayer(scratch.url)
        try Data("(bye 3)\n".utf8).write(to: layer.appendingPathComponent("picoLisp/runtime.l"))
        let verifier = LayerVerifier(target: .al2023, architecture: .host, liveCheck: LayerLiveCheck.run)
        let report = try await verifier.verify(layerAt: layer)
        #expect(report.errors.contains { $0.check == "live" })
    }
}
