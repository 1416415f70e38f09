import Foundation
import Testing

@testable import PicolayerKit

/// Writes zips byte by byte, declaring whatever a test wants: sizes, offsets, modes, Zip64 fields.
struct RawZip {
    struct Entry {
        var name: String
        /// The bytes stored after the local header (already compressed when `method` is 8).
        var data: [UInt8]
        var method: UInt16 = 0
        var crc: UInt32
        var compressedSize: UInt64
        var uncompressedSize: UInt64
        /// Unix mode with its file type bits, in the upper half of the external attributes.
        var mode: UInt32 = 0o100644
        /// Write the sizes and offset only in a Zip64 extra field of the central header.
        var zip64 = false
        /// Declare this local header offset instead of the real one.
        var declaredOffset: UInt64?
        /// Only a central header, pointing at another entry's local header (`declaredOffset` must be set).
        var centralOnly = false

        /// A stored file whose declared sizes and CRC match its bytes.
        static func stored(_ name: String, _ bytes: [UInt8], mode: UInt32 = 0o100644) -> Entry {
            Entry(
                name: name, data: bytes, crc: Zlib.crc32(bytes), compressedSize: UInt64(bytes.count),
                uncompressedSize: UInt64(bytes.count), mode: mode)
        }

        /// A symbolic link to `target`.
        static func link(_ name: String, to target: String) -> Entry {
            stored(name, Array(target.utf8), mode: 0o120777)
        }

        /// A folder.
        static func folder(_ name: String) -> Entry {
            stored(name.hasSuffix("/") ? name : name + "/", [], mode: 0o040755)
        }

        /// A deflated file from raw deflate bytes, declaring `size` and `crc` as given.
        static func deflated(_ name: String, raw: [UInt8], size: UInt64, crc: UInt32) -> Entry {
            Entry(
                name: name, data: raw, method: 8, crc: crc, compressedSize: UInt64(raw.count),
                uncompressedSize: size)
        }
    }

    var entries: [Entry]
    /// Overrides for the end records: entry count, directory size and offset (Zip64 record when `zip64End`).
    var declaredCount: UInt64?
    var declaredDirectorySize: UInt64?
    var declaredDirectoryOffset: UInt64?
    var zip64End = false
    var declaredZip64RecordOffset: UInt64?

    func bytes() -> [UInt8] {
        var out = LittleEndianWriter()
        var offsets: [UInt64] = []
        for entry in entries {
            offsets.append(UInt64(out.bytes.count))
            if entry.centralOnly { continue }
            out.u32(ZipFormat.Signature.localFileHeader)
            out.u16(entry.zip64 ? 45 : 20)
            out.u16(0)
            out.u16(entry.method)
            out.u32(0)
            out.u32(entry.crc)
            out.u32(UInt32(truncatingIfNeeded: entry.zip64 ? 0xFFFF_FFFF : entry.compressedSize))
            out.u32(UInt32(truncatingIfNeeded: entry.zip64 ? 0xFFFF_FFFF : entry.uncompressedSize))
            out.u16(UInt16(entry.name.utf8.count))
            out.u16(0)
            out.append(entry.name.utf8)
            out.append(entry.data)
        }
        let directoryOffset = UInt64(out.bytes.count)
        for (index, entry) in entries.enumerated() {
            let offset = entry.declaredOffset ?? offsets[index]
            var extra = LittleEndianWriter()
            if entry.zip64 {
                extra.u16(ZipFormat.zip64ExtraFieldID)
                extra.u16(24)
                extra.u64(entry.uncompressedSize)
                extra.u64(entry.compressedSize)
                extra.u64(offset)
            }
            out.u32(ZipFormat.Signature.centralDirectoryHeader)
            out.u16(ZipFormat.versionMadeBy)
            out.u16(entry.zip64 ? 45 : 20)
            out.u16(0)
            out.u16(entry.method)
            out.u32(0)
            out.u32(entry.crc)
            out.u32(entry.zip64 ? 0xFFFF_FFFF : UInt32(truncatingIfNeeded: entry.compressedSize))
            out.u32(entry.zip64 ? 0xFFFF_FFFF : UInt32(truncatingIfNeeded: entry.uncompressedSize))
            out.u16(UInt16(entry.name.utf8.count))
            out.u16(UInt16(extra.bytes.count))
            out.u16(0)
            out.u16(0)
            out.u16(0)
            out.u32(entry.mode << 16)
            out.u32(entry.zip64 ? 0xFFFF_FFFF : UInt32(truncatingIfNeeded: offset))
            out.append(entry.name.utf8)
            out.append(extra.bytes)
        }
        let directorySize = UInt64(out.bytes.count) - directoryOffset
        let count = declaredCount ?? UInt64(entries.count)
        if zip64End {
            let recordOffset = UInt64(out.bytes.count)
            out.u32(ZipFormat.Signature.zip64EndOfCentralDirectoryRecord)
            out.u64(44)
            out.u16(ZipFormat.versionMadeBy)
            out.u16(45)
            out.u32(0)
            out.u32(0)
            out.u64(count)
            out.u64(count)
            out.u64(declaredDirectorySize ?? directorySize)
            out.u64(declaredDirectoryOffset ?? directoryOffset)
            out.u32(ZipFormat.Signature.zip64EndOfCentralDirectoryLocator)
            out.u32(0)
            out.u64(declaredZip64RecordOffset ?? recordOffset)
            out.u32(1)
        }
        out.u32(ZipFormat.Signature.endOfCentralDirectoryRecord)
        out.u16(0)
        out.u16(0)
        out.u16(zip64End ? 0xFFFF : UInt16(truncatingIfNeeded: count))
        out.u16(zip64End ? 0xFFFF : UInt16(truncatingIfNeeded: count))
        out.u32(zip64End ? 0xFFFF_FFFF : UInt32(truncatingIfNeeded: declaredDirectorySize ?? directorySize))
        out.u32(zip64End ? 0xFFFF_FFFF : UInt32(truncatingIfNeeded: declaredDirectoryOffset ?? directoryOffset))
        out.u16(0)
        return out.bytes
    }
}

/// Raw deflate of `count` zero bytes, made by Python's zlib in a stream (the test process never holds them).
func deflatedZeros(_ count: Int) throws -> [UInt8] {
    let script = """
        import sys, zlib
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        n = int(sys.argv[1]); out = sys.stdout.buffer; block = bytes(1 << 20)
        while n > 0:
            k = min(n, len(block)); out.write(c.compress(block[:k])); n -= k
        out.write(c.flush())
        """
    let result = try runBlocking(
        "/usr/bin/env", ["python3", "-c", script, String(count)], input: nil, environment: nil)
    try #require(result.status == 0, "python3 could not deflate")
    return Array(result.stdout)
}

/// CRC-32 of `count` zero bytes, without holding them.
func crcOfZeros(_ count: Int) -> UInt32 {
    let block = [UInt8](repeating: 0, count: 1 << 20)
    var crc: UInt32 = 0
    var left = count
    while left > 0 {
        let part = min(left, block.count)
        crc = Zlib.crc32(part == block.count ? block : Array(block[0..<part]), continuing: crc)
        left -= part
    }
    return crc
}

/// What a run of the real `picolayer` binary did: exit status, output, peak RSS and time.
struct MeasuredRun {
    let status: Int32
    let output: String
    let peakKilobytes: Int
    let seconds: Double
}

/// Runs `picolayer ARGS` under /usr/bin/time (peak RSS), with TMPDIR set, killing it after `timeout` seconds.
///
/// The wait happens on a Dispatch thread, not in Swift's cooperative pool, so that other tests' async work
/// (the emulator's servers) is not starved while the child runs.
func runPicolayerMeasured(
    _ arguments: [String], temporaryFolder: URL, environment extra: [String: String] = [:], timeout: Double = 120
) async throws -> MeasuredRun {
    let binary = try picolayerExecutable()
    let result = await withCheckedContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(
                returning: Result {
                    try runMeasuredBlocking(
                        binary, arguments, temporaryFolder: temporaryFolder, environment: extra, timeout: timeout)
                })
        }
    }
    return try result.get()
}

private func runMeasuredBlocking(
    _ binary: String, _ arguments: [String], temporaryFolder: URL, environment extra: [String: String],
    timeout: Double
) throws -> MeasuredRun {
    let timeFile = temporaryFolder.deletingLastPathComponent().appendingPathComponent("time-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: timeFile) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/time")
    process.arguments = ["-f", "%M", "-o", timeFile.path, binary] + arguments
    var environment = ProcessInfo.processInfo.environment
    environment["TMPDIR"] = temporaryFolder.path
    environment.merge(extra) { $1 }
    process.environment = environment
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    process.standardInput = FileHandle.nullDevice
    let start = Date()
    try process.run()
    let killer = DispatchWorkItem { if process.isRunning { process.terminate() } }
    DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: killer)
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    killer.cancel()
    let seconds = Date().timeIntervalSince(start)
    let timeText = (try? String(contentsOf: timeFile, encoding: .utf8)) ?? ""
    let peak = timeText.split(whereSeparator: \.isNewline).compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        .last
    return MeasuredRun(
        status: process.terminationStatus, output: String(decoding: data, as: UTF8.self), peakKilobytes: peak ?? -1,
        seconds: seconds)
}

/// A folder outside any scratch folder that a hostile zip tries to write into: one file, which must stay as is.
struct Canary {
    let folder: URL
    var file: URL { folder.appendingPathComponent("file") }
    static let contents = "canary: untouched\n"

    init(in root: URL) throws {
        folder = root.appendingPathComponent("canary")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data(Self.contents.utf8).write(to: file)
    }

    /// Records an issue when anything in the canary folder changed.
    func expectUntouched(_ comment: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        #expect(names == ["file"], "\(comment): the canary folder now holds \(names)", sourceLocation: sourceLocation)
        let text = (try? String(contentsOf: file, encoding: .utf8)) ?? "<unreadable>"
        #expect(text == Self.contents, "\(comment): the canary file now says \(text)", sourceLocation: sourceLocation)
    }
}
