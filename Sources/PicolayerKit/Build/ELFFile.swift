import Foundation

/// The parts of an ELF file that decide whether it runs on Lambda: its machine, the shared libraries it
/// names (`DT_NEEDED`) and the symbol versions it requires from them (`.gnu.version_r`).
///
/// Only 64-bit little-endian files are read in full; Lambda runs nothing else. Names follow the System V ABI
/// and the LSB (`Elf64_Ehdr`, `Elf64_Shdr`, `Elf64_Dyn`, `Elf64_Verneed`, `Elf64_Vernaux`).
public struct ELFFile: Sendable, Equatable {
    public enum Machine {
        public static let x86_64: UInt16 = 62
        public static let aarch64: UInt16 = 183
    }

    /// One symbol version required from one library, e.g. `libc.so.6` / `GLIBC_2.34`.
    public struct VersionNeed: Sendable, Hashable {
        public var file: String
        public var version: String
    }

    public var is64Bit: Bool
    public var isLittleEndian: Bool
    /// `e_type`: 2 executable, 3 shared object or PIE.
    public var type: UInt16
    public var machine: UInt16
    public var needed: [String]
    public var versionNeeds: [VersionNeed]

    /// The highest `GLIBC_x.y` version any symbol requires, if any.
    public var highestGlibc: GlibcVersion? {
        versionNeeds.compactMap { GlibcVersion(symbolVersion: $0.version) }.max()
    }

    public var machineName: String {
        switch machine {
        case Machine.x86_64: return "x86_64"
        case Machine.aarch64: return "arm64 (aarch64)"
        case 3: return "i386"
        case 40: return "arm (32-bit)"
        case 243: return "riscv"
        default: return "machine \(machine)"
        }
    }

    enum Header {
        static let magic: [UInt8] = [0x7f, 0x45, 0x4c, 0x46]
        static let classOffset = 4
        static let dataOffset = 5
        static let elfClass64: UInt8 = 2
        static let littleEndian: UInt8 = 1
        static let size64 = 64
    }

    enum SectionType {
        static let dynamic: UInt32 = 6
        static let gnuVerneed: UInt32 = 0x6fff_fffe
    }

    enum DynamicTag {
        static let null: UInt64 = 0
        static let needed: UInt64 = 1
    }

    public enum ParseError: LocalizedError, Equatable {
        case notELF
        case truncated(String)
        case unsupported(String)

        public var errorDescription: String? {
            switch self {
            case .notELF: return "not an ELF file"
            case .truncated(let what): return "truncated ELF file: \(what) lies outside the file"
            case .unsupported(let what): return "unsupported ELF file: \(what)"
            }
        }
    }

    /// True when `bytes` start with the ELF magic number.
    public static func hasMagic(_ bytes: some Collection<UInt8>) -> Bool {
        bytes.starts(with: Header.magic)
    }

    /// True when the file at `url` starts with the ELF magic number.
    public static func isELF(at url: URL) -> Bool {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return false }
        defer { try? handle.close() }
        guard let head = try? handle.read(upToCount: 4) else { return false }
        return hasMagic(head)
    }

    public init(contentsOf url: URL) throws {
        try self.init(bytes: Array(try Data(contentsOf: url)))
    }

    public init(bytes: [UInt8]) throws {
        guard bytes.count >= 16, Self.hasMagic(bytes) else { throw ParseError.notELF }
        let reader = Reader(bytes: bytes)
        is64Bit = bytes[Header.classOffset] == Header.elfClass64
        isLittleEndian = bytes[Header.dataOffset] == Header.littleEndian
        needed = []
        versionNeeds = []
        guard isLittleEndian else {
            type = 0
            machine = 0
            return
        }
        type = try reader.u16(16, "e_type")
        machine = try reader.u16(18, "e_machine")
        guard is64Bit else { return }

        // Elf64_Ehdr: e_shoff at 40, e_shentsize at 58, e_shnum at 60.
        let sectionHeaderOffset = Int(try reader.u64(40, "e_shoff"))
        let sectionHeaderSize = Int(try reader.u16(58, "e_shentsize"))
        let sectionCount = Int(try reader.u16(60, "e_shnum"))
        guard sectionHeaderOffset != 0, sectionCount > 0 else { return }
        guard sectionHeaderSize >= 64 else { throw ParseError.unsupported("section header size \(sectionHeaderSize)") }

        struct Section {
            var type: UInt32
            var offset: Int
            var size: Int
            var link: Int
            var info: Int
            var entrySize: Int
        }
        var sections: [Section] = []
        for index in 0..<sectionCount {
            let base = sectionHeaderOffset + index * sectionHeaderSize
            // Elf64_Shdr: sh_type 4, sh_offset 24, sh_size 32, sh_link 40, sh_info 44, sh_entsize 56.
            sections.append(
                Section(
                    type: try reader.u32(base + 4, "sh_type"),
                    offset: Int(try reader.u64(base + 24, "sh_offset")),
                    size: Int(try reader.u64(base + 32, "sh_size")),
                    link: Int(try reader.u32(base + 40, "sh_link")),
                    info: Int(try reader.u32(base + 44, "sh_info")),
                    entrySize: Int(try reader.u64(base + 56, "sh_entsize"))))
        }
        func strings(of link: Int) throws -> Section {
            guard link < sections.count else { throw ParseError.truncated("string table \(link)") }
            return sections[link]
        }

        for section in sections where section.type == SectionType.dynamic {
            let table = try strings(of: section.link)
            let entrySize = section.entrySize > 0 ? section.entrySize : 16
            var offset = section.offset
            // Elf64_Dyn: d_tag (8 bytes), d_val (8 bytes); the table ends at DT_NULL.
            while offset + 16 <= section.offset + section.size {
                let tag = try reader.u64(offset, "d_tag")
                if tag == DynamicTag.null { break }
                if tag == DynamicTag.needed {
                    let value = Int(try reader.u64(offset + 8, "d_val"))
                    needed.append(try reader.string(table.offset + value, limit: table.offset + table.size))
                }
                offset += entrySize
            }
        }

        for section in sections where section.type == SectionType.gnuVerneed {
            let table = try strings(of: section.link)
            var entry = section.offset
            // sh_info holds the number of Elf64_Verneed entries; bound the walk by it.
            for _ in 0..<section.info {
                // Elf64_Verneed: vn_version 0, vn_cnt 2, vn_file 4, vn_aux 8, vn_next 12.
                let count = Int(try reader.u16(entry + 2, "vn_cnt"))
                let file = try reader.string(
                    table.offset + Int(try reader.u32(entry + 4, "vn_file")), limit: table.offset + table.size)
                var aux = entry + Int(try reader.u32(entry + 8, "vn_aux"))
                for _ in 0..<count {
                    // Elf64_Vernaux: vna_hash 0, vna_flags 4, vna_other 6, vna_name 8, vna_next 12.
                    let name = try reader.string(
                        table.offset + Int(try reader.u32(aux + 8, "vna_name")), limit: table.offset + table.size)
                    versionNeeds.append(VersionNeed(file: file, version: name))
                    let next = Int(try reader.u32(aux + 12, "vna_next"))
                    if next == 0 { break }
                    aux += next
                }
                let next = Int(try reader.u32(entry + 12, "vn_next"))
                if next == 0 { break }
                entry += next
            }
        }
    }

    /// Little-endian reads with bounds checks.
    struct Reader {
        var bytes: [UInt8]

        func check(_ offset: Int, _ count: Int, _ what: String) throws {
            guard offset >= 0, count >= 0, offset <= bytes.count - count else { throw ParseError.truncated(what) }
        }

        func u16(_ offset: Int, _ what: String) throws -> UInt16 {
            try check(offset, 2, what)
            return UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
        }

        func u32(_ offset: Int, _ what: String) throws -> UInt32 {
            try check(offset, 4, what)
            var value: UInt32 = 0
            for index in (0..<4).reversed() { value = value << 8 | UInt32(bytes[offset + index]) }
            return value
        }

        func u64(_ offset: Int, _ what: String) throws -> UInt64 {
            try check(offset, 8, what)
            var value: UInt64 = 0
            for index in (0..<8).reversed() { value = value << 8 | UInt64(bytes[offset + index]) }
            return value
        }

        func string(_ offset: Int, limit: Int) throws -> String {
            let end = min(limit, bytes.count)
            guard offset >= 0, offset < end else { throw ParseError.truncated("string at \(offset)") }
            var cursor = offset
            while cursor < end, bytes[cursor] != 0 { cursor += 1 }
            return String(decoding: bytes[offset..<cursor], as: UTF8.self)
        }
    }
}
