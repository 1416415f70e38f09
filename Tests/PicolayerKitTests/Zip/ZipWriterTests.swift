import Foundation
import PicolayerKit
import Testing

/// A tree with everything a layer can hold: executables, plain files, links in and out, empty folders and files,
/// Unicode and long names, a deep path, and files spanning many chunks.
private func makeLayerTree(_ scratch: ZipScratch, root: String = "tree", fileMode: Int = 0o644, execMode: Int = 0o755)
    throws
{
    try scratch.file("\(root)/bootstrap", "#!/bin/sh\nexec picoLisp/bin/picolisp\n", mode: execMode)
    try scratch.file("\(root)/picoLisp/bin/picolisp", randomBytes(700_000), mode: execMode)
    try scratch.file("\(root)/picoLisp/lib.l", sampleText(lines: 60_000), mode: fileMode)
    try scratch.file("\(root)/picoLisp/runtime.l", "(de main () (prinl \"ok\"))\n", mode: fileMode)
    try scratch.file("\(root)/picoLisp/empty.l", [], mode: fileMode)
    try scratch.folder("\(root)/picoLisp/json")
    try scratch.folder("\(root)/empty-folder")
    try scratch.file("\(root)/Ünïcødé/データ.l", "(prinl \"héllo\")\n", mode: fileMode)
    try scratch.file("\(root)/\(String(repeating: "long-name-", count: 20)).l", "long\n", mode: fileMode)
    let deep = (1...40).map { "d\($0)" }.joined(separator: "/")
    try scratch.file("\(root)/\(deep)/leaf.l", "deep\n", mode: fileMode)
    try scratch.folder("\(root)/picoLisp/lib")
    try scratch.link("\(root)/picoLisp/lib/ext.l", to: "../lib.l")
    try scratch.link("\(root)/picoLisp/current", to: "bin")
    try scratch.link("\(root)/outside", to: "/etc/hostname")
}

/// Compares an extracted folder with the source tree: bytes, modes (normalised) and link targets.
/// 7-Zip re-roots absolute link targets under the output folder by policy, so those are compared by suffix.
private func expectSameTree(_ source: String, _ extracted: String, absoluteLinksReRooted: Bool = false) throws {
    let manager = FileManager.default
    let sourceItems = Set(try manager.subpathsOfDirectory(atPath: source))
    let extractedItems = Set(try manager.subpathsOfDirectory(atPath: extracted))
    #expect(sourceItems == extractedItems)
    for item in sourceItems {
        let a = source + "/" + item
        let b = extracted + "/" + item
        let attributesA = try manager.attributesOfItem(atPath: a)
        let attributesB = try manager.attributesOfItem(atPath: b)
        let type = attributesA[.type] as? FileAttributeType
        #expect(type == attributesB[.type] as? FileAttributeType, "type of \(item)")
        if type == .typeSymbolicLink {
            let targetA = try manager.destinationOfSymbolicLink(atPath: a)
            let targetB = try manager.destinationOfSymbolicLink(atPath: b)
            if absoluteLinksReRooted && targetA.hasPrefix("/") {
                #expect(targetB == extracted + targetA, "link target of \(item)")
            } else {
                #expect(targetA == targetB, "link target of \(item)")
            }
            continue
        }
        let modeB = (attributesB[.posixPermissions] as? Int) ?? -1
        if type == .typeDirectory {
            #expect(modeB == 0o755, "mode of folder \(item)")
            continue
        }
        let modeA = (attributesA[.posixPermissions] as? Int) ?? 0
        #expect(modeB == (modeA & 0o111 != 0 ? 0o755 : 0o644), "mode of \(item)")
        #expect(manager.contentsEqual(atPath: a, andPath: b), "bytes of \(item)")
    }
}

private let pythonInspector = """
    import json, sys, zipfile
    z = zipfile.ZipFile(sys.argv[1])
    bad = z.testzip()
    print(json.dumps({"bad": bad, "entries": [
        {"name": i.filename, "mode": i.external_attr >> 16, "dos": i.external_attr & 0xFFFF,
         "flags": i.flag_bits, "method": i.compress_type, "date": list(i.date_time),
         "system": i.create_system, "extra": len(i.extra), "size": i.file_size}
        for i in z.infolist()]}))
    """

private struct PythonEntry: Decodable {
    let name: String
    let mode: Int
    let dos: Int
    let flags: Int
    let method: Int
    let date: [Int]
    let system: Int
    let extra: Int
    let size: Int
}

private struct PythonReport: Decodable {
    let bad: String?
    let entries: [PythonEntry]
}

private func inspectWithPython(_ zip: String) throws -> PythonReport {
    let run = try runTool(["python3", "-c", pythonInspector, zip])
    #expect(run.status == 0, "python zipfile: \(run.stderr)")
    return try JSONDecoder().decode(PythonReport.self, from: Data(run.stdout.utf8))
}

@Suite("Zip writer, checked by zip readers we did not write")
struct ZipWriterTests {
    @Test("unzip -t, 7z t and Python's testzip accept the zip, and zipinfo shows Unix modes")
    func readersAccept() async throws {
        let scratch = try ZipScratch()
        defer { scratch.remove() }
        try makeLayerTree(scratch)
        let zip = scratch.path + "/layer.zip"
        let report = try await ZipWriter().write(
            directory: scratch.url.appendingPathComponent("tree"), to: URL(fileURLWithPath: zip))

        let unzip = try await runTool(["unzip", "-t", zip])
        #expect(unzip.status == 0, "unzip -t: \(unzip.stdout)\(unzip.stderr)")
        #expect(unzip.stdout.contains("No errors detected"))
        let sevenZip = try await runTool(["7z", "t", zip])
        #expect(sevenZip.status == 0 && sevenZip.stdout.contains("Everything is Ok"), "7z: \(sevenZip.stdout)")

        let info = try await runTool(["zipinfo", zip])
        #expect(info.status == 0)
        let lines = info.stdout.split(separator: "\n").map(String.init)
        func line(_ suffix: String) -> String? { lines.first { $0.hasSuffix(" " + suffix) } }
        #expect(line("bootstrap")?.hasPrefix("-rwxr-xr-x") == true)
        #expect(line("picoLisp/lib.l")?.hasPrefix("-rw-r--r--") == true)
        #expect(line("picoLisp/lib/ext.l")?.hasPrefix("lrwxrwxrwx") == true)
        #expect(line("empty-folder/")?.hasPrefix("drwxr-xr-x") == true)
        #expect(lines.filter { $0.contains(" unx ") }.count == report.entries, "every entry made by Unix")

        let python = try inspectWithPython(zip)
        #expect(python.bad == nil)
        #expect(python.entries.count == report.entries)
        for entry in python.entries {
            #expect(entry.system == 3, "\(entry.name) made by Unix")
            #expect(entry.extra == 0, "\(entry.name) has no extra fields (no uid, gid or atime)")
            #expect(entry.date == [1980, 1, 1, 0, 0, 0])
        }
        let folder = try #require(python.entries.first { $0.name == "empty-folder/" })
        #expect(folder.mode == 0o40755 && folder.dos & 0x10 != 0)
        let unicode = try #require(python.entries.first { $0.name == "Ünïcødé/データ.l" })
        #expect(unicode.flags & 0x800 != 0, "UTF-8 flag on a non-ASCII name")
        #expect(python.entries.first { $0.name == "bootstrap" }?.flags == 0, "no UTF-8 flag on ASCII names")
        let names = python.entries.map(\.name)
        #expect(names == names.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
    }

    @Test(
        "bsdtar, 7z and unzip extract the same bytes, modes, links, empty folders and names",
        arguments: ["bsdtar", "7z", "unzip"])
    func extractsFaithfully(tool: String) async throws {
        let scratch = try ZipScratch()
        defer { scratch.remove() }
        try makeLayerTree(scratch)
        let zip = scratch.path + "/layer.zip"
        _ = try await ZipWriter().write(
            directory: scratch.url.appendingPathComponent("tree"), to: URL(fileURLWithPath: zip))
        try scratch.folder("out")
        let out = scratch.path + "/out"
        let arguments: [String]
        switch tool {
        case "bsdtar": arguments = ["bsdtar", "-x", "-p", "-f", zip, "-C", out]
        // -snld: this layer's links that climb with ../ are what we test, so 7-Zip must not drop them.
        case "7z": arguments = ["7z", "x", "-snl", "-snld", "-o" + out, zip]
        default: arguments = ["unzip", "-q", zip, "-d", out]
        }
        let run = try await runTool(arguments)
        #expect(run.status == 0, "\(tool): \(run.stdout)\(run.stderr)")
        try expectSameTree(scratch.path + "/tree", out, absoluteLinksReRooted: tool == "7z")
    }

    @Test("the same tree gives the same bytes whatever the modes' extra bits, mtimes and thread count")
    func reproducible() async throws {
        let scratch = try ZipScratch()
        defer { scratch.remove() }
        try makeLayerTree(scratch, root: "a", fileMode: 0o644, execMode: 0o755)
        try makeLayerTree(scratch, root: "b", fileMode: 0o600, execMode: 0o700)
        // Different mtimes for the second tree.
        let later = Date(timeIntervalSince1970: 1_900_000_000)
        for item in try FileManager.default.subpathsOfDirectory(atPath: scratch.path + "/b") {
            try? FileManager.default.setAttributes(
                [.modificationDate: later], ofItemAtPath: scratch.path + "/b/" + item)
        }
        let first = try await ZipWriter(options: ZipOptions(threads: 1)).write(
            directory: scratch.url.appendingPathComponent("a"), to: URL(fileURLWithPath: scratch.path + "/1.zip"))
        let second = try await ZipWriter(options: ZipOptions(threads: 5)).write(
            directory: scratch.url.appendingPathComponent("b"), to: URL(fileURLWithPath: scratch.path + "/2.zip"))
        #expect(first.sha256 == second.sha256)
        #expect(first.codeSha256 == second.codeSha256)
        let a = try Data(contentsOf: URL(fileURLWithPath: scratch.path + "/1.zip"))
        let b = try Data(contentsOf: URL(fileURLWithPath: scratch.path + "/2.zip"))
        #expect(a == b)
        let sha = try await runTool(["sha256sum", scratch.path + "/1.zip"])
        #expect(sha.stdout.hasPrefix(first.sha256))
        #expect(Data(base64Encoded: first.codeSha256)?.map { String(format: "%02x", $0) }.joined() == first.sha256)
    }

    @Test("SOURCE_DATE_EPOCH sets every entry's timestamp")
    func sourceDateEpoch() async throws {
        let scratch = try ZipScratch()
        defer { scratch.remove() }
        try scratch.file("tree/a.l", "a\n")
        try scratch.folder("tree/f")
        let zip = scratch.path + "/t.zip"
        // 2021-03-04T05:06:08Z
        _ = try await ZipWriter(options: ZipOptions(timestamp: 1_614_834_368)).write(
            directory: scratch.url.appendingPathComponent("tree"), to: URL(fileURLWithPath: zip))
        let python = try inspectWithPython(zip)
        #expect(python.entries.map(\.date) == [[2021, 3, 4, 5, 6, 8], [2021, 3, 4, 5, 6, 8]])
    }

    @Test("deflate is used where it helps; incompressible and empty entries are stored; level 0 stores all")
    func storedOrDeflated() async throws {
        let scratch = try ZipScratch()
        defer { scratch.remove() }
        try scratch.file("tree/random.bin", randomBytes(600_000))
        try scratch.file("tree/text.l", sampleText(lines: 20_000))
        try scratch.file("tree/empty", [])
        let zip = scratch.path + "/t.zip"
        let report = try await ZipWriter().write(
            directory: scratch.url.appendingPathComponent("tree"), to: URL(fileURLWithPath: zip))
        let methods = Dictionary(uniqueKeysWithValues: try inspectWithPython(zip).entries.map { ($0.name, $0.method) })
        #expect(methods == ["random.bin": 0, "text.l": 8, "empty": 0])
        #expect(report.zippedSize < report.unzippedSize)

        let stored = scratch.path + "/s.zip"
        _ = try await ZipWriter(options: ZipOptions(level: 0)).write(
            directory: scratch.url.appendingPathComponent("tree"), to: URL(fileURLWithPath: stored))
        #expect(try inspectWithPython(stored).entries.allSatisfy { $0.method == 0 })
        await #expect(try await runTool(["unzip", "-t", stored]).status == 0)
    }

    @Test("our reader lists what we wrote and inflates entries, links and modes included")
    func readerRoundTrip() async throws {
        let scratch = try ZipScratch()
        defer { scratch.remove() }
        try makeLayerTree(scratch)
        let zip = URL(fileURLWithPath: scratch.path + "/layer.zip")
        let report = try await ZipWriter().write(directory: scratch.url.appendingPathComponent("tree"), to: zip)
        let reader = try ZipReader(contentsOf: zip)
        #expect(reader.entries.count == report.entries)
        let lib = try #require(reader.entry(named: "picoLisp/lib.l"))
        #expect(try reader.contents(of: lib) == sampleText(lines: 60_000))
        let binary = try #require(reader.entry(named: "picoLisp/bin/picolisp"))
        #expect(binary.mode == 0o755 && binary.kind == .file)
        #expect(try reader.contents(of: binary) == randomBytes(700_000))
        let link = try #require(reader.entry(named: "picoLisp/lib/ext.l"))
        let target = String(decoding: try reader.contents(of: link), as: UTF8.self)
        #expect(link.kind == .symlink && target == "../lib.l")
        #expect(reader.entry(named: "empty-folder")?.kind == .directory)
    }

    @Test("a link pointing outside the tree is kept and reported; links inside are not")
    func outsideLinkWarning() async throws {
        let scratch = try ZipScratch()
        defer { scratch.remove() }
        try makeLayerTree(scratch)
        let report = try await ZipWriter().write(
            directory: scratch.url.appendingPathComponent("tree"), to: URL(fileURLWithPath: scratch.path + "/l.zip"))
        #expect(report.warnings.count == 1)
        #expect(report.warnings.first?.contains("outside -> ") == false)
        #expect(report.warnings.first?.hasPrefix("outside is a symbolic link to /etc/hostname") == true)
    }
}
