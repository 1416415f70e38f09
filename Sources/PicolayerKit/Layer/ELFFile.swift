import FoundationEssentials

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

    /// `e_machine` of an ELF header (its first 20 bytes or more), in the byte order its `EI_DATA` names; nil
    /// when the bytes are not an ELF header.
    public static func machine(ofHeader header: [UInt8]) -> UInt16? {
        guard hasMagic(header), let machine = LittleEndian.read(UInt16.self, header, at: 18) else { return nil }
        return header[Header.dataOffset] == Header.littleEndian ? machine : machine.byteSwapped
    }

    /// True when the file at `url` starts with the ELF magic number.
    public static func isELF(at url: URL) -> Bool {
        guard let head = try? OpenFile.reading(url.path).read(upTo: 4) else { return false }
        return hasMagic(head)
    }

    /// What the reader accepts from a file it did not write; past these it stops with `unsupported`.
    public enum Limits {
        /// The largest `.dynamic` or `.gnu.version_r` section read.
        public static let maxTableBytes = 1 << 20
        /// The largest string table read.
        public static let maxStringTableBytes = 16 << 20
        /// The most `DT_NEEDED` entries and the most symbol versions.
        public static let maxNames = 4096
        /// The longest library or version name.
        public static let maxNameBytes = 4096
    }

    /// Reads the file's header and the sections that matter with positioned reads, never the whole file.
    public init(contentsOf url: URL) throws {
        let file = try InputFile(path: url.path)
        try self.init(size: Int(clamping: try file.size())) { offset, count in
            try file.readBytes(at: UInt64(offset), count: count)
        }
    }

    public init(bytes: [UInt8]) throws {
        try self.init(size: bytes.count) { offset, count in
            Array(bytes[offset..<min(bytes.count, offset + count)])
        }
    }

    /// The parser: `read(offset, count)` returns up to `count` bytes at `offset`; callers keep it in `0..<size`.
    init(size: Int, read: (Int, Int) throws -> [UInt8]) throws {
        let header = Reader(bytes: try read(0, min(size, Header.size64)))
        guard header.bytes.count >= 16, Self.hasMagic(header.bytes) else { throw ParseError.notELF }
        is64Bit = header.bytes[Header.classOffset] == Header.elfClass64
        isLittleEndian = header.bytes[Header.dataOffset] == Header.littleEndian
        needed = []
        versionNeeds = []
        guard isLittleEndian else {
            type = 0
            machine = 0
            return
        }
        type = try header.u16(16, "e_type")
        machine = try header.u16(18, "e_machine")
        guard is64Bit else { return }
        let sections = try Self.sections(header: header, size: size, read: read)
        func load(_ section: Section, _ what: String, limit: Int) throws -> Reader {
            guard section.offset <= UInt64(size), section.size <= UInt64(size) - section.offset else {
                throw ParseError.truncated("\(what) (\(section.size) bytes at offset \(section.offset))")
            }
            guard section.size <= UInt64(limit) else {
                throw ParseError.unsupported("\(what) of \(section.size) bytes (at most \(limit) are read)")
            }
            let bytes = try read(Int(section.offset), Int(section.size))
            guard bytes.count == Int(section.size) else { throw ParseError.truncated(what) }
            return Reader(bytes: bytes)
        }
        func strings(of section: Section) throws -> Reader {
            guard section.link < sections.count else { throw ParseError.truncated("string table \(section.link)") }
            return try load(sections[Int(section.link)], "string table", limit: Limits.maxStringTableBytes)
        }
        for section in sections where section.type == SectionType.dynamic {
            let table = try load(section, "dynamic section", limit: Limits.maxTableBytes)
            needed += try Self.neededNames(table, entrySize: section.entrySize, strings: try strings(of: section))
        }
        for section in sections where section.type == SectionType.gnuVerneed {
            let table = try load(section, "version section", limit: Limits.maxTableBytes)
            versionNeeds += try Self.versionNeeds(table, count: section.info, strings: try strings(of: section))
        }
    }

    struct Section {
        var type: UInt32
        var offset: UInt64
        var size: UInt64
        var link: UInt32
        var info: UInt32
        var entrySize: UInt64
    }

    /// The section header table, checked to lie in the file.
    private static func sections(header: Reader, size: Int, read: (Int, Int) throws -> [UInt8]) throws -> [Section] {
        // Elf64_Ehdr: e_shoff at 40, e_shentsize at 58, e_shnum at 60.
        let tableOffset = try header.u64(40, "e_shoff")
        let entrySize = Int(try header.u16(58, "e_shentsize"))
        let count = Int(try header.u16(60, "e_shnum"))
        guard tableOffset != 0, count > 0 else { return [] }
        guard entrySize >= 64 else { throw ParseError.unsupported("section header size \(entrySize)") }
        let tableSize = entrySize * count  // at most 65,535 * 65,535
        guard tableOffset <= UInt64(size), UInt64(tableSize) <= UInt64(size) - tableOffset else {
            throw ParseError.truncated("the section headers (\(count) at offset \(tableOffset))")
        }
        let table = Reader(bytes: try read(Int(tableOffset), tableSize))
        return try (0..<count).map { index in
            let base = index * entrySize
            // Elf64_Shdr: sh_type 4, sh_offset 24, sh_size 32, sh_link 40, sh_info 44, sh_entsize 56.
            return Section(
                type: try table.u32(base + 4, "sh_type"), offset: try table.u64(base + 24, "sh_offset"),
                size: try table.u64(base + 32, "sh_size"), link: try table.u32(base + 40, "sh_link"),
                info: try table.u32(base + 44, "sh_info"), entrySize: try table.u64(base + 56, "sh_entsize"))
        }
    }

    /// `DT_NEEDED` names of one `.dynamic` section (Elf64_Dyn: d_tag, d_val; the table ends at DT_NULL).
    private static func neededNames(_ table: Reader, entrySize: UInt64, strings: Reader) throws -> [String] {
        guard entrySize == 0 || entrySize == 16 else {
            throw ParseError.unsupported("dynamic entry size \(entrySize) (Elf64_Dyn has 16 bytes)")
        }
        var names: [String] = []
        for offset in stride(from: 0, to: table.bytes.count - 15, by: 16) {
            let tag = try table.u64(offset, "d_tag")
            if tag == DynamicTag.null { break }
            guard tag == DynamicTag.needed else { continue }
            guard names.count < Limits.maxNames else {
                throw ParseError.unsupported("over \(Limits.maxNames) DT_NEEDED")
            }
            let value = try table.u64(offset + 8, "d_val")
            guard value < UInt64(strings.bytes.count) else { throw ParseError.truncated("DT_NEEDED name at \(value)") }
            names.append(try strings.string(Int(value)))
        }
        return names
    }

    /// The `Elf64_Verneed` entries of `.gnu.version_r`, `count` (sh_info) of them, with their `Elf64_Vernaux`.
    private static func versionNeeds(_ table: Reader, count: UInt32, strings: Reader) throws -> [VersionNeed] {
        var needs: [VersionNeed] = []
        var entry = 0
        for _ in 0..<min(Int(count), Limits.maxNames) {
            // Elf64_Verneed: vn_version 0, vn_cnt 2, vn_file 4, vn_aux 8, vn_next 12.
            let auxCount = Int(try table.u16(entry + 2, "vn_cnt"))
            let file = try strings.string(Int(try table.u32(entry + 4, "vn_file")))
            var aux = entry + Int(try table.u32(entry + 8, "vn_aux"))
            for _ in 0..<auxCount {
                // Elf64_Vernaux: vna_hash 0, vna_flags 4, vna_other 6, vna_name 8, vna_next 12.
                let name = try strings.string(Int(try table.u32(aux + 8, "vna_name")))
                guard needs.count < Limits.maxNames else {
                    throw ParseError.unsupported("over \(Limits.maxNames) symbol versions")
                }
                needs.append(VersionNeed(file: file, version: name))
                let next = Int(try table.u32(aux + 12, "vna_next"))
                if next == 0 { break }
                aux += next
            }
            let next = Int(try table.u32(entry + 12, "vn_next"))
            if next == 0 { break }
            entry += next
        }
        return needs
    }

    /// Little-endian reads with bounds checks.
    struct Reader {
        var bytes: [UInt8]

        func u16(_ offset: Int, _ what: String) throws -> UInt16 { try read(UInt16.self, offset, what) }

        func u32(_ offset: Int, _ what: String) throws -> UInt32 { try read(UInt32.self, offset, what) }

        func u64(_ offset: Int, _ what: String) throws -> UInt64 { try read(UInt64.self, offset, what) }

        private func read<T: FixedWidthInteger & UnsignedInteger>(_ type: T.Type, _ offset: Int, _ what: String) throws
            -> T
        {
            guard let value = LittleEndian.read(type, bytes, at: offset) else { throw ParseError.truncated(what) }
            return value
        }

        /// The NUL-terminated string at `offset`, at most `Limits.maxNameBytes` long.
        func string(_ offset: Int) throws -> String {
            guard offset >= 0, offset < bytes.count else { throw ParseError.truncated("string at \(offset)") }
            let end = min(bytes.count, offset + Limits.maxNameBytes)
            var cursor = offset
            while cursor < end, bytes[cursor] != 0 { cursor += 1 }
            return String(decoding: bytes[offset..<cursor], as: UTF8.self)
        }
    }
}
