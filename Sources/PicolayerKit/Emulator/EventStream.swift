import CZlib

/// One message of the AWS event stream encoding (`application/vnd.amazon.eventstream`), as the Lambda
/// `InvokeWithResponseStream` operation sends `PayloadChunk` and `InvokeComplete` events:
///
/// ```
/// total length (4, big-endian) | headers length (4) | prelude CRC32 (4)
/// headers: name length (1) name, value type (1; 7 = string), value length (2) value ...
/// payload | message CRC32 (4)
/// ```
enum EventStreamMessage {
    private static let preludeLength = 12
    private static let trailerLength = 4
    private static let stringValueType: UInt8 = 7

    /// An event message with `:event-type`, `:content-type` and `:message-type: event` headers.
    static func event(type: String, contentType: String, payload: [UInt8]) -> [UInt8] {
        encode(
            headers: [(":event-type", type), (":content-type", contentType), (":message-type", "event")],
            payload: payload)
    }

    static func encode(headers: [(name: String, value: String)], payload: [UInt8]) -> [UInt8] {
        var headerBytes: [UInt8] = []
        for (name, value) in headers {
            let nameBytes = Array(name.utf8)
            let valueBytes = Array(value.utf8)
            headerBytes.append(UInt8(nameBytes.count))
            headerBytes += nameBytes
            headerBytes.append(stringValueType)
            headerBytes += bigEndian(UInt16(valueBytes.count))
            headerBytes += valueBytes
        }
        let total = preludeLength + headerBytes.count + payload.count + trailerLength
        var message = bigEndian(UInt32(total)) + bigEndian(UInt32(headerBytes.count))
        message += bigEndian(crc32(message))
        message += headerBytes
        message += payload
        message += bigEndian(crc32(message))
        return message
    }

    private static func bigEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }

    private static func crc32(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { buffer in
            UInt32(CZlib.crc32(0, buffer.baseAddress, uInt(buffer.count)))
        }
    }
}
