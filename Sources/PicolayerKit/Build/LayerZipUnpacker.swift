import Foundation

/// Unpacks a layer zip for `verify`, keeping modes and symbolic links as Lambda would see them under /opt.
enum LayerZipUnpacker {
    static func withUnpacked<T: Sendable>(
        _ zip: URL, _ body: (URL, Int64) async throws -> T
    ) async throws -> T {
        let reader = try ZipReader(contentsOf: zip)
        let size = (try FileManager.default.attributesOfItem(atPath: zip.path)[.size] as? NSNumber)?.int64Value ?? 0
        let root = try ScratchDirectory.create(kind: "verify")
        defer { ScratchDirectory.remove(root) }
        for entry in reader.entries {
            let path = entry.path.hasSuffix("/") ? String(entry.path.dropLast()) : entry.path
            let parts = path.split(separator: "/")
            guard !path.hasPrefix("/"), !parts.contains(".."), !parts.isEmpty else {
                throw BuildError.layerNotFound("\(zip.path) (entry \(entry.path) points outside the layer)")
            }
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            switch entry.kind {
            case .directory:
                try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            case .symlink:
                let target = String(decoding: try reader.contents(of: entry), as: UTF8.self)
                try FileManager.default.createSymbolicLink(atPath: url.path, withDestinationPath: target)
            case .file:
                try Data(try reader.contents(of: entry)).write(to: url)
                try FileManager.default.setAttributes(
                    [.posixPermissions: NSNumber(value: Int(entry.mode & 0o7777))], ofItemAtPath: url.path)
            }
        }
        return try await body(root, size)
    }
}
