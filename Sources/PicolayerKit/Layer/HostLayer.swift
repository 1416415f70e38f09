import Crypto
import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A layer for trying a function before `picolayer build` has run: picolayer's own runtime (the bootstrap and
/// `*.l` files built into it) over the PicoLisp installed on this machine (`picolisp` on PATH, e.g. Debian's
/// package). `invoke` and `serve` use it when no layer is staged; Lambda runs the layer `build` makes, so the
/// answers agree for handlers that need nothing the machine's pil21 lacks.
public enum HostLayer {
    /// Why there is no host layer.
    public struct Unavailable: Error, LocalizedError, Sendable {
        public var reason: String
        public var errorDescription: String? { reason }
    }

    /// The interpreter on PATH (through its links) and its home, the folder holding `lib.l` and `lib/`.
    public static func interpreter(environment: [String: String]) throws(Unavailable) -> (binary: String, home: String)
    {
        guard let found = ProcessRunner.locate("picolisp", environment: environment) else {
            throw Unavailable(reason: "no picolisp on PATH")
        }
        guard let resolved = realpath(found, nil) else { throw Unavailable(reason: "cannot resolve \(found)") }
        let binary = String(cString: resolved)
        free(resolved)
        // A source install keeps lib.l beside bin/ (pil21/bin/picolisp); Debian's package puts the binary in
        // /usr/bin and the rest in /usr/lib/picolisp.
        let prefix = PathText.parent(PathText.parent(binary))
        let candidates = [
            prefix, PathText.join(prefix, "lib/picolisp"), "/usr/lib/picolisp", "/usr/local/lib/picolisp",
        ]
        guard
            let home = candidates.first(where: { home in
                FileManager.default.fileExists(atPath: PathText.join(home, "lib.l"))
                    && FileManager.default.fileExists(atPath: PathText.join(home, "lib/misc.l"))
            })
        else {
            throw Unavailable(
                reason:
                    "no lib.l and lib/ for \(binary) in \(candidates.joined(separator: ", ")), which picolayer's runtime loads"
            )
        }
        return (binary, home)
    }

    /// The layer for this machine's picolisp and `templates`, staged once under `cache` (by a key of both, so a
    /// new picolayer or another picolisp gets a fresh one) and returned.
    public static func staged(
        cache: URL, environment: [String: String], templates: TemplateSet = .embedded
    ) throws -> String {
        let (binary, home) = try interpreter(environment: environment)
        var hasher = SHA256()
        hasher.update(data: Array(binary.utf8) + [0] + Array(home.utf8))
        for name in templates.files.keys.sorted() {
            hasher.update(data: Array(name.utf8) + [0] + (templates.files[name] ?? []))
        }
        let key = TextFormat.hex(hasher.finalize()).prefix(16)
        let layer = cache.appendingPathComponent("host-layer-\(key)").path
        if FileManager.default.fileExists(atPath: PathText.join(layer, LayerLayout.bootstrap)) { return layer }
        // Staged beside its place and renamed into it, so a half-made folder is never used.
        let staging = layer + ".\(getpid()).tmp"
        try? FileManager.default.removeItem(atPath: staging)
        let pico = PathText.join(staging, LayerLayout.interpreterFolder)
        try FileManager.default.createDirectory(atPath: PathText.join(pico, "bin"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: staging) }
        try write(
            templates.require(TemplateSet.bootstrap), to: PathText.join(staging, LayerLayout.bootstrap), mode: 0o755)
        for name in templates.runtimeFiles {
            try write(templates.require(name), to: PathText.join(pico, name), mode: 0o644)
        }
        try FileManager.default.createSymbolicLink(
            atPath: PathText.join(staging, LayerLayout.interpreter), withDestinationPath: binary)
        try FileManager.default.createSymbolicLink(
            atPath: PathText.join(pico, "lib.l"), withDestinationPath: PathText.join(home, "lib.l"))
        try FileManager.default.createSymbolicLink(
            atPath: PathText.join(pico, "lib"), withDestinationPath: PathText.join(home, "lib"))
        if rename(staging, layer) != 0
            && !FileManager.default.fileExists(atPath: PathText.join(layer, LayerLayout.bootstrap))
        {
            throw Unavailable(reason: "cannot stage \(layer): \(String(cString: strerror(errno)))")
        }
        return layer
    }

    private static func write(_ bytes: [UInt8], to path: String, mode: mode_t) throws {
        let file = try OpenFile.writing(path)
        try file.write(bytes)
        file.close()
        chmod(path, mode)
    }
}
