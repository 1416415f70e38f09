import Foundation
import Testing

@testable import PicolayerKit

@Suite("ELF parsing")
struct ELFFileTests {
    @Test("reads machine, NEEDED and GLIBC versions of Debian's picolisp like readelf does")
    func matchesReadelf() async throws {
        let elf = try ELFFile(contentsOf: Fixtures.debianPicolisp)
        #expect(elf.is64Bit && elf.isLittleEndian)
        #expect(elf.machine == Architecture.host.elfMachine)

        let dynamic = try await Fixtures.run("readelf", ["-d", Fixtures.debianPicolisp.path]).standardOutputText
        let needed = dynamic.split(separator: "\n").filter { $0.contains("(NEEDED)") }.compactMap { line in
            line.split(separator: "[").last?.split(separator: "]").first.map(String.init)
        }
        #expect(!needed.isEmpty)
        #expect(elf.needed == needed)

        let versions = try await Fixtures.run("readelf", ["-V", Fixtures.debianPicolisp.path]).standardOutputText
        let glibc = versions.split(whereSeparator: { $0 == " " || $0 == "\n" })
            .filter { $0.hasPrefix("GLIBC_2") }.compactMap { GlibcVersion(symbolVersion: String($0)) }
        #expect(elf.highestGlibc == glibc.max())
        #expect(elf.versionNeeds.contains { $0.file == "libc.so.6" })
    }

    @Test("rejects a file that is not ELF and a truncated ELF")
    func rejectsBadInput() throws {
        #expect(throws: ELFFile.ParseError.notELF) { try ELFFile(bytes: Array("#!/bin/sh\n".utf8)) }
        let bytes = Array(try Data(contentsOf: Fixtures.debianPicolisp))
        #expect(throws: ELFFile.ParseError.self) { try ELFFile(bytes: Array(bytes.prefix(200))) }
    }

    @Test(
        "GLIBC version strings order numerically",
        arguments: [
            ("GLIBC_2.34", "GLIBC_2.4", true), ("GLIBC_2.26", "GLIBC_2.34", false), ("GLIBC_2.3.4", "GLIBC_2.3", true),
        ])
    func glibcOrder(pair: (String, String, Bool)) throws {
        let lhs = try #require(GlibcVersion(symbolVersion: pair.0))
        let rhs = try #require(GlibcVersion(symbolVersion: pair.1))
        #expect((lhs > rhs) == pair.2)
        #expect(GlibcVersion(symbolVersion: "GLIBC_PRIVATE") == nil)
    }
}
