import FoundationEssentials

/// What a library bundled in the layer needs from the image at run time, beyond the ELF dependencies that
/// `verify` reads from the interpreter: commands it runs and libraries it opens with `native`.
///
/// picolisp-awscurl runs `curl` for every request and hashes with the `openssl` command, or, when
/// `*Aws_native` is set, with `libcrypto.so` opened by that unversioned name. The `provided` images have
/// `curl` but neither `openssl` nor `libcrypto.so` (only `libcrypto.so.3`), so the runtime sets `*Aws_native`
/// when no `openssl` is on `PATH` and the layer links `lib/libcrypto.so` to the image's libcrypto.
struct BundledLibraryRequirement: Sendable {
    /// The library's file in the layer.
    var file: String
    /// Commands that must be on the image's `PATH` (or in the layer's `bin/`).
    var programs: [String]
    /// Whether the library opens libcrypto as `libcrypto.so`, which the layer's `lib/` must then provide.
    var linksCryptoLibrary: Bool

    static let cryptoLinkName = "libcrypto.so"

    static let all: [BundledLibraryRequirement] = [
        BundledLibraryRequirement(
            file: "picoLisp/awscurl/libawscurl.l", programs: ["curl"], linksCryptoLibrary: true)
    ]

    /// The findings for a staged layer folder: a missing command, or no usable `lib/libcrypto.so`.
    static func check(layer: URL, target: LambdaTarget) -> [Finding] {
        var findings: [Finding] = []
        let fileManager = FileManager.default
        for requirement in all where fileManager.fileExists(atPath: layer.appendingPathComponent(requirement.file).path)
        {
            for program in requirement.programs
            where !target.programs.contains(program)
                && !fileManager.isExecutableFile(atPath: layer.appendingPathComponent("bin/\(program)").path)
            {
                findings.append(
                    Finding(
                        check: "library-needs-program", severity: .error, path: requirement.file,
                        message: "it runs the `\(program)` command, which \(target.rawValue) does not have.",
                        remedy: "add `bin/\(program)` to the layer, or leave the library out with --without."))
            }
            if requirement.linksCryptoLibrary, let problem = cryptoLinkProblem(layer: layer, target: target) {
                findings.append(
                    Finding(
                        check: "library-needs-libcrypto", severity: .error, path: requirement.file,
                        message: "without the `openssl` command (\(target.rawValue) has none) it opens "
                            + "`libcrypto.so`, and \(problem).",
                        remedy: "rebuild with `picolayer build`, which links lib/\(cryptoLinkName) -> "
                            + "\(target.cryptoLibrary), or add that link yourself."))
            }
        }
        return findings
    }

    /// Why `lib/libcrypto.so` will not open on the target; nil when it will.
    static func cryptoLinkProblem(layer: URL, target: LambdaTarget) -> String? {
        let link = layer.appendingPathComponent("\(LayerLayout.libraryFolder)/\(cryptoLinkName)")
        if let destination = try? FileManager.default.destinationOfSymbolicLink(atPath: link.path) {
            if destination.hasPrefix("/") {
                return LayerLinks.isSystemLibraryLink(
                    link: "\(LayerLayout.libraryFolder)/\(cryptoLinkName)", target: destination,
                    systemLibraries: target.systemLibraries)
                    ? nil
                    : "\(LayerLayout.libraryFolder)/\(cryptoLinkName) points to \(destination), which \(target.rawValue) does not have"
            }
            let resolved = link.deletingLastPathComponent().appendingPathComponent(destination).standardizedFileURL
            return FileManager.default.fileExists(atPath: resolved.path)
                ? nil
                : "\(LayerLayout.libraryFolder)/\(cryptoLinkName) points to \(destination), which is not in the layer"
        }
        return FileManager.default.fileExists(atPath: link.path)
            ? nil : "the layer has no lib/\(cryptoLinkName) and \(target.rawValue) has only \(target.cryptoLibrary)"
    }
}
