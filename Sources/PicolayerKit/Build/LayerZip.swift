import Foundation

/// Unpacks a layer zip for `verify`.
enum LayerZip {
    static func withUnpacked<T: Sendable>(
        _ zip: URL, _ body: (URL, Int64) async throws -> T
    ) async throws -> T {
        throw BuildError.layerNotFound(zip.path)
    }
}
