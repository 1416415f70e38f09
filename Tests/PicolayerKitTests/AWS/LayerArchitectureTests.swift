import Foundation
import PicolayerKit
import Testing

@Suite("CompatibleArchitectures from the ELF header in the zip")
struct LayerArchitectureTests {
    /// An ELF header: magic, class 64, data `endian`, version 1, then e_machine at offset 18.
    static func elfHeader(machine: UInt16, bigEndian: Bool = false) -> [UInt8] {
        var header = [UInt8](repeating: 0, count: 64)
        header[0...3] = [0x7F, 0x45, 0x4C, 0x46]
        header[4] = 2
        header[5] = bigEndian ? 2 : 1
        header[6] = 1
        let bytes =
            bigEndian ? [UInt8(machine >> 8), UInt8(machine & 0xFF)] : [UInt8(machine & 0xFF), UInt8(machine >> 8)]
        header[18...19] = bytes[...]
        return header
    }

    @Test("e_machine 62 is x86_64, 183 is arm64, anything else or a non-ELF is unknown")
    func elfMachine() {
        #expect(Architecture(elfHeader: Self.elfHeader(machine: 62))?.rawValue == "x86_64")
        #expect(Architecture(elfHeader: Self.elfHeader(machine: 183))?.rawValue == "arm64")
        #expect(Architecture(elfHeader: Self.elfHeader(machine: 183, bigEndian: true))?.rawValue == "arm64")
        #expect(Architecture(elfHeader: Self.elfHeader(machine: 40))?.rawValue == nil)
        #expect(Architecture(elfHeader: Array("#!/bin/sh\necho not an elf binary\n".utf8))?.rawValue == nil)
    }

    /// Zips `files` (path → bytes) with Info-ZIP's `zip` into a temporary directory and passes the zip's path.
    func withZip<T>(_ files: [String: [UInt8]], _ body: (String) throws -> T) throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("picolayer-arch-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let tree = directory.appendingPathComponent("tree")
        for (path, bytes) in files {
            let url = tree.appendingPathComponent(path)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: url)
        }
        let zip = directory.appendingPathComponent("layer.zip")
        #expect(try runTool(["zip", "-q", "-r", zip.path, "."], in: tree.path).status == 0)
        return try body(zip.path)
    }

    @Test("the real /bin/true in picoLisp/bin/picolisp gives this machine's architecture")
    func realBinary() throws {
        let trueBinary = try #require(FileManager.default.contents(atPath: "/bin/true"))
        #if arch(x86_64)
            let expected = "x86_64"
        #else
            let expected = "arm64"
        #endif
        let found = try withZip(["picoLisp/bin/picolisp": Array(trueBinary), "bootstrap": Array("#!/bin/sh\n".utf8)]) {
            try Publisher.architectureFromZip($0)
        }
        #expect(found == expected)
        let arm = try withZip(["bin/picolisp": Self.elfHeader(machine: 183)]) { try Publisher.architectureFromZip($0) }
        #expect(arm == "arm64")
    }

    @Test("a zip without bin/picolisp asks for --arch")
    func missingBinary() throws {
        try withZip(["bootstrap": Array("#!/bin/sh\n".utf8)]) { path in
            let error = #expect(throws: PublishError.self) { try Publisher.architectureFromZip(path) }
            #expect(error?.localizedDescription.contains("--arch") == true)
        }
    }
}
