import Crypto
import FoundationEssentials

enum Hashing {
    static func sha256(_ bytes: some DataProtocol) -> String {
        TextFormat.hex(SHA256.hash(data: bytes))
    }

    /// SHA-256 of a file, read in chunks.
    static func sha256(fileAt url: URL) throws -> String {
        try FileDigest(path: url.path).hex
    }

    /// SHA-256 over a folder: every regular file's relative path and contents, every symlink's target, in
    /// sorted order, so that the same tree always gives the same hash.
    static func sha256(directoryAt root: URL) throws -> String {
        var hasher = SHA256()
        for entry in try TreeScanner.entries(under: root) {
            hasher.update(data: Data("\(entry.zipName)\n".utf8))
            switch entry.kind {
            case .file:
                hasher.update(data: Data(try sha256(fileAt: entry.url).utf8))
            case .symlink(let target):
                hasher.update(data: Data(target.utf8))
            case .directory:
                break
            }
        }
        return TextFormat.hex(hasher.finalize())
    }
}

/// Build walks trees with the zip writer's scanner, so that verify sees a folder as `package` will zip it.
extension ZipSourceEntry {
    var url: URL { URL(fileURLWithPath: sourcePath) }

    var isFile: Bool {
        if case .file = kind { return true }
        return false
    }

    var isDirectory: Bool { kind == .directory }

    /// The file's size; 0 for folders and links.
    var fileSize: Int64 {
        if case .file(let size) = kind { return Int64(size) }
        return 0
    }
}

extension TreeScanner {
    /// Every file, folder and link below `root`, in a fixed order.
    static func entries(under root: URL) throws -> [ZipSourceEntry] {
        try scan(root: root).entries
    }
}
