/// The CPU architecture of a layer, as Lambda names it.
public enum Architecture: String, Sendable, CaseIterable, Codable {
    case x86_64
    case arm64

    /// The ELF `e_machine` value of binaries for this architecture.
    public var elfMachine: UInt16 {
        switch self {
        case .x86_64: return ELFFile.Machine.x86_64
        case .arm64: return ELFFile.Machine.aarch64
        }
    }

    /// The architecture of binaries whose ELF `e_machine` is `machine`; nil for any other machine.
    public init?(elfMachine machine: UInt16) {
        guard let found = Self.allCases.first(where: { $0.elfMachine == machine }) else { return nil }
        self = found
    }

    /// The architecture named by an ELF header (see ``ELFFile/machine(ofHeader:)``); nil for another machine or
    /// bytes that are not an ELF header.
    public init?(elfHeader header: [UInt8]) {
        guard let machine = ELFFile.machine(ofHeader: header) else { return nil }
        self.init(elfMachine: machine)
    }

    /// The value of a container engine's `--platform` flag.
    public var containerPlatform: String {
        switch self {
        case .x86_64: return "linux/amd64"
        case .arm64: return "linux/arm64"
        }
    }

    /// The architecture this program runs on.
    public static var host: Architecture {
        #if arch(arm64)
            return .arm64
        #else
            return .x86_64
        #endif
    }
}

/// The Lambda base image a layer is meant for; it fixes the glibc and the shared libraries available.
public enum LambdaTarget: String, Sendable, CaseIterable, Codable {
    case al2023 = "provided.al2023"
    case al2 = "provided.al2"

    /// The glibc version of the image, as (major, minor).
    public var glibc: GlibcVersion {
        switch self {
        case .al2023: return GlibcVersion(major: 2, minor: 34)
        case .al2: return GlibcVersion(major: 2, minor: 26)
        }
    }

    /// Sonames in the image's /lib64 that matter to PicoLisp (the provided.al2023 and provided.al2 images, as
    /// AWS lists their packages), plus glibc's own libraries.
    public var systemLibraries: Set<String> {
        let glibc: Set<String> = [
            "libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "librt.so.1", "libutil.so.1",
            "libresolv.so.2", "libcrypt.so.1", "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1",
        ]
        let common: Set<String> = [
            "libtinfo.so.6", "libncurses.so.6", "libncursesw.so.6", "libz.so.1", "libcurl.so.4",
            "libstdc++.so.6", "libgcc_s.so.1", "libgmp.so.10",
        ]
        switch self {
        case .al2023:
            return glibc.union(common).union([
                "libffi.so.8", "libreadline.so.8", "libcrypto.so.3", "libssl.so.3",
            ])
        case .al2:
            return glibc.union(common).union([
                "libffi.so.6", "libreadline.so.6", "libcrypto.so.10", "libssl.so.10",
            ])
        }
    }
}

extension LambdaTarget {
    /// Commands on the image's `PATH` that a bundled library may run. The `provided` images carry
    /// `curl-minimal` but no `openssl` command (AWS: "Package changes for curl and libcurl" in the Amazon Linux 2023
    /// user guide; the Lambda base images' package lists).
    public var programs: Set<String> { ["sh", "curl"] }

    /// The image's libcrypto, which picolisp-awscurl loads by its development name `libcrypto.so`; the image has
    /// only the versioned file, so the layer links `lib/libcrypto.so` (on Lambda's `LD_LIBRARY_PATH`) to it.
    public var cryptoLibrary: String {
        switch self {
        case .al2023: return "/lib64/libcrypto.so.3"
        case .al2: return "/lib64/libcrypto.so.10"
        }
    }
}

/// A glibc symbol version such as `GLIBC_2.34`.
public struct GlibcVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public var patch: Int

    public init(major: Int, minor: Int, patch: Int = 0) {
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    /// Parses `GLIBC_2.34` or `GLIBC_2.3.4`; nil for anything else (such as `GLIBC_PRIVATE`).
    public init?(symbolVersion: String) {
        guard symbolVersion.hasPrefix("GLIBC_") else { return nil }
        let numbers = symbolVersion.dropFirst("GLIBC_".count).split(separator: ".").map { Int($0) }
        guard numbers.count >= 2, numbers.count <= 3, let major = numbers[0], let minor = numbers[1] else {
            return nil
        }
        var patch = 0
        if numbers.count == 3 {
            guard let value = numbers[2] else { return nil }
            patch = value
        }
        self.init(major: major, minor: minor, patch: patch)
    }

    public static func < (lhs: GlibcVersion, rhs: GlibcVersion) -> Bool {
        (lhs.major, lhs.minor, lhs.patch) < (rhs.major, rhs.minor, rhs.patch)
    }

    public var description: String {
        patch == 0 ? "\(major).\(minor)" : "\(major).\(minor).\(patch)"
    }
}
