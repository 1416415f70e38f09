import Foundation
import PicolayerKit
import Testing

@Suite("picolayer package, run as a user runs it")
struct PackageCommandTests {
    @Test("--json prints one object with the counts, sizes and both forms of the SHA-256")
    func jsonReport() throws {
        let scratch = try ZipScratch()
        defer { scratch.remove() }
        try scratch.file("layer/bootstrap", "#!/bin/sh\n", mode: 0o755)
        try scratch.file("layer/picoLisp/lib.l", sampleText(lines: 1000))
        let run = try runTool(
            [try picolayerExecutable(), "package", "layer", "-o", "out.zip", "--json"], in: scratch.path)
        #expect(run.status == 0, "\(run.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(object["entries"] as? Int == 3)
        // The zip is named as it was given, not as this machine's absolute path.
        #expect(object["path"] as? String == "out.zip")
        let sha = try runTool(["sha256sum", scratch.path + "/out.zip"]).stdout.prefix(64)
        #expect(object["sha256"] as? String == String(sha))
        let base64 = try runTool(
            ["sh", "-c", "openssl dgst -sha256 -binary \"$1\" | base64", "sh", scratch.path + "/out.zip"])
        if base64.status == 0 {
            #expect(object["codeSha256"] as? String == base64.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        #expect((object["zippedSize"] as? Int ?? 0) > 0 && (object["unzippedSize"] as? Int ?? 0) > 0)
        #expect(object["warnings"] as? [String] == [])
    }

    @Test("the default folder is build/layer and the default output picolisp.zip; the report is readable")
    func defaults() throws {
        let scratch = try ZipScratch()
        defer { scratch.remove() }
        try scratch.file("build/layer/bootstrap", "#!/bin/sh\n", mode: 0o755)
        let run = try runTool([try picolayerExecutable(), "package"], in: scratch.path)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(FileManager.default.fileExists(atPath: scratch.path + "/picolisp.zip"))
        #expect(run.stdout.contains("CodeSha256"))
        #expect(run.stdout.contains("entries        1"))
        #expect(run.stdout.split(separator: "\n").first == "picolisp.zip")
    }

    @Test("SOURCE_DATE_EPOCH from the environment stamps the entries; a malformed one is refused")
    func sourceDateEpoch() throws {
        let scratch = try ZipScratch()
        defer { scratch.remove() }
        try scratch.file("layer/a.l", "a")
        let binary = try picolayerExecutable()
        var environment = ProcessInfo.processInfo.environment
        environment["SOURCE_DATE_EPOCH"] = "1700000000"
        let good = try runTool([binary, "package", "layer", "-o", "a.zip"], in: scratch.path, environment: environment)
        #expect(good.status == 0)
        let info = try runTool(["zipinfo", "-T", scratch.path + "/a.zip"])
        #expect(info.stdout.contains("20231114.221320"), "\(info.stdout)")
        environment["SOURCE_DATE_EPOCH"] = "yesterday"
        let bad = try runTool([binary, "package", "layer", "-o", "b.zip"], in: scratch.path, environment: environment)
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("SOURCE_DATE_EPOCH"))
    }

    @Test("a missing folder exits non-zero with a message that says what to do")
    func missingFolder() throws {
        let scratch = try ZipScratch()
        defer { scratch.remove() }
        let run = try runTool([try picolayerExecutable(), "package"], in: scratch.path)
        #expect(run.status != 0)
        #expect(run.stderr.contains("build/layer does not exist"))
        #expect(run.stderr.contains("picolayer build"))
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/picolisp.zip"))
    }

    @Test("--level outside 0-9 is refused before anything is read")
    func badLevel() throws {
        let scratch = try ZipScratch()
        defer { scratch.remove() }
        let run = try runTool([try picolayerExecutable(), "package", "--level", "10"], in: scratch.path)
        #expect(run.status != 0)
        #expect(run.stderr.contains("--level must be from 0 to 9"))
    }

    /// Root reads everything, so unreadable files and unwritable folders are tried as the user `nobody`.
    @Test("as an unprivileged user: an unreadable file and an unwritable output folder are named, nothing is left")
    func permissionErrors() throws {
        guard getuid() == 0 else { return }  // as a normal user the same cases are covered by the user's own rights
        let binary = try picolayerExecutable()
        // The binary must be reachable by `nobody`; copy it into a world-readable scratch folder.
        let scratch = try ZipScratch()
        defer { scratch.remove() }
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: scratch.path)
        let copy = scratch.path + "/picolayer"
        try FileManager.default.copyItem(atPath: binary, toPath: copy)
        try scratch.file("layer/ok.l", "ok")
        try scratch.file("layer/secret.l", "secret", mode: 0o600)
        try scratch.folder("out", mode: 0o777)
        try scratch.folder("locked", mode: 0o755)
        let asNobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", copy, "package"]

        let unreadable = try runTool(asNobody + [scratch.path + "/layer", "-o", scratch.path + "/out/a.zip"])
        #expect(unreadable.status != 0)
        #expect(unreadable.stderr.contains("cannot read \(scratch.path)/layer/secret.l"), "\(unreadable.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path + "/out").isEmpty)

        try FileManager.default.setAttributes(
            [.posixPermissions: 0o644], ofItemAtPath: scratch.path + "/layer/secret.l")
        let unwritable = try runTool(asNobody + [scratch.path + "/layer", "-o", scratch.path + "/locked/a.zip"])
        #expect(unwritable.status != 0)
        #expect(unwritable.stderr.contains("cannot write the zip in \(scratch.path)/locked"), "\(unwritable.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path + "/locked").isEmpty)
    }
}
