import CZlib

/// Raw deflate and CRC-32 through the system zlib.
enum Zlib {
    /// The size of deflate's sliding window: the dictionary a chunk inherits from the one before it.
    static let windowSize = 32 * 1024

    /// CRC-32 of `bytes`, continuing from `crc`.
    static func crc32(_ bytes: [UInt8], continuing crc: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBufferPointer { buffer in
            UInt32(CZlib.crc32(uLong(crc), buffer.baseAddress, uInt(buffer.count)))
        }
    }

    /// The CRC-32 of the concatenation of two blocks, from their CRCs and the length of the second.
    static func crc32Combine(_ first: UInt32, _ second: UInt32, secondLength: Int) -> UInt32 {
        UInt32(CZlib.crc32_combine(uLong(first), uLong(second), off_t(secondLength)))
    }

    /// Compresses one chunk of a file as part of a raw deflate stream that chunks concatenate into.
    ///
    /// Each chunk is compressed independently (so chunks can be compressed in parallel), primed with the last
    /// 32 KiB of the chunk before it so the ratio stays close to a single stream. A chunk that is not the last
    /// ends with a sync flush, which byte-aligns it; the last ends the stream.
    static func deflateChunk(_ input: [UInt8], dictionary: ArraySlice<UInt8>, level: Int32, isLast: Bool)
        throws(ZipError) -> [UInt8]
    {
        var stream = z_stream()
        guard picolayer_deflate_init_raw(&stream, level) == Z_OK else {
            throw ZipError.compressionFailed("deflateInit2 failed at level \(level)")
        }
        defer { deflateEnd(&stream) }

        if !dictionary.isEmpty {
            let status = dictionary.withUnsafeBufferPointer { buffer in
                deflateSetDictionary(&stream, buffer.baseAddress, uInt(buffer.count))
            }
            guard status == Z_OK else { throw ZipError.compressionFailed("deflateSetDictionary returned \(status)") }
        }

        // deflateBound covers a finished stream; a sync flush adds at most a few bytes more.
        let bound = Int(deflateBound(&stream, uLong(input.count))) + 64
        var output = [UInt8](repeating: 0, count: bound)
        let flush = isLast ? Z_FINISH : Z_SYNC_FLUSH
        var produced = 0
        var status: Int32 = Z_OK
        input.withUnsafeBufferPointer { inBuffer in
            stream.next_in = UnsafeMutablePointer(mutating: inBuffer.baseAddress)
            stream.avail_in = uInt(inBuffer.count)
            output.withUnsafeMutableBufferPointer { outBuffer in
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = uInt(outBuffer.count)
                status = deflate(&stream, flush)
                produced = outBuffer.count - Int(stream.avail_out)
            }
        }
        let finished = isLast ? status == Z_STREAM_END : (status == Z_OK && stream.avail_in == 0)
        guard finished else {
            throw ZipError.compressionFailed("deflate returned \(status) with \(stream.avail_in) bytes left")
        }
        output.removeSubrange(produced...)
        return output
    }

    /// Inflates a complete raw deflate stream into exactly `expectedSize` bytes.
    static func inflate(_ input: ArraySlice<UInt8>, expectedSize: Int) throws(ZipError) -> [UInt8] {
        var stream = z_stream()
        guard picolayer_inflate_init_raw(&stream) == Z_OK else {
            throw ZipError.compressionFailed("inflateInit2 failed")
        }
        defer { inflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: max(expectedSize, 1))
        var status: Int32 = Z_OK
        var produced = 0
        input.withUnsafeBufferPointer { inBuffer in
            stream.next_in = UnsafeMutablePointer(mutating: inBuffer.baseAddress)
            stream.avail_in = uInt(inBuffer.count)
            output.withUnsafeMutableBufferPointer { outBuffer in
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = uInt(outBuffer.count)
                status = CZlib.inflate(&stream, Z_FINISH)
                produced = outBuffer.count - Int(stream.avail_out)
            }
        }
        guard status == Z_STREAM_END, produced == expectedSize else {
            throw ZipError.compressionFailed(
                "inflate returned \(status) after \(produced) of \(expectedSize) bytes: the entry is corrupt")
        }
        output.removeSubrange(produced...)
        return output
    }
}
