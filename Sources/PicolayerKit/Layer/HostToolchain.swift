import FoundationEssentials
import Logging

/// The toolchain check of `--engine none`: before anything is fetched or compiled, `build-pil21.sh --check` picks
/// a clang that fits the LLVM tools (llvm-link rejects bitcode from a newer clang), or stops naming what it found
/// and the fix. With `--install-deps` the script first installs what is missing with the system's package
/// manager (as root, or through sudo, saying so); without it nothing is installed.
struct HostToolchain: Sendable {
    /// The script's exit status for "no fitting toolchain" (or a failed install).
    static let refusalStatus: Int32 = 5

    var runner: ProcessRunner
    var logger: Logger
    var script: [UInt8]
    /// A folder the script is written to for the check.
    var scratch: URL

    /// Returns the script's line naming the compiler and LLVM it picked; throws `hostToolchain` otherwise.
    @discardableResult
    func check(install: Bool) async throws -> String {
        let fileManager = FileManager.default
        try fileManager.createDirectory(at: scratch, withIntermediateDirectories: true)
        let file = scratch.appendingPathComponent(".check-\(UUID().uuidString)-\(TemplateSet.buildScript)")
        try Data(script).write(to: file)
        defer { try? fileManager.removeItem(at: file) }

        if install {
            logger.info("toolchain: installing what is missing with the system's package manager (--install-deps)")
            var environment = runner.environment
            environment["PICOLAYER_INSTALL_TOOLCHAIN"] = "1"
            // The package manager's output and any sudo prompt go straight to the terminal.
            _ = try await ProcessRunner(environment: environment).run(
                "sh", [file.path, "--check"], output: .inherit)
        }
        let result = try await runner.run("sh", [file.path, "--check"])
        let lines = (result.standardOutputText + result.standardErrorText)
            .split(separator: "\n").map(String.init)
        guard result.succeeded else {
            throw BuildError.hostToolchain(
                status: result.exitStatus, report: lines.suffix(PilCompiler.logTailLines).joined(separator: "\n"),
                installed: install)
        }
        let picked = lines.last { $0.contains("compiler ") } ?? lines.last ?? "toolchain fits"
        logger.info("toolchain: \(picked.replacing("build-pil21: ", with: ""))")
        return picked
    }
}
