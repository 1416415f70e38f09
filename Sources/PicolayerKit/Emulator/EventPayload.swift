import FoundationEssentials

/// The check Lambda's Invoke API makes of a payload before it runs anything: the body must be JSON, and so
/// valid UTF-8; otherwise it answers 400 `InvalidRequestContentException` ("The request body could not be
/// parsed as JSON", https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html). An empty payload is
/// accepted, as Lambda does when no payload is given.
public enum EventPayload {
    /// Why `payload` is not a JSON text, or nil when it is one (or empty).
    public static func problem(_ payload: [UInt8]) -> String? {
        if payload.isEmpty { return nil }
        if let offset = firstInvalidUTF8(payload) {
            return "byte " + "0x" + TextFormat.hex(payload[offset], digits: 2, uppercase: true)
                + " at offset \(offset) is not valid UTF-8"
        }
        do {
            _ = try JSONValue.parse(payload)
            return nil
        } catch {
            return "it is not valid JSON (\(ErrorText.describe(error)))"
        }
    }

    /// The offset of the first byte that does not begin a complete, valid UTF-8 sequence (RFC 3629: no overlong
    /// form, no surrogate, nothing above U+10FFFF), or nil.
    public static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
        var index = 0
        let count = bytes.count
        while index < count {
            let lead = bytes[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            var low: UInt8 = 0x80
            var high: UInt8 = 0xBF
            let more: Int
            switch lead {
            case 0xC2...0xDF: more = 1
            case 0xE0...0xEF:
                more = 2
                if lead == 0xE0 { low = 0xA0 }
                if lead == 0xED { high = 0x9F }
            case 0xF0...0xF4:
                more = 3
                if lead == 0xF0 { low = 0x90 }
                if lead == 0xF4 { high = 0x8F }
            default: return index
            }
            guard index + more < count else { return index }
            for step in 1...more {
                let byte = bytes[index + step]
                if byte < (step == 1 ? low : 0x80) || byte > (step == 1 ? high : 0xBF) { return index }
            }
            index += more + 1
        }
        return nil
    }
}
