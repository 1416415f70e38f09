import Foundation
import Testing

@testable import PicolayerKit

/// One hostile zip: how to make it (given the canary folder it aims at) and what the error must name.
struct HostileZipCase: Sendable, CustomTestStringConvertible {
    let name: String
    let mustName: String
    let build: @Sendable (URL) throws -> [UInt8]
    var testDescription: String { name }
}

private let megabyte = 1 << 20
private let interpreter = "picoLisp/bin/picolisp"

/// Every hostile zip `verify` must refuse without writing outside its scratch folder, trapping, hanging or
/// using more than 300 MiB. Each runs the real binary, so a trap fails one case instead of the whole run.
private let hostileZips: [HostileZipCase] = [
    HostileZipCase(name: "a link to a file, then a file of the same name", mustName: "f") { canary in
        RawZip(entries: [.link("f", to: canary.appendingPathComponent("file").path), .stored("f", Array("pwned".utf8))])
            .bytes()
    },
    HostileZipCase(name: "a link to a folder, then a file beneath it", mustName: "lnk/pwned") { canary in
        RawZip(entries: [.link("lnk", to: canary.path), .stored("lnk/pwned", Array("pwned".utf8))]).bytes()
    },
    HostileZipCase(name: "a relative ../ link in nested folders, then a file beneath it", mustName: "a/b/up/pwned") {
        _ in
        // The scratch folder is TMPDIR/picolayer-verify-XXXXXX; the canary is beside TMPDIR.
        RawZip(entries: [
            .folder("a/b"), .link("a/b/up", to: "../../../../canary"), .stored("a/b/up/pwned", Array("pwned".utf8)),
        ]).bytes()
    },
    HostileZipCase(name: "a name with ..", mustName: "a/../../../canary/pwned") { _ in
        RawZip(entries: [.stored("a/../../../canary/pwned", Array("pwned".utf8))]).bytes()
    },
    HostileZipCase(name: "an absolute name", mustName: "/canary/pwned") { canary in
        RawZip(entries: [.stored(canary.path + "/../canary/pwned", Array("pwned".utf8))]).bytes()
    },
    HostileZipCase(name: "a name 2,000 folders deep", mustName: "longer than 3072 bytes") { _ in
        RawZip(entries: [.stored(String(repeating: "a/", count: 2000) + "x", Array("deep".utf8))]).bytes()
    },
    HostileZipCase(name: "one name twice", mustName: "bootstrap") { _ in
        RawZip(entries: [.stored("bootstrap", Array("one".utf8)), .stored("bootstrap", Array("two".utf8))]).bytes()
    },
    HostileZipCase(name: "Zip64 sizes near 2^64", mustName: interpreter) { _ in
        var entry = RawZip.Entry.stored(interpreter, Array("x".utf8))
        entry.zip64 = true
        entry.compressedSize = UInt64.max - 8
        entry.uncompressedSize = UInt64.max - 8
        return RawZip(entries: [entry]).bytes()
    },
    HostileZipCase(name: "a Zip64 local header offset near 2^64", mustName: interpreter) { _ in
        var entry = RawZip.Entry.stored(interpreter, Array("x".utf8))
        entry.zip64 = true
        entry.declaredOffset = UInt64.max - 3
        return RawZip(entries: [entry]).bytes()
    },
    HostileZipCase(name: "a Zip64 central directory offset near 2^64", mustName: "central directory") { _ in
        RawZip(entries: [.stored("bootstrap", [1])], declaredDirectoryOffset: UInt64.max - 10, zip64End: true)
            .bytes()
    },
    HostileZipCase(name: "a Zip64 end record offset near 2^64", mustName: "Zip64 end record") { _ in
        RawZip(entries: [.stored("bootstrap", [1])], zip64End: true, declaredZip64RecordOffset: UInt64.max - 1)
            .bytes()
    },
    HostileZipCase(name: "2^64-1 entries declared", mustName: "entries") { _ in
        RawZip(entries: [.stored("bootstrap", [1])], declaredCount: UInt64.max, zip64End: true).bytes()
    },
    HostileZipCase(name: "a tiny zip declaring a 4 GiB entry", mustName: "declare") { _ in
        let raw = try deflatedZeros(16)
        return RawZip(entries: [.deflated(interpreter, raw: raw, size: 4 << 30, crc: crcOfZeros(16))]).bytes()
    },
    HostileZipCase(name: "a bomb: 300 MB of zeros, declared honestly", mustName: "declare") { _ in
        let size = 300 * megabyte
        return RawZip(entries: [
            .deflated("big", raw: try deflatedZeros(size), size: UInt64(size), crc: crcOfZeros(size))
        ])
        .bytes()
    },
    HostileZipCase(name: "a bomb: declares 1 KiB, inflates to 300 MB", mustName: "big") { _ in
        RawZip(entries: [.deflated("big", raw: try deflatedZeros(300 * megabyte), size: 1024, crc: 0)]).bytes()
    },
    HostileZipCase(name: "ten entries sharing one compressed stream", mustName: "overlap") { _ in
        let size = 20 * megabyte
        let first = RawZip.Entry.deflated(
            "part0", raw: try deflatedZeros(size), size: UInt64(size), crc: crcOfZeros(size))
        let copies = (1..<10).map { index -> RawZip.Entry in
            var copy = first
            copy.name = "part\(index)"
            copy.declaredOffset = 0
            copy.centralOnly = true
            return copy
        }
        // Same-length names, so the shared local header fits every central header.
        return RawZip(entries: [first] + copies).bytes()
    },
    HostileZipCase(name: "a CRC-32 that does not match", mustName: "CRC") { _ in
        var entry = RawZip.Entry.stored("bootstrap", Array("#!/bin/sh\n".utf8))
        entry.crc ^= 1
        return RawZip(entries: [entry]).bytes()
    },
    HostileZipCase(name: "an unknown compression method", mustName: "method 99") { _ in
        var entry = RawZip.Entry.stored("bootstrap", Array("#!/bin/sh\n".utf8))
        entry.method = 99
        return RawZip(entries: [entry]).bytes()
    },
    HostileZipCase(name: "data declared past the end of the file", mustName: "bootstrap") { _ in
        var entry = RawZip.Entry.stored("bootstrap", Array("#!/bin/sh\n".utf8))
        entry.compressedSize = 1_000_000
        entry.uncompressedSize = 1_000_000
        return RawZip(entries: [entry]).bytes()
    },
    HostileZipCase(name: "invalid deflate data", mustName: "deflate") { _ in
        RawZip(entries: [.deflated("bootstrap", raw: [0xff, 0xff, 0xff, 0xff], size: 10, crc: 0)]).bytes()
    },
    HostileZipCase(name: "an empty link target", mustName: "lib/empty") { _ in
        RawZip(entries: [.link("lib/empty", to: "")]).bytes()
    },
]

@Suite("verify and publish refuse hostile zips without escaping, trapping, hanging or ballooning", .serialized)
struct HostileZipTests {
    /// The bound on `verify`'s peak resident memory for any input.
    static let peakLimitKilobytes = 300 * 1024

    @Test(
        "verify refuses the zip, names the culprit and what to do, and writes nothing outside scratch",
        arguments: hostileZips)
    func verifyRefuses(_ hostile: HostileZipCase) async throws {
        let scratch = try ZipScratch()
        defer { scratch.remove() }
        let canary = try Canary(in: scratch.url)
        let temporary = scratch.url.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        let zip = scratch.url.appendingPathComponent("hostile.zip")
        try Data(try hostile.build(canary.folder)).write(to: zip)

        let run = try await runPicolayerMeasured(["verify", zip.path], temporaryFolder: temporary)
        print("verify, \(hostile.name): exit \(run.status), peak RSS \(run.peakKilobytes) KiB, \(run.seconds) s")
        #expect(run.status == 1, "exit status \(run.status): \(run.output)")
        #expect(run.output.contains(hostile.mustName), "\(run.output)")
        #expect(run.output.lowercased().contains("do not"), "no advice: \(run.output)")
        #expect(!run.output.contains("NSCocoaErrorDomain") && !run.output.contains("Fatal error"), "\(run.output)")
        #expect(!run.output.contains("a bug in picolayer"), "\(run.output)")
        #expect(
            run.peakKilobytes > 0 && run.peakKilobytes <= Self.peakLimitKilobytes, "peak RSS \(run.peakKilobytes) KiB")
        #expect(run.seconds < 60, "took \(run.seconds) s")
        canary.expectUntouched(hostile.name)
        let left = (try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? []
        #expect(left.isEmpty, "verify left \(left) in its temporary folder")
    }

    @Test(
        "publish --dry-run reads the architecture through the same reader and fails cleanly",
        arguments: hostileZips.filter { $0.name.contains("2^64") || $0.name.contains("4 GiB") })
    func publishRefuses(_ hostile: HostileZipCase) async throws {
        let scratch = try ZipScratch()
        defer { scratch.remove() }
        let zip = scratch.url.appendingPathComponent("hostile.zip")
        try Data(try hostile.build(scratch.url)).write(to: zip)
        let run = try await runPicolayerMeasured(
            ["publish", zip.path, "--layer-name", "hostile", "--region", "us-east-1", "--dry-run"],
            temporaryFolder: scratch.url,
            environment: [
                "AWS_ACCESS_KEY_ID": "AKIDHOSTILE", "AWS_SECRET_ACCESS_KEY": "hostile-secret", "HOME": scratch.path,
            ])
        #expect(run.status == 1, "exit status \(run.status): \(run.output)")
        #expect(run.output.contains("hostile.zip"), "\(run.output)")
        #expect(!run.output.contains("Fatal error"), "\(run.output)")
        #expect(
            run.peakKilobytes > 0 && run.peakKilobytes <= Self.peakLimitKilobytes, "peak RSS \(run.peakKilobytes) KiB")
    }

    @Test("a zip just under the unzipped limit is unpacked in bounded memory and its scratch folder removed")
    func nearLimitIsBounded() async throws {
        let scratch = try ZipScratch()
        defer { scratch.remove() }
        let temporary = scratch.url.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        let size = 240 * megabyte
        let zip = scratch.url.appendingPathComponent("big.zip")
        let entry = RawZip.Entry.deflated(
            "zeros", raw: try deflatedZeros(size), size: UInt64(size), crc: crcOfZeros(size))
        try Data(RawZip(entries: [entry]).bytes()).write(to: zip)
        let run = try await runPicolayerMeasured(["verify", zip.path], temporaryFolder: temporary)
        print("verify, 240 MiB of zeros: exit \(run.status), peak RSS \(run.peakKilobytes) KiB, \(run.seconds) s")
        #expect(run.status == 1, "\(run.output)")
        #expect(run.output.contains("bootstrap-missing") || run.output.contains("no bootstrap"), "\(run.output)")
        #expect(run.peakKilobytes > 0 && run.peakKilobytes <= Self.peakLimitKilobytes, "peak \(run.peakKilobytes) KiB")
        let left = (try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? []
        #expect(left.isEmpty, "verify left \(left) in its temporary folder")
    }

    @Test("the reader streams an entry in bounded chunks and counts what it inflates")
    func streamsHonestEntry() throws {
        let scratch = try ZipScratch()
        defer { scratch.remove() }
        let size = 3 * megabyte + 5
        let zip = scratch.url.appendingPathComponent("ok.zip")
        try Data(
            RawZip(entries: [
                .deflated("zeros", raw: try deflatedZeros(size), size: UInt64(size), crc: crcOfZeros(size))
            ])
            .bytes()
        ).write(to: zip)
        let reader = try ZipReader(contentsOf: zip)
        var total = 0
        var largest = 0
        try reader.stream(reader.entries[0], limit: UInt64(size)) { chunk in
            total += chunk.count
            largest = max(largest, chunk.count)
        }
        #expect(total == size)
        #expect(largest <= 256 * 1024)
        #expect(throws: ZipError.self) { try reader.contents(of: reader.entries[0], limit: UInt64(size - 1)) }
    }
}
