import Foundation
import Testing

@testable import PicolayerKit

/// picolisp-awscurl in a layer: the `lib/libcrypto.so` link the stager makes and the findings of verify without it.
@Suite("bundled library requirements")
struct BundledLibraryTests {
    /// A folder holding only what the check looks at: the library's file and, optionally, `lib/libcrypto.so`.
    func layer(in root: URL, link: String?) throws -> URL {
        let layer = root.appendingPathComponent("layer")
        let awscurl = layer.appendingPathComponent("picoLisp/awscurl")
        try FileManager.default.createDirectory(at: awscurl, withIntermediateDirectories: true)
        try Data("# stand-in\n".utf8).write(to: awscurl.appendingPathComponent("libawscurl.l"))
        if let link {
            let lib = layer.appendingPathComponent("lib")
            try FileManager.default.createDirectory(at: lib, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(
                atPath: lib.appendingPathComponent("libcrypto.so").path, withDestinationPath: link)
        }
        return layer
    }

    @Test(
        "lib/libcrypto.so must reach the target's own libcrypto",
        arguments: [
            (LambdaTarget.al2023, "/lib64/libcrypto.so.3", true),
            (.al2023, "/usr/lib64/libcrypto.so.3", true),
            (.al2, "/lib64/libcrypto.so.10", true),
            (.al2023, "/lib64/libcrypto.so.10", false),
            (.al2023, "/usr/lib/x86_64-linux-gnu/libcrypto.so.3", false),
            (.al2023, "libcrypto.so.3", false),
        ])
    func link(target: LambdaTarget, destination: String, passes: Bool) async throws {
        try await withTemporaryDirectory { root in
            let layer = try layer(in: root, link: destination)
            let findings = BundledLibraryRequirement.check(layer: layer, target: target)
            #expect(findings.isEmpty == passes, "\(findings)")
            if !passes {
                #expect(findings.map(\.check) == ["library-needs-libcrypto"])
                #expect(findings[0].path == "picoLisp/awscurl/libawscurl.l")
            }
        }
    }

    @Test("without the link verify names the library, the missing name and the fix")
    func missing() async throws {
        try await withTemporaryDirectory { root in
            let layer = try layer(in: root, link: nil)
            let findings = BundledLibraryRequirement.check(layer: layer, target: .al2023)
            let finding = try #require(findings.first)
            #expect(finding.severity == .error)
            #expect(finding.message.contains("libcrypto.so") && finding.message.contains("openssl"))
            #expect(finding.remedy.contains("/lib64/libcrypto.so.3"))
        }
    }

    @Test("a layer without picolisp-awscurl needs nothing")
    func noLibrary() async throws {
        try await withTemporaryDirectory { root in
            let layer = root.appendingPathComponent("layer")
            try FileManager.default.createDirectory(at: layer, withIntermediateDirectories: true)
            #expect(BundledLibraryRequirement.check(layer: layer, target: .al2023).isEmpty)
        }
    }

    @Test("the stager links lib/libcrypto.so to the target's libcrypto, and package keeps it without a warning")
    func stagerLinks() async throws {
        try await withTemporaryDirectory { root in
            let layer = try layer(in: root, link: nil)
            let stager = LayerStager(
                runner: ProcessRunner(environment: [:]), target: .al2023, full: false, logger: .silent)
            try stager.linkSystemLibraries(into: layer)
            let link = layer.appendingPathComponent("lib/libcrypto.so").path
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == "/lib64/libcrypto.so.3")
            let tree = try TreeScanner.scan(root: layer)
            #expect(tree.entries.contains { $0.path == "lib/libcrypto.so" })
            #expect(tree.warnings.isEmpty, "\(tree.warnings)")
        }
    }
}
