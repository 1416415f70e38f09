import Foundation
import Testing

/// A folder under the system temporary folder, removed by `remove()`.
struct ZipScratch {
    let url: URL
    var path: String { url.path }

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("picolayer-zip-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }

    func file(_ relative: String, _ contents: [UInt8], mode: Int = 0o644) throws {
        let target = url.appendingPathComponent(relative)
        try FileManager.default.createDirectory(
            at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(contents).write(to: target)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: target.path)
    }

    func file(_ relative: String, _ text: String, mode: Int = 0o644) throws {
        try file(relative, Array(text.utf8), mode: mode)
    }

    func folder(_ relative: String, mode: Int = 0o755) throws {
        let target = url.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: target.path)
    }

    func link(_ relative: String, to target: String) throws {
        try FileManager.default.createSymbolicLink(
            atPath: url.appendingPathComponent(relative).path, withDestinationPath: target)
    }
}

/// The result of running another program to completion.
struct ToolRun {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// Runs a program (looked up on PATH) with an argv array and waits for it.
@discardableResult
func runTool(_ arguments: [String], in directory: String? = nil, environment: [String: String]? = nil) throws -> ToolRun
{
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    if let environment { process.environment = environment }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    // Read both pipes before waiting so a chatty tool cannot block on a full pipe.
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ToolRun(
        status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
        stderr: String(decoding: errData, as: UTF8.self))
}

/// The `picolayer` executable built beside the test bundle.
func picolayerExecutable() throws -> String {
    var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = folder.appendingPathComponent("picolayer").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        folder = folder.deletingLastPathComponent()
    }
    let fromRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(".build/debug/picolayer").path
    guard FileManager.default.isExecutableFile(atPath: fromRoot) else {
        Issue.record("picolayer is not built: run `swift build --build-tests` first")
        throw CocoaError(.fileNoSuchFile)
    }
    return fromRoot
}

/// Compressible text that is not trivially repetitive, so chunking and dictionaries matter.
func sampleText(lines: Int, seed: UInt64 = 1) -> [UInt8] {
    var state = seed
    var text = ""
    let words = ["(de", "(let", "(setq", "Event_Data", "Headers", "(json-encode", "(prinl", "NIL", "T", "*Runtime"]
    for line in 0..<lines {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        let word = words[Int(state >> 60) % words.count]
        text += "\(word) line-\(line) \(state >> 40)\n"
    }
    return Array(text.utf8)
}

/// Pseudo-random bytes that deflate cannot shrink.
func randomBytes(_ count: Int, seed: UInt64 = 7) -> [UInt8] {
    var generator = SplitMix(state: seed)
    return (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
}

struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
