import Foundation
import Testing

@testable import PicolayerKit

/// Byte offsets in Debian's picolisp, found by reading its headers the way the System V ABI lays them out.
private enum ELFLayout {
    static func u64(_ bytes: [UInt8], _ offset: Int) -> UInt64 {
        (0..<8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64(bytes[offset + $1]) }
    }

    static func u32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        (0..<4).reversed().reduce(UInt32(0)) { $0 << 8 | UInt32(bytes[offset + $1]) }
    }

    static func put(_ value: UInt64, at offset: Int, width: Int = 8, in bytes: inout [UInt8]) {
        for index in 0..<width { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> UInt64(8 * index)) }
    }

    /// The offset of the first section header of `type` (Elf64_Shdr, e_shoff at 40, e_shnum at 60).
    static func sectionHeader(ofType type: UInt32, in bytes: [UInt8]) -> Int? {
        let table = Int(u64(bytes, 40))
        let count = Int(bytes[60]) | Int(bytes[61]) << 8
        return (0..<count).map { table + $0 * 64 }.first { u32(bytes, $0 + 4) == type }
    }

    /// The offset of the first DT_NEEDED entry of the `.dynamic` section.
    static func firstNeeded(in bytes: [UInt8]) -> Int? {
        guard let header = sectionHeader(ofType: 6, in: bytes) else { return nil }
        let start = Int(u64(bytes, header + 24))
        return stride(from: start, to: start + Int(u64(bytes, header + 32)), by: 16).first { u64(bytes, $0) == 1 }
    }
}

/// One patch to Debian's picolisp that a careless reader traps on (or loops over).
struct HostileELFCase: Sendable, CustomTestStringConvertible {
    let name: String
    /// False where the patched file is still readable (the walk is bounded by its own chain): it must not hang.
    var unreadable = true
    let patch: @Sendable (inout [UInt8]) throws -> Void
    var testDescription: String { name }

    static func section(
        _ type: UInt32, field: Int, _ value: UInt64, _ name: String, unreadable: Bool = true
    ) -> HostileELFCase {
        HostileELFCase(name: name, unreadable: unreadable) { bytes in
            let header = try #require(ELFLayout.sectionHeader(ofType: type, in: bytes))
            ELFLayout.put(value, at: header + field, width: field == 40 || field == 44 ? 4 : 8, in: &bytes)
        }
    }
}

private let dynamic: UInt32 = 6
private let verneed: UInt32 = 0x6fff_fffe

private let hostileELFs: [HostileELFCase] = [
    HostileELFCase(name: "e_shoff near 2^64") { ELFLayout.put(UInt64.max - 100, at: 40, in: &$0) },
    HostileELFCase(name: "e_shoff 2^63") { ELFLayout.put(1 << 63, at: 40, in: &$0) },
    HostileELFCase(name: "e_shnum section headers past the end") { bytes in
        ELFLayout.put(UInt64(bytes.count - 64), at: 40, in: &bytes)
    },
    .section(dynamic, field: 24, UInt64.max - 4, ".dynamic sh_offset near 2^64"),
    .section(dynamic, field: 32, UInt64.max, ".dynamic sh_size 2^64-1"),
    .section(dynamic, field: 32, 1 << 62, ".dynamic sh_size 2^62"),
    .section(dynamic, field: 56, UInt64.max, ".dynamic sh_entsize 2^64-1"),
    .section(dynamic, field: 56, 1, ".dynamic sh_entsize 1"),
    .section(dynamic, field: 40, 0xFFFF_FFFF, ".dynamic sh_link past the section count"),
    .section(verneed, field: 24, UInt64.max - 8, ".gnu.version_r sh_offset near 2^64"),
    .section(verneed, field: 44, 0xFFFF_FFFF, ".gnu.version_r sh_info 2^32-1", unreadable: false),
    HostileELFCase(name: "DT_NEEDED value 2^64-3") { bytes in
        ELFLayout.put(UInt64.max - 2, at: try #require(ELFLayout.firstNeeded(in: bytes)) + 8, in: &bytes)
    },
    HostileELFCase(name: "DT_NEEDED value Int.max") { bytes in
        ELFLayout.put(UInt64(Int.max), at: try #require(ELFLayout.firstNeeded(in: bytes)) + 8, in: &bytes)
    },
    HostileELFCase(name: "the string table of .dynamic at offset 2^63") { bytes in
        let header = try #require(ELFLayout.sectionHeader(ofType: dynamic, in: bytes))
        let link = Int(ELFLayout.u32(bytes, header + 40))
        let strings = Int(ELFLayout.u64(bytes, 40)) + link * 64
        ELFLayout.put(1 << 63, at: strings + 24, in: &bytes)
    },
]

@Suite("verify reads hostile ELF files without trapping or hanging", .serialized)
struct HostileELFTests {
    @Test("the real verify binary reports the ELF as unreadable, names it and what to do", arguments: hostileELFs)
    func verifyReportsUnreadableELF(_ hostile: HostileELFCase) async throws {
        let scratch = try ZipScratch()
        defer { scratch.remove() }
        var bytes = Array(try Data(contentsOf: Fixtures.debianPicolisp))
        try hostile.patch(&bytes)
        try scratch.file("layer/bootstrap", VerifyTests.bootstrap, mode: 0o755)
        try scratch.file("layer/picoLisp/bin/picolisp", bytes, mode: 0o755)
        let run = try await runPicolayerMeasured(
            ["verify", scratch.url.appendingPathComponent("layer").path, "--no-live-check"],
            temporaryFolder: scratch.url, timeout: 60)
        #expect(!run.output.contains("Fatal error"), "\(run.output)")
        #expect(run.seconds < 30, "took \(run.seconds) s")
        guard hostile.unreadable else {
            #expect(run.status == 0 || run.status == 1, "exit status \(run.status): \(run.output)")
            return
        }
        #expect(run.status == 1, "exit status \(run.status): \(run.output)")
        #expect(run.output.contains("picoLisp/bin/picolisp: cannot read this ELF file"), "\(run.output)")
        #expect(run.output.contains("Fix: rebuild the layer"), "\(run.output)")
    }

    @Test("a file much larger than its headers is read in pieces, not whole")
    func largeFileIsNotReadWhole() throws {
        let scratch = try ZipScratch()
        defer { scratch.remove() }
        // Debian's picolisp followed by 400 MB of sparse zeros: a whole read would pass 300 MiB.
        let url = scratch.url.appendingPathComponent("big")
        try FileManager.default.copyItem(at: Fixtures.debianPicolisp, to: url)
        let handle = try FileHandle(forWritingTo: url)
        try handle.truncate(atOffset: 400 << 20)
        try handle.close()
        let before = residentKilobytes()
        let elf = try ELFFile(contentsOf: url)
        #expect(elf.needed.contains("libc.so.6"))
        #expect(residentKilobytes() - before < 100 * 1024)
    }
}

/// This process's resident set size, from /proc/self/status.
func residentKilobytes() -> Int {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
    return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
}
