import FoundationEssentials
import Logging

/// Assembles the layer folder (see ``LayerLayout``) from a pil21 build, the two libraries and the templates.
/// With `full`, the whole pil21 tree and the libraries' whole trees are copied instead.
struct LayerStager: Sendable {
    var runner: ProcessRunner
    var target: LambdaTarget
    var full: Bool
    var logger: Logger

    struct Library: Sendable {
        var name: String
        var source: FetchedSource
    }

    func stage(
        build: PilCompiler.Output, libraries: [Library], templates: TemplateSet, into layer: URL
    ) async throws {
        let fileManager = FileManager.default
        try fileManager.createDirectory(at: layer, withIntermediateDirectories: true)
        let pico = layer.appendingPathComponent(LayerLayout.interpreterFolder)

        // The interpreter.
        if full {
            try fileManager.copyItem(at: build.tree, to: pico)
        } else {
            try copyInterpreter(from: build.tree, to: pico)
        }

        // The runtime and bootstrap.
        let bootstrap = layer.appendingPathComponent(TemplateSet.bootstrap)
        try Data(try templates.require(TemplateSet.bootstrap)).write(to: bootstrap)
        try setMode(0o755, bootstrap)
        for name in templates.runtimeFiles {
            let file = pico.appendingPathComponent(name)
            try Data(templates.files[name] ?? []).write(to: file)
            try setMode(0o644, file)
        }

        // picolisp-json and picolisp-awscurl.
        for library in libraries {
            let destination = pico.appendingPathComponent(library.name)
            try await withUnpacked(library.source) { root in
                if full {
                    try fileManager.copyItem(at: root, to: destination)
                } else {
                    try fileManager.createDirectory(at: destination, withIntermediateDirectories: true)
                    for entry in try TreeScanner.entries(under: root)
                    where entry.isFile && !entry.path.contains("/")
                        && (entry.path.hasSuffix(".l") || Self.isLicence(entry.path))
                    {
                        try fileManager.copyItem(
                            at: entry.url, to: destination.appendingPathComponent(entry.path))
                    }
                }
            }
        }

        try bundleLibraries(from: build.dependencies, into: layer)
        try linkSystemLibraries(into: layer)
    }

    /// Links `lib/libcrypto.so` to the target's own libcrypto when a staged library loads it by that name (the
    /// images have only the versioned file; see `BundledLibraryRequirement`).
    func linkSystemLibraries(into layer: URL) throws {
        for requirement in BundledLibraryRequirement.all
        where requirement.linksCryptoLibrary
            && FileManager.default.fileExists(atPath: layer.appendingPathComponent(requirement.file).path)
        {
            let libDirectory = layer.appendingPathComponent(LayerLayout.libraryFolder)
            try FileManager.default.createDirectory(at: libDirectory, withIntermediateDirectories: true)
            let link = libDirectory.appendingPathComponent(BundledLibraryRequirement.cryptoLinkName)
            if (try? FileManager.default.destinationOfSymbolicLink(atPath: link.path)) == nil {
                try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: target.cryptoLibrary)
            }
            let shown = "lib/\(BundledLibraryRequirement.cryptoLinkName) -> \(target.cryptoLibrary)"
            logger.info(
                "layer: linking \(shown) (\(requirement.file) loads it; \(target.rawValue) has only the versioned name)"
            )
        }
    }

    /// Copies what the runtime needs of the pil21 tree: bin/picolisp, the top-level *.l, lib/*.l, the extension
    /// libraries and the licence.
    func copyInterpreter(from tree: URL, to pico: URL) throws {
        let fileManager = FileManager.default
        let bin = pico.appendingPathComponent("bin")
        let lib = pico.appendingPathComponent("lib")
        try fileManager.createDirectory(at: bin, withIntermediateDirectories: true)
        try fileManager.createDirectory(at: lib, withIntermediateDirectories: true)
        try fileManager.copyItem(
            at: tree.appendingPathComponent("bin/picolisp"), to: bin.appendingPathComponent("picolisp"))
        for entry in try TreeScanner.entries(under: tree) where entry.isFile {
            let path = entry.path
            let parts = path.split(separator: "/")
            let wanted =
                (parts.count == 1 && (path.hasSuffix(".l") || Self.isLicence(path)))
                || (parts.count == 2 && parts[0] == "lib"
                    && (path.hasSuffix(".l") || LayerLayout.extensionLibraries.contains(String(parts[1]))))
            if wanted {
                try fileManager.copyItem(at: entry.url, to: pico.appendingPathComponent(path))
            }
        }
    }

    /// Copies into the layer's `lib/` every shared library that an ELF of the layer needs, that the target image
    /// lacks and that the build collected; repeats for what those libraries need in turn.
    func bundleLibraries(from dependencies: URL, into layer: URL) throws {
        let fileManager = FileManager.default
        let libDirectory = layer.appendingPathComponent(LayerLayout.libraryFolder)
        var available: Set<String> = []
        if let names = try? fileManager.contentsOfDirectory(atPath: dependencies.path) {
            available = Set(names)
        }
        var bundled: Set<String> = []
        // Each round bundles at least one new library or stops, so the loop ends after |available| rounds.
        for _ in 0...available.count {
            var wanted: Set<String> = []
            for entry in try TreeScanner.entries(under: layer) where entry.isFile && ELFFile.isELF(at: entry.url) {
                guard let elf = try? ELFFile(contentsOf: entry.url) else { continue }
                for name in elf.needed where !target.systemLibraries.contains(name) && !bundled.contains(name) {
                    if available.contains(name) { wanted.insert(name) }
                }
            }
            if wanted.isEmpty { break }
            try fileManager.createDirectory(at: libDirectory, withIntermediateDirectories: true)
            for name in wanted.sorted() {
                let destination = libDirectory.appendingPathComponent(name)
                try fileManager.copyItem(at: dependencies.appendingPathComponent(name), to: destination)
                try setMode(0o755, destination)
                bundled.insert(name)
                logger.info("layer: bundling \(name) (\(target.rawValue) lacks it)")
            }
        }
    }

    /// Unpacks a tarball into a temporary folder (or uses a folder as it is) and passes its top folder to `body`.
    func withUnpacked(_ source: FetchedSource, _ body: (URL) throws -> Void) async throws {
        if source.isDirectory {
            try body(source.url)
            return
        }
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("picolayer-unpack-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let result = try await runner.run("tar", ["-xzf", source.url.path, "-C", scratch.path])
        guard result.succeeded else {
            throw BuildError.corruptArchive(
                source: source.origin, reason: result.standardErrorText.trimmingWhitespaceAndNewlines())
        }
        let top = try FileManager.default.contentsOfDirectory(atPath: scratch.path)
        var root = scratch
        if top.count == 1 {
            let only = scratch.appendingPathComponent(top[0])
            var isDirectory = false
            if FileManager.default.fileExists(atPath: only.path, isDirectory: &isDirectory), isDirectory {
                root = only
            }
        }
        try body(root)
    }

    static func isLicence(_ name: String) -> Bool {
        let upper = name.uppercased()
        return upper.hasPrefix("LICENSE") || upper.hasPrefix("LICENCE") || upper.hasPrefix("COPYING")
    }

    func setMode(_ mode: Int, _ url: URL) throws {
        try FileManager.default.setAttributes([.posixPermissions: Int(mode)], ofItemAtPath: url.path)
    }
}
