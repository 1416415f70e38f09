import Foundation
import Testing

@testable import PicolayerKit

/// `verify` without `--arch` reads the architecture from the layer's interpreter, as `publish` does.
@Suite("verify: the architecture read from the layer's interpreter")
struct VerifyArchitectureTests {
    static let binary = BuildCommandTests.binary

    /// A real aarch64 executable: a static `_start` built with a cross compiler, or nil (with the reason printed)
    /// when none here can make one.
    static func aarch64Executable(in root: URL) -> URL? {
        let source = root.appendingPathComponent("start.c")
        let output = root.appendingPathComponent("start-aarch64")
        guard (try? Data("void _start(void) { for (;;) {} }\n".utf8).write(to: source)) != nil else { return nil }
        let flags = ["-nostdlib", "-ffreestanding", "-static", source.path, "-o", output.path]
        let compilers = [
            ["aarch64-linux-gnu-gcc"] + flags,
            ["clang", "--target=aarch64-linux-gnu", "-fuse-ld=lld"] + flags,
            ["clang-14", "--target=aarch64-linux-gnu", "-fuse-ld=lld"] + flags,
        ]
        for command in compilers {
            if let run = try? runTool(command), run.status == 0,
                let header = try? OpenFile.reading(output.path).read(upTo: 64),
                Architecture(elfHeader: header) == .arm64
            {
                return output
            }
        }
        print("skipped: no aarch64-linux-gnu-gcc, nor clang with lld for --target=aarch64-linux-gnu")
        return nil
    }

    /// The fixture layer of `VerifyTests` with `interpreter` as its picoLisp/bin/picolisp.
    func layer(in root: URL, interpreter: URL? = nil) throws -> URL {
        let layer = try VerifyTests().makeLayer(in: root)
        if let interpreter {
            let target = layer.appendingPathComponent("picoLisp/bin/picolisp")
            try FileManager.default.removeItem(at: target)
            try FileManager.default.copyItem(at: interpreter, to: target)
        }
        return layer
    }

    @Test("a folder and its zip give the ELF's architecture; a link or a missing interpreter says why not")
    func kitReadsFolderAndZip() async throws {
        try await withTemporaryDirectory { root in
            let layer = try layer(in: root)
            #expect(try LayerArchitecture.of(layerAt: layer.path) == .host)
            let zip = root.appendingPathComponent("layer.zip")
            _ = try await ZipWriter().write(directory: layer, to: zip)
            #expect(try LayerArchitecture.of(layerAt: zip.path) == .host)

            let interpreter = layer.appendingPathComponent("picoLisp/bin/picolisp")
            try FileManager.default.removeItem(at: interpreter)
            try FileManager.default.createSymbolicLink(atPath: interpreter.path, withDestinationPath: "/bin/true")
            let error = #expect(throws: LayerArchitecture.Unknown.self) {
                try LayerArchitecture.of(layerAt: layer.path)
            }
            #expect(error?.reason.contains("no regular file picoLisp/bin/picolisp") == true)
        }
    }

    @Test(
        "verify without --arch checks an x86_64 layer for x86_64 and says so in the result line",
        .enabled(if: FileManager.default.isExecutableFile(atPath: binary.path)))
    func x86Layer() async throws {
        try await withTemporaryDirectory { root in
            let layer = try layer(in: root)
            let run = try await BuildCommandTests().picolayer(["verify", layer.path, "--no-live-check"])
            #expect(run.exitStatus == 0, "\(run.standardOutputText)")
            #expect(
                run.standardOutputText.hasSuffix(
                    "verify: \(layer.path) passed for provided.al2023 \(Architecture.host.rawValue) (read from its interpreter)\n"
                ))
        }
    }

    @Test(
        "verify without --arch checks an aarch64 layer, folder or zip, for arm64; --arch x86_64 finds elf-arch",
        .enabled(if: FileManager.default.isExecutableFile(atPath: binary.path)))
    func armLayer() async throws {
        try await withTemporaryDirectory { root in
            guard let executable = Self.aarch64Executable(in: root) else { return }
            let layer = try layer(in: root, interpreter: executable)
            #expect(try LayerArchitecture.of(folder: layer.path) == .arm64)
            let zip = root.appendingPathComponent("arm.zip")
            _ = try await ZipWriter().write(directory: layer, to: zip)
            #expect(try LayerArchitecture.of(zip: zip.path) == .arm64)
            for path in [layer.path, zip.path] {
                let run = try await BuildCommandTests().picolayer(["verify", path, "--no-live-check"])
                let last = run.standardOutputText.split(separator: "\n").last.map(String.init) ?? ""
                #expect(last.hasSuffix("for provided.al2023 arm64 (read from its interpreter)"), "\(last)")
                #expect(!run.standardOutputText.contains("elf-arch"))
            }
            let forced = try await BuildCommandTests().picolayer(
                ["verify", layer.path, "--no-live-check", "--arch", "x86_64"])
            #expect(forced.exitStatus != 0)
            #expect(forced.standardOutputText.contains("built for arm64 (aarch64), but the layer is for x86_64"))
            #expect(forced.standardOutputText.contains("for provided.al2023 x86_64 (--arch)"))
        }
    }
}
