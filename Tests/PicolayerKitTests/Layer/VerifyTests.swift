import Foundation
import Testing

@testable import PicolayerKit

/// Crafted layers around Debian's real picolisp binary, patched byte-wise to make each fault.
@Suite("verify")
struct VerifyTests {
    static let bootstrap = "#!/bin/sh\nexec /opt/picoLisp/bin/picolisp /opt/picoLisp/lib.l /opt/picoLisp/runtime.l\n"

    /// A layer that passes: bootstrap, Debian's picolisp, lib.l.
    func makeLayer(in root: URL, bootstrap: String = bootstrap, mode: Int = 0o755) throws -> URL {
        let layer = root.appendingPathComponent("layer")
        let bin = layer.appendingPathComponent("picoLisp/bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let boot = layer.appendingPathComponent("bootstrap")
        try Data(bootstrap.utf8).write(to: boot)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: boot.path)
        try FileManager.default.copyItem(at: Fixtures.debianPicolisp, to: bin.appendingPathComponent("picolisp"))
        try FileManager.default.copyItem(
            at: Fixtures.debianPil21.appendingPathComponent("lib.l"),
            to: layer.appendingPathComponent("picoLisp/lib.l"))
        return layer
    }

    /// Rewrites the interpreter with `patch` applied to its bytes.
    func patchInterpreter(_ layer: URL, _ patch: (inout [UInt8]) throws -> Void) throws {
        let url = layer.appendingPathComponent("picoLisp/bin/picolisp")
        var bytes = Array(try Data(contentsOf: url))
        try patch(&bytes)
        try Data(bytes).write(to: url)
    }

    func replace(_ old: String, with new: String, in bytes: inout [UInt8]) throws {
        let needle = Array(old.utf8)
        let replacement = Array(new.utf8)
        precondition(needle.count == replacement.count)
        var found = false
        var index = 0
        while index <= bytes.count - needle.count {
            if bytes[index] == needle[0], Array(bytes[index..<index + needle.count]) == needle {
                bytes.replaceSubrange(index..<index + needle.count, with: replacement)
                found = true
                index += needle.count
            } else {
                index += 1
            }
        }
        try #require(found, "\(old) not found in the binary")
    }

    func checks(_ report: VerifyReport) -> Set<String> {
        Set(report.errors.map(\.check))
    }

    let verifier = LayerVerifier(target: .al2023, architecture: .host)

    @Test("a layer with Debian's picolisp passes for provided.al2023")
    func goodLayer() async throws {
        try await withTemporaryDirectory { root in
            let report = try await verifier.verify(directory: try makeLayer(in: root))
            #expect(report.passed, "\(report.findings)")
            #expect(report.sizes.unzipped > 300_000)
            #expect(report.sizes.zipped < report.sizes.unzipped)
            #expect(
                report.findings.contains { $0.check == "live" && $0.message.contains("turned off (--no-live-check)") })
        }
    }

    @Test("a bootstrap without the executable bit is an error")
    func nonExecutableBootstrap() async throws {
        try await withTemporaryDirectory { root in
            let report = try await verifier.verify(directory: try makeLayer(in: root, mode: 0o644))
            #expect(checks(report) == ["bootstrap-not-executable"])
            #expect(report.errors.first?.remedy.contains("chmod") == true)
        }
    }

    @Test("a bootstrap with CRLF line ends is an error")
    func crlfBootstrap() async throws {
        try await withTemporaryDirectory { root in
            let crlf = Self.bootstrap.replacingOccurrences(of: "\n", with: "\r\n")
            let report = try await verifier.verify(directory: try makeLayer(in: root, bootstrap: crlf))
            #expect(checks(report) == ["bootstrap-crlf"])
            #expect(report.errors.first?.message.contains("shebang") == true)
        }
    }

    @Test("a missing bootstrap and a bootstrap without shebang are errors")
    func missingBootstrap() async throws {
        try await withTemporaryDirectory { root in
            let layer = try makeLayer(in: root, bootstrap: "picolisp runtime.l\n")
            #expect(checks(try await verifier.verify(directory: layer)) == ["bootstrap-shebang"])
            try FileManager.default.removeItem(at: layer.appendingPathComponent("bootstrap"))
            #expect(checks(try await verifier.verify(directory: layer)) == ["bootstrap-missing"])
        }
    }

    @Test("an interpreter for the wrong architecture is an error")
    func wrongArchitecture() async throws {
        try await withTemporaryDirectory { root in
            let layer = try makeLayer(in: root)
            let other: Architecture = Architecture.host == .x86_64 ? .arm64 : .x86_64
            try patchInterpreter(layer) { bytes in
                bytes[18] = UInt8(other.elfMachine & 0xff)
                bytes[19] = UInt8(other.elfMachine >> 8)
            }
            let report = try await verifier.verify(directory: layer)
            #expect(checks(report) == ["elf-arch"])
            // The same file is fine when the layer is declared for that architecture.
            let forOther = LayerVerifier(target: .al2023, architecture: other)
            let otherReport = try await forOther.verify(directory: layer)
            #expect(otherReport.passed, "\(otherReport.findings)")
            #expect(otherReport.findings.contains { $0.message.contains("live check skipped") })
        }
    }

    @Test("a symbol needing a newer glibc than the target's is an error")
    func tooNewGlibc() async throws {
        try await withTemporaryDirectory { root in
            let layer = try makeLayer(in: root)
            try patchInterpreter(layer) { try replace("GLIBC_2.34", with: "GLIBC_2.39", in: &$0) }
            let report = try await verifier.verify(directory: layer)
            #expect(checks(report) == ["glibc-too-new"])
            #expect(report.errors.first?.message.contains("GLIBC_2.39") == true)
        }
    }

    @Test("Debian's picolisp fails on provided.al2: glibc 2.26 and no libffi.so.8 or libreadline.so.8")
    func olderTarget() async throws {
        try await withTemporaryDirectory { root in
            let report = try await LayerVerifier(target: .al2, architecture: .host).verify(
                directory: try makeLayer(in: root))
            #expect(checks(report) == ["glibc-too-new", "library-missing"])
            // The versions listed are glibc's only: the binary also needs LIBFFI_BASE_8.0, which is libffi's.
            let glibc = try #require(report.errors.first { $0.check == "glibc-too-new" }?.message)
            let listed = try #require(glibc.split(separator: "(").dropFirst().first?.split(separator: ")").first)
            let versions = listed.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            #expect(!versions.isEmpty && versions.allSatisfy { $0.hasPrefix("GLIBC_2.") }, "\(glibc)")
            #expect(!glibc.contains("LIBFFI"), "\(glibc)")
            let missing = report.errors.filter { $0.check == "library-missing" }.map(\.message)
            #expect(missing.contains { $0.contains("libffi.so.8") })
            #expect(missing.contains { $0.contains("libreadline.so.8") })
        }
    }

    @Test("a NEEDED library that neither the target nor lib/ has is an error, and lib/ fixes it")
    func missingLibrary() async throws {
        try await withTemporaryDirectory { root in
            let layer = try makeLayer(in: root)
            try patchInterpreter(layer) { try replace("libffi.so.8", with: "libfoo.so.8", in: &$0) }
            let report = try await verifier.verify(directory: layer)
            #expect(checks(report) == ["library-missing"])
            #expect(report.errors.first?.message.contains("libfoo.so.8") == true)

            let lib = layer.appendingPathComponent("lib")
            try FileManager.default.createDirectory(at: lib, withIntermediateDirectories: true)
            try Data("not really a library".utf8).write(to: lib.appendingPathComponent("libfoo.so.8"))
            #expect(try await verifier.verify(directory: layer).passed)
        }
    }

    @Test("sizes over Lambda's limits are errors")
    func sizeLimits() async throws {
        try await withTemporaryDirectory { root in
            let report = try await verifier.verify(
                directory: try makeLayer(in: root), zippedSize: LayerSizes.zippedLimit + 1)
            #expect(checks(report) == ["size-zipped"])
            #expect(!report.sizes.zippedIsEstimate)
        }
    }

    @Test("the live check runs when the architecture matches, and its failure is a finding")
    func liveCheck() async throws {
        try await withTemporaryDirectory { root in
            let layer = try makeLayer(in: root)
            let answering = LayerVerifier(
                target: .al2023, architecture: .host,
                liveCheck: { directory in
                    "answered from \(directory.lastPathComponent)"
                })
            #expect(try await answering.verify(directory: layer).liveResponse == "answered from layer")

            struct NoAnswer: Error {}
            let failing = LayerVerifier(target: .al2023, architecture: .host, liveCheck: { _ in throw NoAnswer() })
            #expect(checks(try await failing.verify(directory: layer)) == ["live"])
        }
    }
}

@Suite("verify a zip")
struct VerifyZipTests {
    @Test("verify reads a zip written by ZipWriter, keeps modes and reports the zip's real size")
    func zip() async throws {
        try await withTemporaryDirectory { root in
            let layer = try VerifyTests().makeLayer(in: root, mode: 0o644)
            let zip = root.appendingPathComponent("layer.zip")
            let written = try await ZipWriter().write(directory: layer, to: zip)
            let report = try await LayerVerifier(target: .al2023, architecture: .host).verify(layerAt: zip)
            #expect(Set(report.errors.map(\.check)) == ["bootstrap-not-executable"])
            #expect(report.sizes.zipped == Int64(written.zippedSize))
            #expect(!report.sizes.zippedIsEstimate)
        }
    }

    @Test("a path that is neither a folder nor a zip is an error")
    func notALayer() async throws {
        await #expect(throws: BuildError.layerNotFound("/no/such/layer")) {
            try await LayerVerifier(target: .al2023, architecture: .host).verify(
                layerAt: URL(fileURLWithPath: "/no/such/layer"))
        }
    }
}
