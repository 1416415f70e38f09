import FoundationEssentials
import Logging

/// The function's code zip: the one given, or the folder zipped without what the ignore rules leave out.
extension Deployer {
    /// The zip to upload and the names of its entries, in zip order (what `--dry-run` lists).
    struct CodeZip {
        let zip: UploadZip
        let entryNames: [String]
    }

    /// Runs `body` with the zip to upload: the given zip, or the folder zipped into a temporary folder that is
    /// removed afterwards.
    func withCodeZip<T>(_ body: (CodeZip) async throws -> T) async throws -> T {
        let path = configuration.codePath
        var isDirectory = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DeployError.codeNotFound(path)
        }
        guard isDirectory else {
            let reader: ZipReader
            do {
                reader = try ZipReader(contentsOf: URL(fileURLWithPath: path))
            } catch {
                throw DeployError.notAZip(path: path, reason: Self.zipReason(error))
            }
            if !configuration.ignore.isEmpty {
                logger.warning("--exclude and --include apply to a folder; \(path) is a zip and is deployed as it is")
            }
            let zip = try checkedSize(UploadZip(path: path), shownAs: path)
            return try await body(CodeZip(zip: zip, entryNames: reader.entries.map(\.path)))
        }
        checkHandlerFile(in: path)
        let folder = scratchDirectory.appendingPathComponent("picolayer-deploy-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("function.zip")
        let root = URL(fileURLWithPath: path)
        // Defaults, the folder's .picolayerignore, then the flags: a function folder never ships .env or .git.
        let rules = try IgnoreRules.forTree(root: root, options: configuration.ignore)
        let tree = try TreeScanner.scan(
            root: root, excluding: [folder.standardizedFileURL.path], ignoring: rules)
        let report = try await ZipWriter().write(tree: tree, to: output)
        // The inline limit is checked below with deploy's own message; the writer's says to use publish.
        let inline = ZipReport.limitWarnings(zipped: report.zippedSize, unzipped: 0)
        for warning in report.warnings where !inline.contains(warning) { logger.warning("\(warning)") }
        log("zipped \(path): \(report.entries) entries, \(report.zippedSize) bytes")
        let zip = try checkedSize(UploadZip(path: output.path), shownAs: path)
        return try await body(CodeZip(zip: zip, entryNames: tree.entries.map(\.zipName)))
    }

    func checkedSize(_ zip: UploadZip, shownAs path: String) throws -> UploadZip {
        guard zip.size <= configuration.inlineLimit else {
            throw DeployError.codeTooLarge(path: path, size: zip.size, limit: configuration.inlineLimit)
        }
        return zip
    }

    /// The reason from a `ZipError.notAZip` without its advice to run `picolayer package`.
    static func zipReason(_ error: Error) -> String {
        if case ZipError.notAZip(_, let reason) = error { return reason }
        return ErrorText.describe(error)
    }

    /// Warns when the handler's file (`path/file.function` names `path/file.l`) is not in the folder.
    func checkHandlerFile(in folder: String) {
        guard let handler = configuration.handler ?? (configuration.create ? DeployConfiguration.defaultHandler : nil),
            let dot = handler.lastIndex(of: ".")
        else { return }
        let file = String(handler[..<dot]) + ".l"
        if !FileManager.default.fileExists(atPath: PathText.join(folder, file)) {
            logger.warning("handler \(handler) names \(file), which is not in \(folder)")
        }
    }
}
