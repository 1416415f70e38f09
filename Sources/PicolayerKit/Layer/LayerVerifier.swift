import FoundationEssentials

/// One thing `verify` found, with what to do about it.
public struct Finding: Sendable, Equatable, Encodable, CustomStringConvertible {
    public enum Severity: String, Sendable, Comparable, Encodable {
        case error, warning, info

        var rank: Int { self == .error ? 0 : self == .warning ? 1 : 2 }
        public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
    }

    /// A stable name for the check, e.g. `bootstrap-crlf`, for tests and scripts.
    public var check: String
    public var severity: Severity
    public var path: String
    public var message: String
    public var remedy: String

    public var description: String {
        "\(severity.rawValue): \(path): \(message)" + (remedy.isEmpty ? "" : " Fix: \(remedy)")
    }
}

/// Lambda's size limits for layers and the layer's measured sizes.
public struct LayerSizes: Sendable, Equatable, Encodable {
    /// Largest zip accepted by PublishLayerVersion inline (50 MB).
    public static let zippedLimit = Int64(LambdaLimits.directUploadZippedBytes)
    /// Largest unzipped size of a function with all its layers.
    public static let unzippedLimit = Int64(LambdaLimits.unzippedBytes)

    public var fileCount: Int
    public var unzipped: Int64
    /// The zip's size: of the zip itself, or for a folder of the zip `picolayer package` would write (level 6).
    public var zipped: Int64
    public var zippedIsEstimate: Bool

    /// A small table for the terminal.
    public var table: String {
        func row(_ name: String, _ value: Int64, _ limit: Int64) -> String {
            let share = Double(value) * 100 / Double(limit)
            return name.rightPadded(18)
                + String(value).leftPadded(12) + String(limit).leftPadded(14)
                + TextFormat.fixed(share, places: 2).leftPadded(9) + "%"
        }
        return [
            "size               " + "bytes".leftPadded(11) + "limit".leftPadded(14) + "    used",
            row(zippedIsEstimate ? "zipped (level 6)" : "zipped", zipped, Self.zippedLimit),
            row("unzipped", unzipped, Self.unzippedLimit),
            "\(fileCount) files",
        ].joined(separator: "\n")
    }
}

/// What `verify` found in a layer.
public struct VerifyReport: Sendable {
    public var findings: [Finding]
    public var sizes: LayerSizes
    /// The emulator's answer when the live check ran; nil when it was skipped.
    public var liveResponse: String?

    public var errors: [Finding] { findings.filter { $0.severity == .error } }
    public var passed: Bool { errors.isEmpty }
}

/// Checks a staged layer folder before upload: the bootstrap, the interpreter's architecture, the glibc
/// versions and shared libraries every ELF needs on the target image, the sizes, and optionally that the layer
/// answers an event under the emulator.
public struct LayerVerifier: Sendable {
    /// Runs an event through the layer at the given folder and returns the response; nil when not possible.
    public typealias LiveCheck = @Sendable (URL) async throws -> String?

    public var target: LambdaTarget
    public var architecture: Architecture
    public var liveCheck: LiveCheck?
    /// The architecture of this machine; the live check runs only when it matches `architecture`.
    public var hostArchitecture: Architecture

    public init(
        target: LambdaTarget, architecture: Architecture, liveCheck: LiveCheck? = nil,
        hostArchitecture: Architecture = .host
    ) {
        self.target = target
        self.architecture = architecture
        self.liveCheck = liveCheck
        self.hostArchitecture = hostArchitecture
    }

    public func verify(directory: URL, zippedSize: Int64? = nil) async throws -> VerifyReport {
        var findings: [Finding] = []
        let entries = try TreeScanner.entries(under: directory)
        findings += checkLinks(entries)
        findings += checkBootstrap(in: directory)
        findings += BundledLibraryRequirement.check(layer: directory, target: target)
        findings += checkInterpreter(in: directory)
        findings += try checkELFs(entries: entries, layer: directory)

        let files = entries.filter { $0.isFile }
        let unzipped = files.reduce(Int64(0)) { $0 + $1.fileSize }
        let zipped: Int64
        if let zippedSize { zipped = zippedSize } else { zipped = try await Self.measureZippedSize(of: directory) }
        let sizes = LayerSizes(
            fileCount: files.count, unzipped: unzipped, zipped: zipped, zippedIsEstimate: zippedSize == nil)
        if zipped > LayerSizes.zippedLimit {
            findings.append(
                Finding(
                    check: "size-zipped", severity: .error, path: ".",
                    message: LambdaLimits.tooLargeInline("the zip", size: zipped, limit: LayerSizes.zippedLimit),
                    remedy: "leave out --full, drop a library with --without, or publish through S3."))
        }
        if unzipped > LayerSizes.unzippedLimit {
            findings.append(
                Finding(
                    check: "size-unzipped", severity: .error, path: ".",
                    message: "the layer unpacks to \(unzipped) bytes; Lambda allows \(LayerSizes.unzippedLimit) "
                        + "for a function and all its layers.",
                    remedy: "leave out --full and remove what the runtime does not load."))
        }

        var liveResponse: String?
        if let liveCheck, architecture == hostArchitecture, findings.allSatisfy({ $0.severity != .error }) {
            do {
                liveResponse = try await liveCheck(directory)
            } catch {
                findings.append(
                    Finding(
                        check: "live", severity: .error, path: LayerLayout.bootstrap,
                        message:
                            "the layer did not answer a test event under the emulator: \(ErrorText.describe(error))",
                        remedy: "run `picolayer invoke` on the layer to see the runtime's output."))
            }
        } else {
            let reason =
                liveCheck == nil
                ? "turned off (--no-live-check)"
                : architecture != hostArchitecture
                    ? "the layer is \(architecture.rawValue), this machine \(hostArchitecture.rawValue)"
                    : "the layer has errors"
            findings.append(
                Finding(check: "live", severity: .info, path: ".", message: "live check skipped: \(reason)", remedy: "")
            )
        }
        findings.sort { ($0.severity, $0.path) < ($1.severity, $1.path) }
        return VerifyReport(findings: findings, sizes: sizes, liveResponse: liveResponse)
    }

    /// The most of the bootstrap read for its checks.
    static let bootstrapReadLimit = 1 << 20

    func checkBootstrap(in layer: URL) -> [Finding] {
        let path = LayerLayout.bootstrap
        guard let url = Self.fileInside(layer, path) else { return [] }
        var isDirectory = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            return [
                Finding(
                    check: "bootstrap-missing", severity: .error, path: path,
                    message: "no bootstrap at the layer's root; Lambda fails with Runtime.InvalidEntrypoint.",
                    remedy: "build the layer with `picolayer build`, which puts templates/bootstrap there.")
            ]
        }
        guard !isDirectory else {
            return [
                Finding(
                    check: "bootstrap-directory", severity: .error, path: path,
                    message: "bootstrap is a folder, not an executable file.",
                    remedy: "replace the folder with the bootstrap script.")
            ]
        }
        var findings: [Finding] = []
        let mode = FileStatus.permissions(url.path) ?? 0
        if mode & 0o111 != 0o111 {
            findings.append(
                Finding(
                    check: "bootstrap-not-executable", severity: .error, path: path,
                    message: "bootstrap has mode \(String(mode, radix: 8)); Lambda needs it executable "
                        + "(fork/exec ... permission denied).",
                    remedy: "chmod 0755 bootstrap (and zip with `picolayer package`, which keeps modes)."))
        }
        let bytes = (try? OpenFile.reading(url.path).read(upTo: Self.bootstrapReadLimit)) ?? []
        if !bytes.starts(with: Array("#!".utf8)) && !ELFFile.hasMagic(bytes) {
            findings.append(
                Finding(
                    check: "bootstrap-shebang", severity: .error, path: path,
                    message: "bootstrap starts with neither #! nor an ELF header, so the kernel cannot run it.",
                    remedy: "make its first line a shebang such as #!/bin/sh."))
        }
        if !ELFFile.hasMagic(bytes), bytes.contains(0x0d) {
            let firstLine = bytes.prefix { $0 != 0x0a }
            let where_ = firstLine.last == 0x0d ? "its shebang line ends" : "its lines end"
            findings.append(
                Finding(
                    check: "bootstrap-crlf", severity: .error, path: path,
                    message: "\(where_) with CRLF; Lambda reports 'no such file or directory'.",
                    remedy: "convert it to LF line ends (dos2unix bootstrap) and stop git from converting it."))
        }
        return findings
    }

    func checkInterpreter(in layer: URL) -> [Finding] {
        guard let url = Self.fileInside(layer, LayerLayout.interpreter) else { return [] }
        guard FileManager.default.fileExists(atPath: url.path) else {
            return [
                Finding(
                    check: "interpreter-missing", severity: .error, path: LayerLayout.interpreter,
                    message: "the PicoLisp interpreter is missing.",
                    remedy: "build the layer with `picolayer build`.")
            ]
        }
        guard ELFFile.isELF(at: url) else {
            return [
                Finding(
                    check: "interpreter-not-elf", severity: .error, path: LayerLayout.interpreter,
                    message: "bin/picolisp is not an ELF executable.",
                    remedy: "rebuild with `picolayer build`; a script or a macOS binary cannot run on Lambda.")
            ]
        }
        return []
    }

    /// The file a layer path names, its links followed only inside the layer; nil when one leaves it
    /// (``checkLinks(_:)`` reports it), so no check reads a file of this machine instead of the layer's.
    static func fileInside(_ layer: URL, _ path: String) -> URL? {
        switch LayerLinks.resolve(path, in: layer) {
        case .inside(let resolved): return layer.appendingPathComponent(resolved)
        case .outside: return nil
        case .loop: return layer.appendingPathComponent(path)  // reported as missing: it cannot be opened
        }
    }

    /// Links that point outside the layer are errors, except `lib/NAME` to a system library of the target.
    func checkLinks(_ entries: [ZipSourceEntry]) -> [Finding] {
        var findings: [Finding] = []
        for entry in entries {
            guard case .symlink(let destination) = entry.kind,
                LayerLinks.leavesLayer(link: entry.path, target: destination)
            else { continue }
            if LayerLinks.isSystemLibraryLink(
                link: entry.path, target: destination, systemLibraries: self.target.systemLibraries)
            {
                findings.append(
                    Finding(
                        check: "link-system-library", severity: .info, path: entry.path,
                        message: "links to \(destination), a library \(self.target.rawValue) provides.", remedy: ""))
                continue
            }
            findings.append(
                Finding(
                    check: "link-outside", severity: .error, path: entry.path,
                    message: "is a symbolic link to \(destination), outside the layer; on Lambda it resolves against "
                        + "the image's file system (the layer is /opt), and verify does not follow it.",
                    remedy: "make it a relative link to a file inside the layer, or copy the file in. Only a link "
                        + "directly in lib/ to a library \(self.target.rawValue) ships in /usr/lib64 or /lib64 may leave "
                        + "the layer."))
        }
        return findings
    }

    func checkELFs(entries: [ZipSourceEntry], layer: URL) throws -> [Finding] {
        var findings: [Finding] = []
        let bundled = Set(
            entries.filter { $0.path.hasPrefix(LayerLayout.libraryFolder + "/") && !$0.isDirectory }
                .map { String($0.path.dropFirst(LayerLayout.libraryFolder.count + 1)) })
        for entry in entries where entry.isFile && ELFFile.isELF(at: entry.url) {
            let path = entry.path
            let elf: ELFFile
            do {
                elf = try ELFFile(contentsOf: entry.url)
            } catch {
                findings.append(
                    Finding(
                        check: "elf-unreadable", severity: .error, path: path,
                        message: "cannot read this ELF file: \(ErrorText.describe(error)).",
                        remedy: "rebuild the layer."))
                continue
            }
            guard elf.is64Bit, elf.isLittleEndian else {
                findings.append(
                    Finding(
                        check: "elf-class", severity: .error, path: path,
                        message: "this ELF is not 64-bit little-endian; Lambda runs only x86_64 and arm64.",
                        remedy: "rebuild for --arch \(architecture.rawValue)."))
                continue
            }
            findings += checkELF(elf, path: path, bundled: bundled)
        }
        return findings
    }

    /// One readable 64-bit little-endian ELF: its machine, glibc versions and libraries against the target.
    func checkELF(_ elf: ELFFile, path: String, bundled: Set<String>) -> [Finding] {
        var findings: [Finding] = []
        if elf.machine != architecture.elfMachine {
            findings.append(
                Finding(
                    check: "elf-arch", severity: .error, path: path,
                    message: "built for \(elf.machineName), but the layer is for \(architecture.rawValue).",
                    remedy: "rebuild with `picolayer build --arch \(architecture.rawValue)`, or verify with "
                        + "--arch matching the binary."))
        }
        if let highest = elf.highestGlibc, highest > target.glibc {
            // Only GLIBC_x.y versions belong here: a library's own versions (LIBFFI_BASE_8.0) are not glibc's.
            let symbols = elf.versionNeeds.filter {
                guard let version = GlibcVersion(symbolVersion: $0.version) else { return false }
                return version > target.glibc
            }
            .map(\.version)
            findings.append(
                Finding(
                    check: "glibc-too-new", severity: .error, path: path,
                    message: "needs GLIBC_\(highest) (\(Set(symbols).sorted().joined(separator: ", "))) but "
                        + "\(target.rawValue) has glibc \(target.glibc); it fails with 'GLIBC_\(highest) not found'.",
                    remedy: "build in a container of the target system (`picolayer build --engine podman` with "
                        + "the default Amazon Linux image) instead of on this machine."))
        }
        for name in elf.needed where !target.systemLibraries.contains(name) && !bundled.contains(name) {
            findings.append(
                Finding(
                    check: "library-missing", severity: .error, path: path,
                    message: "needs \(name), which \(target.rawValue) does not have and the layer's lib/ "
                        + "does not hold.",
                    remedy: "copy \(name) (built for the target) into the layer's lib/, or build in a container of "
                        + "the target system so the system's version is used."))
        }
        return findings
    }

    /// The size of the layer's zip, measured by zipping it (level 6) into a temporary file.
    static func measureZippedSize(of directory: URL) async throws -> Int64 {
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("picolayer-size-\(UUID().uuidString).zip")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let report = try await ZipWriter(options: ZipOptions(level: 6)).write(directory: directory, to: scratch)
        return Int64(report.zippedSize)
    }
}

extension LayerVerifier {
    /// Verifies a layer folder, or a zip by unpacking it (modes and symlinks kept) into a temporary folder.
    public func verify(layerAt url: URL) async throws -> VerifyReport {
        var isDirectory = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw BuildError.layerNotFound(url.path)
        }
        if isDirectory {
            return try await verify(directory: url)
        }
        return try await LayerZipUnpacker.withUnpacked(url) { directory, zippedSize in
            try await verify(directory: directory, zippedSize: zippedSize)
        }
    }
}
