import FoundationEssentials

/// A zip to upload, a layer (publish) or a function's code (deploy): its size and hashes, computed once before any
/// request is made.
public struct UploadZip: Sendable, Equatable {
    public var path: String
    public var size: Int64
    public var sha256Hex: String
    public var sha256Base64: String

    /// Reads the file once, in chunks, to hash it.
    public init(path: String) throws {
        guard FileStatus.size(path) != nil else { throw PublishError.zipNotFound(path) }
        let file = try FileDigest(path: path)
        self.path = path
        self.size = file.size
        self.sha256Hex = file.hex
        self.sha256Base64 = file.base64
    }
}
