import Foundation
import Testing

@testable import PicolayerKit

/// The environment the tests give to picolayer: this process's PATH and nothing else that could vary.
let testEnvironment: [String: String] = [
    "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin",
    "HOME": FileManager.default.temporaryDirectory.path,
]

enum Fixtures {
    /// Debian's picolisp package installs the pil21 tree here.
    static let debianPil21 = URL(fileURLWithPath: "/usr/lib/picolisp")
    static let debianPicolisp = URL(fileURLWithPath: "/usr/bin/picolisp")

    static func run(_ program: String, _ arguments: [String], in directory: URL? = nil) async throws -> ProcessResult {
        let result = try await ProcessRunner(environment: testEnvironment).run(
            program, arguments, currentDirectory: directory)
        #expect(result.succeeded, "\(program) \(arguments): \(result.standardErrorText)")
        return result
    }

    /// Writes `files` (relative path to text) under `root/top` and tars them as `root/name`.
    static func tarball(named name: String, top: String, files: [String: String], in root: URL) async throws -> URL {
        let folder = root.appendingPathComponent("src-\(name)").appendingPathComponent(top)
        for (path, text) in files {
            let file = folder.appendingPathComponent(path)
            try FileManager.default.createDirectory(
                at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: file)
        }
        let tarball = root.appendingPathComponent(name)
        _ = try await run("tar", ["-czf", tarball.path, "-C", folder.deletingLastPathComponent().path, top])
        return tarball
    }

    /// The sources a build needs, as the tests serve them: pil21.tgz from Debian's tree and stand-ins for the
    /// two libraries.
    struct Sources {
        var directory: URL
        var pil21: URL
        var json: URL
        var awscurl: URL
    }

    static func sources(in root: URL) async throws -> Sources {
        let directory = root.appendingPathComponent("served")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let pil21 = directory.appendingPathComponent("pil21.tgz")
        // Debian's tree has a doc symlink pointing outside it; leave it out like the real tarball's layout.
        _ = try await run(
            "tar",
            [
                "-czf", pil21.path, "--exclude=picolisp/doc", "--transform=s,^picolisp,pil21,", "-C",
                debianPil21.deletingLastPathComponent().path, "picolisp",
            ])
        let json = try await tarball(
            named: "json.tgz", top: "picolisp-json-4.1.0",
            files: [
                "json.l": "(de json-decode (S) S)\n(de json-encode (L) \"{}\")\n", "LICENSE": "MIT License\n",
                "test/test_json.l": "(prinl \"test\")\n",
            ], in: directory)
        let awscurl = try await tarball(
            named: "awscurl.tgz", top: "picolisp-awscurl-1.0.0",
            files: ["libawscurl.l": "(de aws-curl () T)\n", "LICENSE": "MIT License\n"], in: directory)
        return Sources(directory: directory, pil21: pil21, json: json, awscurl: awscurl)
    }

    /// A templates folder: the real build script, a small bootstrap and a runtime.l stand-in.
    static func templates(in root: URL) throws -> URL {
        let folder = root.appendingPathComponent("templates")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let script = TemplateSet.embedded.files[TemplateSet.buildScript] ?? []
        try Data(script).write(to: folder.appendingPathComponent(TemplateSet.buildScript))
        try Data("#!/bin/sh\nexec /opt/picoLisp/bin/picolisp /opt/picoLisp/lib.l /opt/picoLisp/runtime.l\n".utf8)
            .write(to: folder.appendingPathComponent(TemplateSet.bootstrap))
        try Data("(de runtimeReady () \"ready\")\n".utf8).write(to: folder.appendingPathComponent("runtime.l"))
        return folder
    }
}

/// `python3 -m http.server` on 127.0.0.1, port 0, serving one folder; stopped by `stop()`.
final class StaticServer {
    let process = Process()
    let port: Int

    init(serving directory: URL) throws {
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", directory.path,
        ]
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The first line names the port: "Serving HTTP on 127.0.0.1 port 41234 (http://127.0.0.1:41234/) ...".
        var text = ""
        var found: Int?
        for _ in 0..<200 where found == nil {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
            if let range = text.range(of: " port ") {
                found = Int(text[range.upperBound...].prefix { $0.isNumber })
            }
        }
        guard let found else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw ServerError.noPort(text)
        }
        port = found
    }

    enum ServerError: Error { case noPort(String) }

    func url(_ name: String) -> String { "http://127.0.0.1:\(port)/\(name)" }

    /// SIGKILL: a child of the test process may inherit a signal mask that blocks SIGTERM.
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
