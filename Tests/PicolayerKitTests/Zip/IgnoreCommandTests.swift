import Crypto
import Foundation
import PicolayerKit
import Testing

@Suite("picolayer package: what the ignore rules leave out of the zip")
struct IgnoreCommandTests {
    /// A function folder with secrets, version control and editor leftovers beside the code.
    func functionFolder(_ scratch: ZipScratch) throws {
        try scratch.file("fn/main.l", "(de handler (Event) \"hi\")\n")
        try scratch.file("fn/lib/util.l", "(de twice (N) (* 2 N))\n")
        try scratch.file("fn/.env", "TOKEN=secret\n")
        try scratch.file("fn/.env.local", "TOKEN=secret\n")
        try scratch.file("fn/.git/config", "[remote]\n")
        try scratch.file("fn/main.l.bak", "old\n")
        try scratch.file("fn/notes.txt~", "old\n")
        try scratch.file("fn/sub/.DS_Store", [0, 0, 0, 1])
        try scratch.file("fn/secret/key.pem", "-----BEGIN\n")
        try scratch.file("fn/keep.bak", "wanted\n")
        try scratch.file("fn/.picolayerignore", "# the team's rules\nsecret/\n!keep.bak\n")
    }

    /// The zip's entry names as Info-ZIP's zipinfo lists them, checked against Python's zipfile when it is there.
    func names(_ zip: String) throws -> [String] {
        let info = try runTool(["zipinfo", "-1", zip])
        #expect(info.status == 0, "\(info.stderr)")
        let names = info.stdout.split(separator: "\n").map(String.init)
        let python = try runTool(
            ["python3", "-c", "import sys, zipfile; print('\\n'.join(zipfile.ZipFile(sys.argv[1]).namelist()))", zip])
        if python.status == 0 { #expect(python.stdout.split(separator: "\n").map(String.init) == names) }
        return names
    }

    func package(_ scratch: ZipScratch, _ arguments: [String]) throws -> ToolRun {
        try runTool([try picolayerExecutable(), "package"] + arguments, in: scratch.path)
    }

    @Test("defaults and .picolayerignore: no .env, .git, backups or .DS_Store; secret/ out, keep.bak back in")
    func realZip() throws {
        let scratch = try ZipScratch()
        defer { scratch.remove() }
        try functionFolder(scratch)
        let run = try package(scratch, ["fn", "-o", "fn.zip"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try names(scratch.path + "/fn.zip") == ["keep.bak", "lib/", "lib/util.l", "main.l", "sub/"])
    }

    @Test("--exclude and --include apply after the file; --no-ignore ships everything and refuses them")
    func flags() throws {
        let scratch = try ZipScratch()
        defer { scratch.remove() }
        try functionFolder(scratch)
        let run = try package(
            scratch, ["fn", "-o", "a.zip", "--exclude", "lib/", "--exclude", "*.bak", "--include", ".env.local"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try names(scratch.path + "/a.zip") == [".env.local", "main.l", "sub/"])

        let everything = try package(scratch, ["fn", "-o", "b.zip", "--no-ignore"])
        #expect(everything.status == 0, "\(everything.stderr)")
        let all = try names(scratch.path + "/b.zip")
        for name in [".env", ".git/config", ".picolayerignore", "main.l.bak", "notes.txt~", "secret/key.pem"] {
            #expect(all.contains(name), "\(name) in \(all)")
        }
        let both = try package(scratch, ["fn", "-o", "c.zip", "--no-ignore", "--exclude", "x"])
        #expect(both.status != 0)
        #expect(both.stderr.contains("--no-ignore switches every rule off"), "\(both.stderr)")
        let long = try package(scratch, ["fn", "-o", "d.zip", "--exclude", String(repeating: "x", count: 5000)])
        #expect(long.status != 0)
        #expect(long.stderr.contains("--exclude line 1: the pattern is 5000 bytes"), "\(long.stderr)")
    }

    @Test("a .picolayerignore that is a symbolic link or over 1 MiB stops the package, naming it; no zip is left")
    func hostileFile() throws {
        let scratch = try ZipScratch()
        defer { scratch.remove() }
        try scratch.file("fn/main.l", "x")
        try scratch.file("rules", "main.l\n")
        try scratch.link("fn/.picolayerignore", to: "../rules")
        let linked = try package(scratch, ["fn", "-o", "a.zip"])
        #expect(linked.status != 0)
        #expect(linked.stderr.contains("fn/.picolayerignore is a symbolic link"), "\(linked.stderr)")
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/a.zip"))

        try FileManager.default.removeItem(atPath: scratch.path + "/fn/.picolayerignore")
        try scratch.file("fn/.picolayerignore", [UInt8](repeating: UInt8(ascii: "\n"), count: (1 << 20) + 10))
        let big = try package(scratch, ["fn", "-o", "a.zip"])
        #expect(big.status != 0)
        #expect(big.stderr.contains("fn/.picolayerignore is 1048586 bytes"), "\(big.stderr)")
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/a.zip"))
    }

    @Test("a staged layer tree zips to the same bytes with the rules as without them")
    func layerUnchanged() async throws {
        let scratch = try ZipScratch()
        defer { scratch.remove() }
        try scratch.file("layer/bootstrap", "#!/bin/sh\nexec /opt/bin/picolisp\n", mode: 0o755)
        try scratch.file("layer/bin/picolisp", [UInt8](repeating: 0x7F, count: 70_000), mode: 0o755)
        try scratch.file("layer/lib/picolisp/lib.l", sampleText(lines: 2000))
        try scratch.file("layer/lib/picolisp/runtime.l", "(de main ())\n")
        try scratch.folder("layer/lib/picolisp/empty")
        try scratch.link("layer/bin/pil", to: "picolisp")
        let layer = scratch.url.appendingPathComponent("layer")
        let writer = ZipWriter(options: ZipOptions(level: 6, timestamp: 1_700_000_000))
        let plain = try await writer.write(directory: layer, to: scratch.url.appendingPathComponent("plain.zip"))
        let ruled = try await writer.write(
            directory: layer, to: scratch.url.appendingPathComponent("ruled.zip"),
            ignoring: try IgnoreRules.forTree(root: layer))
        #expect(ruled.sha256 == plain.sha256)
        #expect(ruled.entries == 9)
        var environment = ProcessInfo.processInfo.environment
        environment["SOURCE_DATE_EPOCH"] = "1700000000"
        let run = try await runTool(
            [try picolayerExecutable(), "package", "layer", "-o", "cli.zip", "--json"], in: scratch.path,
            environment: environment)
        #expect(run.status == 0, "\(run.stderr)")
        let bytes = try Data(contentsOf: scratch.url.appendingPathComponent("cli.zip"))
        #expect(SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined() == plain.sha256)
    }
}
