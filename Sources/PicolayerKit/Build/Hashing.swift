import Crypto
import Foundation

enum Hashing {
    static let chunkSize = 1 << 20

    static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { String(format: "%02x", $0) }.joined()
    }

    static func sha256(_ bytes: some DataProtocol) -> String {
        hex(SHA256.hash(data: bytes))
    }

    /// SHA-256 of a file, read in chunks.
    static func sha256(fileAt url: URL) throws -> String {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: chunkSize), !chunk.isEmpty {
            hasher.update(data: chunk)
        }
        return hex(hasher.finalize())
    }

    /// SHA-256 over a folder: every regular file's relative path and contents, every symlink's target, in
    /// sorted order, so that the same tree always gives the same hash.
    static func sha256(directoryAt root: URL) throws -> String {
        var hasher = SHA256()
        for entry in try FileTree.entries(under: root) {
            hasher.update(data: Data("\(entry.kind) \(entry.relativePath)\n".utf8))
            switch entry.kind {
            case .file:
                hasher.update(data: Data(try sha256(fileAt: entry.url).utf8))
            case .symlink:
                let target = try FileManager.default.destinationOfSymbolicLink(atPath: entry.url.path)
                hasher.update(data: Data(target.utf8))
            case .directory:
                break
            }
        }
        return hex(hasher.finalize())
    }
}

/// A sorted walk of a folder that does not follow symlinks.
enum FileTree {
    enum Kind: String { case file, directory, symlink }

    struct Entry {
        var relativePath: String
        var url: URL
        var kind: Kind
        var size: Int64
        var permissions: Int
    }

    static func entries(under root: URL) throws -> [Entry] {
        var result: [Entry] = []
        try walk(root, prefix: "", into: &result)
        return result
    }

    private static func walk(_ directory: URL, prefix: String, into result: inout [Entry]) throws {
        let fileManager = FileManager.default
        for name in try fileManager.contentsOfDirectory(atPath: directory.path).sorted() {
            let url = directory.appendingPathComponent(name)
            let relative = prefix.isEmpty ? name : "\(prefix)/\(name)"
            let attributes = try fileManager.attributesOfItem(atPath: url.path)
            let type = attributes[.type] as? FileAttributeType
            let permissions = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0
            let size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
            switch type {
            case .typeSymbolicLink?:
                result.append(
                    Entry(relativePath: relative, url: url, kind: .symlink, size: 0, permissions: permissions))
            case .typeDirectory?:
                result.append(
                    Entry(relativePath: relative, url: url, kind: .directory, size: 0, permissions: permissions))
                try walk(url, prefix: relative, into: &result)
            default:
                result.append(
                    Entry(relativePath: relative, url: url, kind: .file, size: size, permissions: permissions))
            }
        }
    }
}
