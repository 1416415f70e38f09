import FoundationEssentials

extension ZipReport {
    /// The report as people read it: counts, sizes and both forms of the SHA-256.
    public var summary: String {
        """
        \(path)
          entries        \(entries)
          unzipped       \(ByteCount.format(unzippedSize)) (limit \(ByteCount.format(LambdaLimits.unzippedBytes)))
          zipped         \(ByteCount.format(zippedSize)) (inline limit \(ByteCount.format(LambdaLimits.directUploadZippedBytes)))
          sha256         \(sha256)
          CodeSha256     \(codeSha256)
        """
    }

    /// The report as one JSON object with stable key order.
    public func jsonString() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}

/// Byte counts written for people: exact bytes plus a decimal unit.
public enum ByteCount {
    public static func format(_ bytes: UInt64) -> String {
        let units = ["kB", "MB", "GB", "TB"]
        guard bytes >= 1000 else { return "\(bytes) B" }
        var value = Double(bytes) / 1000
        var unit = 0
        while value >= 1000 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return "\(TextFormat.fixed(value, places: 1)) \(units[unit]) (\(bytes) bytes)"
    }
}
