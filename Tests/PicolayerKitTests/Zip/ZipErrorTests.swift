import Foundation
import PicolayerKit
import Testing

/// Files in a folder whose names start with a dot and contain ".tmp-": what an interrupted write would leave.
private func leftovers(_ folder: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix(".") && $0.contains(".tmp-") }
}

@Suite("Zip errors leave nothing behind")
struct ZipErrorTests {
    @Test("a missing folder is reported with what to do, and no zip is written")
    func missingFolder() async throws {
        let scratch = try ZipScratch()
        defer { scratch.remove() }
        let zip = scratch.path + "/out.zip"
        await #expect(throws: ZipError.directoryMissing(scratch.path + "/nope")) {
            try await ZipWriter().write(
                directory: scratch.url.appendingPathComponent("nope"), to: URL(fileURLWithPath: zip))
        }
        #expect(!FileManager.default.fileExists(atPath: zip))
        #expect(ZipError.directoryMissing("x").errorDescription?.contains("picolayer build") == true)
    }

    @Test("a file where a folder is expected is an error")
    func notAFolder() async throws {
        let scratch = try ZipScratch()
        defer { scratch.remove() }
        try scratch.file("plain", "x")
        await #expect(throws: ZipError.notADirectory(scratch.path + "/plain")) {
            try await ZipWriter().write(
                directory: scratch.url.appendingPathComponent("plain"),
                to: URL(fileURLWithPath: scratch.path + "/o.zip"))
        }
    }

    @Test("a named pipe in the tree is refused by name, and the existing zip stays untouched")
    func specialFile() async throws {
        let scratch = try ZipScratch()
        defer { scratch.remove() }
        try scratch.file("tree/a.l", "a")
        let zip = scratch.path + "/out.zip"
        _ = try await ZipWriter().write(
            directory: scratch.url.appendingPathComponent("tree"), to: URL(fileURLWithPath: zip))
        let before = try Data(contentsOf: URL(fileURLWithPath: zip))
        await #expect(try await runTool(["mkfifo", scratch.path + "/tree/pipe"]).status == 0)
        await #expect(throws: ZipError.unsupportedFileType(path: scratch.path + "/tree/pipe", type: "named pipe")) {
            try await ZipWriter().write(
                directory: scratch.url.appendingPathComponent("tree"), to: URL(fileURLWithPath: zip))
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: zip)) == before)
        #expect(try leftovers(scratch.path).isEmpty)
    }

    @Test(
        "a file that grows or shrinks between listing and reading stops the zip, and no temporary file remains",
        arguments: [true, false])
    func sizeChanges(grows: Bool) async throws {
        let scratch = try ZipScratch()
        defer { scratch.remove() }
        try scratch.file("tree/a.l", "before")
        try scratch.file("tree/big.l", sampleText(lines: 40_000))
        let tree = try TreeScanner.scan(root: scratch.url.appendingPathComponent("tree"))
        let big = scratch.path + "/tree/big.l"
        let original = try Data(contentsOf: URL(fileURLWithPath: big))
        let changed = grows ? original + Data("more".utf8) : original.prefix(original.count - 1000)
        try changed.write(to: URL(fileURLWithPath: big))
        let zip = scratch.path + "/out.zip"
        await #expect(
            throws: ZipError.sizeChanged(path: big, expected: UInt64(original.count), actual: UInt64(changed.count))
        ) {
            try await ZipWriter().write(tree: tree, to: URL(fileURLWithPath: zip))
        }
        #expect(!FileManager.default.fileExists(atPath: zip))
        #expect(try leftovers(scratch.path).isEmpty)
    }

    @Test("an output folder that does not exist is named in the error")
    func missingOutputFolder() async throws {
        let scratch = try ZipScratch()
        defer { scratch.remove() }
        try scratch.file("tree/a.l", "a")
        await #expect(throws: ZipError.outputFolderMissing(scratch.path + "/no/such")) {
            try await ZipWriter().write(
                directory: scratch.url.appendingPathComponent("tree"),
                to: URL(fileURLWithPath: scratch.path + "/no/such/o.zip"))
        }
    }

    @Test("a level outside 0-9 is refused")
    func badLevel() async throws {
        let scratch = try ZipScratch()
        defer { scratch.remove() }
        try scratch.file("tree/a.l", "a")
        await #expect(throws: ZipError.invalidLevel(12)) {
            try await ZipWriter(options: ZipOptions(level: 12)).write(
                directory: scratch.url.appendingPathComponent("tree"), to: URL(fileURLWithPath: scratch.path + "/o.zip")
            )
        }
    }

    @Test("an output path inside the tree is left out of the zip")
    func outputInsideTree() async throws {
        let scratch = try ZipScratch()
        defer { scratch.remove() }
        try scratch.file("tree/a.l", "a")
        let zip = scratch.url.appendingPathComponent("tree/self.zip")
        _ = try await ZipWriter().write(directory: scratch.url.appendingPathComponent("tree"), to: zip)
        let second = try await ZipWriter().write(directory: scratch.url.appendingPathComponent("tree"), to: zip)
        #expect(second.entries == 1)
        #expect(try ZipReader(contentsOf: zip).entries.map(\.path) == ["a.l"])
    }

    @Test("our reader refuses a file that is not a zip")
    func readerRefusesGarbage() throws {
        let scratch = try ZipScratch()
        defer { scratch.remove() }
        try scratch.file("junk.zip", randomBytes(5000))
        #expect(throws: ZipError.self) { try ZipReader(contentsOf: scratch.url.appendingPathComponent("junk.zip")) }
    }
}
