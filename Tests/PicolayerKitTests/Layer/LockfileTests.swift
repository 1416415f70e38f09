import Foundation
import Testing

@testable import PicolayerKit

@Suite("lock file and source locations")
struct LockfileTests {
    let hashA = String(repeating: "a", count: 64)
    let hashB = String(repeating: "0123456789abcdef", count: 4)

    @Test("writes sorted sha256sum-style lines and reads them back")
    func roundTrip() throws {
        let lock = Lockfile(hashes: ["https://z.example/b.tgz": hashA, "https://a.example/a.tgz": hashB])
        let lines = lock.text.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[1] == "\(hashB)  https://a.example/a.tgz")
        #expect(try Lockfile(text: lock.text, path: "picolayer.lock") == lock)
    }

    @Test("a malformed line names the file and line")
    func malformed() {
        #expect(throws: BuildError.badLockFile(path: "p.lock", line: 2, text: "nothex https://x")) {
            try Lockfile(text: "# comment\nnothex https://x\n", path: "p.lock")
        }
    }

    @Test(
        "plain http only on loopback; other schemes refused",
        arguments: [
            ("https://software-lab.de/pil21.tgz", true), ("http://127.0.0.1:8000/pil21.tgz", true),
            ("http://localhost/pil21.tgz", true), ("http://software-lab.de/pil21.tgz", false),
            ("ftp://example.com/x.tgz", false),
        ])
    func schemes(pair: (String, Bool)) {
        let base = URL(fileURLWithPath: "/")
        if pair.1 {
            #expect(throws: Never.self) { try SourceLocation.parse(pair.0, relativeTo: base) }
        } else {
            #expect(throws: BuildError.self) { try SourceLocation.parse(pair.0, relativeTo: base) }
        }
    }

    @Test("local paths and file: URLs resolve to files or folders; a missing path is an error")
    func localPaths() throws {
        let base = URL(fileURLWithPath: "/usr/lib")
        #expect(try SourceLocation.parse("picolisp", relativeTo: base) == .localDirectory(Fixtures.debianPil21))
        #expect(
            try SourceLocation.parse("file:///usr/bin/picolisp", relativeTo: base)
                == .localFile(Fixtures.debianPicolisp))
        #expect(throws: BuildError.sourceNotFound("/usr/lib/no-such-pil21.tgz")) {
            try SourceLocation.parse("no-such-pil21.tgz", relativeTo: base)
        }
    }

    @Test("embedded templates match templates/")
    func embeddedTemplatesInSync() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let onDisk = try TemplateSet.load(from: root.appendingPathComponent("templates"))
        #expect(!onDisk.files.isEmpty)
        #expect(
            TemplateSet.embedded.files == onDisk.files,
            "Sources/PicolayerKit/Layer/EmbeddedTemplates.swift is stale: run `make templates`.")
    }
}
