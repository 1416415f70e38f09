import Crypto
import FoundationEssentials

/// The SHA-256 and size of a file, read once in chunks: the one streaming file hash of picolayer (the zip's
/// CodeSha256, source checksums, layer checks).
public struct FileDigest: Sendable, Equatable {
    public var digest: [UInt8]
    public var size: Int64

    static let chunkSize = 1 << 20

    public init(path: String) throws(FileError) {
        let file = try OpenFile.reading(path)
        var hasher = SHA256()
        var size: Int64 = 0
        while true {
            let chunk = try file.read(upTo: Self.chunkSize)
            if chunk.isEmpty { break }
            hasher.update(data: chunk)
            size += Int64(chunk.count)
        }
        self.digest = Array(hasher.finalize())
        self.size = size
    }

    /// Lowercase hex, as `sha256sum` prints it.
    public var hex: String { TextFormat.hex(digest) }

    /// Base64, as Lambda's `CodeSha256` is written.
    public var base64: String { Data(digest).base64EncodedString() }
}
