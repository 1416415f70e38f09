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
}

/// A raw inflate stream fed in pieces, for entries of zips picolayer did not write.
///
/// Output comes in bounded chunks, so memory does not depend on what an entry declares or inflates to; the
/// caller counts the bytes and stops at its limit. zlib keeps a pointer back to its `z_stream`, so the stream
/// lives at a fixed address.
final class Inflater {
    enum Failure: Error {
        case corrupt(String)
    }

    static let chunkSize = 256 * 1024
    private let stream: UnsafeMutablePointer<z_stream>
    private(set) var finished = false

    init() throws(ZipError) {
        stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        guard picolayer_inflate_init_raw(stream) == Z_OK else {
            stream.deallocate()
            throw ZipError.compressionFailed("inflateInit2 failed")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Inflates `input`, handing each chunk of output to `sink`; returns how many input bytes were used (all of
    /// them unless the stream ended inside `input`).
    func feed(_ input: [UInt8], _ sink: ([UInt8]) throws -> Void) throws -> Int {
        var output = [UInt8](repeating: 0, count: Inflater.chunkSize)
        var used = 0
        while !finished {
            var status: Int32 = Z_OK
            var produced = 0
            var consumed = 0
            input.withUnsafeBufferPointer { inBuffer in
                stream.pointee.next_in = UnsafeMutablePointer(mutating: inBuffer.baseAddress.map { $0 + used })
                stream.pointee.avail_in = uInt(inBuffer.count - used)
                output.withUnsafeMutableBufferPointer { outBuffer in
                    stream.pointee.next_out = outBuffer.baseAddress
                    stream.pointee.avail_out = uInt(outBuffer.count)
                    status = CZlib.inflate(stream, Z_NO_FLUSH)
                    produced = outBuffer.count - Int(stream.pointee.avail_out)
                }
                consumed = inBuffer.count - used - Int(stream.pointee.avail_in)
            }
            used += consumed
            switch status {
            case Z_STREAM_END: finished = true
            case Z_OK: break
            case Z_BUF_ERROR where produced > 0 || consumed > 0: break
            default:
                let message = stream.pointee.msg.map { String(cString: $0) } ?? "zlib status \(status)"
                throw Failure.corrupt("its deflate data is invalid (\(message))")
            }
            if produced > 0 { try sink(Array(output[0..<produced])) }
            let needsInput = used == input.count && produced < output.count
            if needsInput || (produced == 0 && consumed == 0) { break }
        }
        return used
    }
}
