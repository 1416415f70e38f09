import Foundation
import Testing

/// Compressible text that is not trivially repetitive, so chunking and dictionaries matter.
func sampleText(lines: Int, seed: UInt64 = 1) -> [UInt8] {
    var state = seed
    var text = ""
    let words = ["(de", "(let", "(setq", "Event_Data", "Headers", "(json-encode", "(prinl", "NIL", "T", "*Runtime"]
    for line in 0..<lines {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        let word = words[Int(state >> 60) % words.count]
        text += "\(word) line-\(line) \(state >> 40)\n"
    }
    return Array(text.utf8)
}

/// Pseudo-random bytes that deflate cannot shrink.
func randomBytes(_ count: Int, seed: UInt64 = 7) -> [UInt8] {
    var generator = SplitMix(state: seed)
    return (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
}

struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
