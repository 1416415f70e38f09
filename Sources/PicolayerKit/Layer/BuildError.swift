import FoundationEssentials

/// Everything that can stop `picolayer build` or `picolayer verify`, each with what to do next.
public enum BuildError: LocalizedError, Equatable {
    case insecureURL(String)
    case unsupportedURL(String)
    case sourceNotFound(String)
    case downloadFailed(url: String, reason: String)
    case checksumMismatch(url: String, expected: String, actual: String)
    case notLocked(url: String, lockFile: String)
    case badLockFile(path: String, line: Int, text: String)
    case corruptArchive(source: String, reason: String)
    case engineNotFound(String)
    /// Neither docker nor podman can build; `unusable` names those on PATH that did not answer `info`.
    case noEngineAvailable(unusable: [String])
    case hostArchitectureMismatch(requested: String, host: String)
    /// `build-pil21.sh --check` found no clang that fits the LLVM tools (or could not install one); `report` is
    /// its output, which names the versions found and the fix.
    case hostToolchain(status: Int32, report: String, installed: Bool)
    case buildFailed(log: String, tail: String, status: Int32)
    case missingBuildOutput(path: String)
    case missingTemplate(name: String, directory: String)
    case layerRejected(path: String, errors: [String])
    case layerNotFound(String)

    public var errorDescription: String? {
        switch self {
        case .insecureURL(let url):
            return "refusing plain http for \(url): only https, loopback http and local files are allowed. "
                + "Use the https:// address or download the file and pass its path."
        case .unsupportedURL(let url):
            return "cannot fetch \(url): use an https:// URL, a file: URL or a local path."
        case .sourceNotFound(let path):
            return "source \(path) does not exist. Check the path or pass a URL."
        case .downloadFailed(let url, let reason):
            return "download of \(url) failed: \(reason). Check the address and your network, then run again."
        case .checksumMismatch(let url, let expected, let actual):
            return "checksum mismatch for \(url): picolayer.lock expects sha256 \(expected), the download has "
                + "\(actual). If the new file is trusted, run again with --update to record it."
        case .notLocked(let url, let lockFile):
            return "\(url) has no entry in \(lockFile) and --locked forbids adding one. "
                + "Run once without --locked (or with --update) and commit the lock file."
        case .badLockFile(let path, let line, let text):
            return "\(path) line \(line) is not '<sha256-hex> <url>': \(text). Fix or delete the line."
        case .corruptArchive(let source, let reason):
            return "\(source) is not a readable gzip tar archive (\(reason)). "
                + "Delete it from the cache or pass another source."
        case .engineNotFound(let engine):
            return "container engine \(engine) was not found on PATH. Install it, pick another with --engine, "
                + "or build on this machine with --engine none."
        case .noEngineAvailable(let unusable):
            let found =
                unusable.isEmpty
                ? "neither docker nor podman is on PATH"
                : "no container engine answered: \(unusable.joined(separator: "; ")). Start its daemon or fix its setup"
            return "\(found). Install or start one, or build on this machine with --engine none "
                + "(needs clang, llvm, make, libffi and readline headers; add --install-deps to have them "
                + "installed with the system's package manager)."
        case .hostArchitectureMismatch(let requested, let host):
            return "--engine none compiles for this machine (\(host)), not \(requested). "
                + "Use a container engine (--engine podman or docker) for --arch \(requested)."
        case .hostToolchain(let status, let report, let installed):
            let lines = report.split(separator: "\n").map { "  | \($0)" }.joined(separator: "\n")
            let what =
                status == HostToolchain.refusalStatus
                ? (installed
                    ? "even after --install-deps, this machine's toolchain cannot compile pil21"
                    : "this machine's toolchain cannot compile pil21")
                : "the build script's toolchain check (build-pil21.sh --check) failed with exit status \(status)"
            return "cannot compile PicoLisp with --engine none: \(what); nothing was fetched or compiled.\n"
                + "\(lines)"
        case .buildFailed(let log, let tail, let status):
            return "compiling PicoLisp failed (exit status \(status)). Last lines of the log:\n\(tail)\n"
                + "Full log: \(log). The previous layer was left untouched."
        case .missingBuildOutput(let path):
            return "the build script finished but \(path) is missing. See the build log; the script may be stale."
        case .missingTemplate(let name, let directory):
            return "template \(name) is missing in \(directory). Pass --templates with a folder holding it."
        case .layerRejected(let path, let errors):
            return "verify rejected the staged layer (kept at \(path)); the previous layer was left untouched:\n"
                + errors.map { "  - \($0)" }.joined(separator: "\n")
        case .layerNotFound(let path):
            return "\(path) is neither a layer folder nor a zip file. Pass the path of a staged layer or a zip."
        }
    }
}
