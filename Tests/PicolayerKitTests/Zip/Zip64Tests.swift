import Foundation
import PicolayerKit
import Testing

/// Reads the end-of-central-directory fields straight from the file's tail.
private func endRecord(_ path: String) throws -> (entries: Int, hasZip64Locator: Bool) {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    let end = data.count - 22
    let entries = Int(data[end + 10]) | Int(data[end + 11]) << 8
    let locator = data.count - 22 - 20
    let signature = data[locator..<locator + 4].elementsEqual([0x50, 0x4b, 0x06, 0x07])
    return (entries, signature)
}

@Suite("Zip64, only when needed", .serialized)
struct Zip64Tests {
    @Test("a small tree has no Zip64 records at all")
    func smallTreeHasNoZip64() async throws {
        let scratch = try ZipScratch()
        defer { scratch.remove() }
        try scratch.file("tree/a", "a")
        let zip = scratch.path + "/a.zip"
        let report = try await ZipWriter().write(
            directory: scratch.url.appendingPathComponent("tree"), to: URL(fileURLWithPath: zip))
        #expect(report.zip64 == false)
        let end = try endRecord(zip)
        #expect(end.entries == 1 && end.hasZip64Locator == false)
    }

    @Test("more than 65,535 entries: Zip64 end records, read by unzip, 7z and Python")
    func manyEntries() async throws {
        let scratch = try ZipScratch()
        defer { scratch.remove() }
        let count = 66_000
        // Creating 66,000 files takes a minute on a busy disk; the entries may as well share one source file.
        try scratch.file("one.l", "(prinl 1)\n")
        let source = scratch.path + "/one.l"
        let entries = (0..<count).map { index in
            ZipSourceEntry(
                path: String(format: "f%02d/%05d.l", index / 1000, index), sourcePath: source,
                kind: .file(size: 10), mode: 0o644)
        }
        let tree = ZipSourceTree(entries: entries, warnings: [])
        let zip = scratch.path + "/many.zip"
        let report = try await ZipWriter().write(tree: tree, to: URL(fileURLWithPath: zip))
        #expect(report.entries == count)
        #expect(report.zip64)
        let end = try endRecord(zip)
        #expect(end.entries == 0xFFFF && end.hasZip64Locator)

        let python = try await runTool([
            "python3", "-c",
            "import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); print(len(z.infolist()), z.testzip())", zip,
        ])
        #expect(python.stdout == "\(count) None\n", "\(python.stderr)")
        let unzip = try await runTool(["unzip", "-tq", zip])
        #expect(unzip.status == 0, "\(unzip.stdout + unzip.stderr)")
        let sevenZip = try await runTool(["7z", "t", zip])
        #expect(sevenZip.status == 0 && sevenZip.stdout.contains("Everything is Ok"))
        #expect(try ZipReader(contentsOf: URL(fileURLWithPath: zip)).entries.count == count)
    }

    @Test("an entry above 4 GiB and an offset above 4 GiB get Zip64 fields that readers follow")
    func hugeEntryAndOffset() async throws {
        let scratch = try ZipScratch()
        defer { scratch.remove() }
        try scratch.folder("tree")
        // A sparse file: 4 GiB + 1 MiB of zeros with a marker at the end, stored (level 0) so the entry after it
        // starts beyond 4 GiB.
        let big = scratch.path + "/tree/a-big.bin"
        let size: UInt64 = (1 << 32) + (1 << 20)
        FileManager.default.createFile(atPath: big, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: big))
        try handle.seek(toOffset: size - 4)
        try handle.write(contentsOf: Data("END\n".utf8))
        try handle.close()
        try scratch.file("tree/b-after.l", "after the big one\n")

        let zip = scratch.path + "/big.zip"
        let report = try await ZipWriter(options: ZipOptions(level: 0)).write(
            directory: scratch.url.appendingPathComponent("tree"), to: URL(fileURLWithPath: zip))
        #expect(report.zip64)
        #expect(report.unzippedSize == size + 18)

        let script = """
            import sys, zipfile, zlib
            z = zipfile.ZipFile(sys.argv[1])
            big, after = z.infolist()
            print(big.file_size, big.header_offset, after.header_offset > 2**32, z.read(after).decode().strip())
            crc = 0
            with z.open(big) as f:
                while True:
                    block = f.read(1 << 24)
                    if not block: break
                    crc = zlib.crc32(block, crc)
            print(crc == big.CRC)
            """
        let python = try await runTool(["python3", "-c", script, zip])
        #expect(python.stdout == "\(size) 0 True after the big one\nTrue\n", "\(python.stderr)")
        let list = try await runTool(["unzip", "-l", zip])
        #expect(list.status == 0 && list.stdout.contains("\(size)  "), "\(list.stdout)")
        let reader = try ZipReader(contentsOf: URL(fileURLWithPath: zip))
        let after = try #require(reader.entry(named: "b-after.l"))
        #expect(try reader.contents(of: after) == Array("after the big one\n".utf8))
        #expect(reader.entry(named: "a-big.bin")?.uncompressedSize == size)
    }
}
