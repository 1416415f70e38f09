import FoundationEssentials

/// Lambda's `CompatibleArchitectures` value for a layer, read from the ELF header of its PicoLisp binary.
public enum LayerArchitecture {
    /// Paths (inside the zip) where picolayer's layers keep the interpreter.
    public static let binaryPaths = ["picoLisp/bin/picolisp", "bin/picolisp"]

    /// `x86_64` or `arm64` from an ELF header's `e_machine` (EM_X86_64 = 62, EM_AARCH64 = 183); `nil` otherwise.
    public static func fromELFHeader(_ header: [UInt8]) -> String? {
        let elfMagic: [UInt8] = [0x7F, 0x45, 0x4C, 0x46]
        guard header.count >= 20, Array(header[0..<4]) == elfMagic else { return nil }
        // e_machine is the 16-bit field at offset 18, in the byte order named by EI_DATA (1 = little endian).
        let machine =
            header[5] == 2 ? UInt16(header[18]) << 8 | UInt16(header[19]) : UInt16(header[19]) << 8 | UInt16(header[18])
        switch machine {
        case 62: return "x86_64"
        case 183: return "arm64"
        default: return nil
        }
    }
}
