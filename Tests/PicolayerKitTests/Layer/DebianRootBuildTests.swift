import Foundation
import Testing

@testable import PicolayerKit

/// `picolayer build --engine none` in debootstrapped Debian roots that have the Swift toolchain but no clang and
/// no LLVM, as a new user's machine: refused with the fix, then built with `--install-deps`; then, with `clang-NN`
/// removed again but `llvm-NN` kept, refused naming `clang-NN`, and built once more with `--install-deps`. Bookworm has LLVM 14, trixie LLVM 19; trixie's glibc
/// 2.41 makes the built picolisp need GLIBC_2.38, so verify rightly rejects that layer for provided.al2023 and
/// the test checks that the compiled interpreter runs in its root instead.
///
/// Each root is debootstrapped once into `.build/test-roots/debian-SUITE` (with the distribution's own pil21
/// source in `/opt/pil21-src`, from its `picolisp` package) and never changed afterwards: every run mounts an
/// overlay on it in a private mount namespace, bind-mounts `/opt/swift` and the picolayer binary, and runs the
/// builds through `chroot`. Downloaded packages are kept in `.build/test-roots/apt-archives-SUITE`.
@Suite("build --engine none in a Debian root", .serialized)
struct DebianRootBuildTests {
    static let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let roots = package.appendingPathComponent(".build/test-roots")
    static let mirror = "http://deb.debian.org/debian"

    static var available: Bool {
        let fileManager = FileManager.default
        return getuid() == 0 && fileManager.isExecutableFile(atPath: HostToolchainTests.unshare)
            && fileManager.isExecutableFile(atPath: "/usr/sbin/chroot")
            && ProcessRunner.locate("debootstrap", environment: testEnvironment) != nil
            && fileManager.isExecutableFile(atPath: BuildCommandTests.binary.path) && HostToolchainTests.swiftBin != nil
    }

    /// Mounts an overlay on ROOT (or, with SCRATCH `direct`, uses ROOT itself) in this private mount namespace,
    /// with SCRATCH/out as /picolayer-test, and runs the rest of the arguments in it through chroot.
    static let enterRoot = """
        set -eu
        root=$1; scratch=$2; archives=$3; swift=$4; binary=$5; shift 5
        if [ "$scratch" = direct ]; then
            m=$root
        else
            mkdir -p "$scratch/upper" "$scratch/work" "$scratch/merged" "$scratch/out"
            mount -t overlay overlay -o "lowerdir=$root,upperdir=$scratch/upper,workdir=$scratch/work" \\
                "$scratch/merged"
            m=$scratch/merged
            mkdir -p "$m/picolayer-test"
            mount --bind "$scratch/out" "$m/picolayer-test"
        fi
        mount -t proc proc "$m/proc"
        mount --rbind /dev "$m/dev"
        mkdir -p "$m/opt/swift" "$m/var/cache/apt/archives"
        mount --bind "$swift" "$m/opt/swift"
        mount --bind "$archives" "$m/var/cache/apt/archives"
        cp /etc/resolv.conf "$m/etc/resolv.conf"
        cp "$binary" "$m/usr/local/bin/picolayer"
        exec chroot "$m" /usr/bin/env -i HOME=/root PATH=/usr/local/bin:/usr/bin:/bin:/opt/swift/usr/bin "$@"
        """

    /// Run inside the root: the four builds, each one's output, exit status and seconds in /picolayer-test.
    static let scenario = """
        cd /picolayer-test
        build() {
            name=$1; shift
            start=$(date +%s)
            picolayer build --engine none --pil-source /opt/pil21-src --without json --without awscurl \\
                --project /root/project --cache-dir /root/cache "$@" > "$name.out" 2>&1
            echo $? > "$name.status"
            echo $(( $(date +%s) - start )) > "$name.seconds"
        }
        mkdir -p /root/project
        build refused
        build installed --install-deps
        for layer in /root/project/build/layer /root/project/build/layer.rejected; do
            [ -x "$layer/picoLisp/bin/picolisp" ] || continue
            "$layer/picoLisp/bin/picolisp" "$layer/picoLisp/lib.l" -'prinl (+ 1 2)' -bye > smoke.out 2>&1
        done
        llvm-config --version | cut -d. -f1 > llvm
        apt-get remove -y -qq "clang-$(cat llvm)" > remove.out 2>&1
        build removed
        build reinstalled --install-deps
        """

    static func shell(_ script: String, _ arguments: [String]) async throws -> ProcessResult {
        try await ProcessRunner(environment: testEnvironment).run(
            HostToolchainTests.unshare, ["--mount", "--propagation", "private", "sh", "-c", script, "sh"] + arguments)
    }

    /// The cached root of SUITE: debootstrapped once, with the distribution's pil21 source added.
    static func ensureRoot(_ suite: String, swiftBin: String) async throws -> (root: URL, archives: URL) {
        let fileManager = FileManager.default
        let root = roots.appendingPathComponent("debian-\(suite)")
        let archives = roots.appendingPathComponent("apt-archives-\(suite)")
        try fileManager.createDirectory(
            at: archives.appendingPathComponent("partial"), withIntermediateDirectories: true)
        let runner = ProcessRunner(environment: testEnvironment)
        if !fileManager.fileExists(atPath: root.appendingPathComponent("opt/pil21-src/src/Makefile").path) {
            let partial = roots.appendingPathComponent(".partial-\(suite)-\(UUID().uuidString)")
            defer { try? fileManager.removeItem(at: partial) }
            let bootstrap = try await runner.run(
                "debootstrap", ["--variant=minbase", suite, partial.path, mirror])
            try #require(bootstrap.succeeded, "debootstrap \(suite) failed: \(bootstrap.standardErrorText)")
            // The distribution's own pil21 source: Debian 12's Makefile predates LLVM 17.
            let prepare = """
                set -e
                apt-get update -qq
                cd /tmp && apt-get download picolisp && dpkg-deb -x picolisp_*.deb /tmp/pico
                mv /tmp/pico/usr/lib/picolisp /opt/pil21-src && rm -rf /tmp/pico picolisp_*.deb /opt/pil21-src/doc
                """
            let swiftRoot = URL(fileURLWithPath: swiftBin).deletingLastPathComponent().deletingLastPathComponent()
            let prepared = try await shell(
                enterRoot,
                [
                    partial.path, "direct", archives.path, swiftRoot.path, BuildCommandTests.binary.path, "sh", "-c",
                    prepare,
                ])
            try #require(prepared.succeeded, "preparing \(suite): \(prepared.standardErrorText)")
            try? fileManager.removeItem(at: partial.appendingPathComponent("usr/local/bin/picolayer"))
            try? fileManager.removeItem(at: root)
            try fileManager.moveItem(at: partial, to: root)
        }
        return (root, archives)
    }

    @Test(
        "refused with the fix, built with --install-deps, refused naming clang-NN once it is removed",
        .enabled(if: available), .timeLimit(.minutes(20)),
        arguments: [("bookworm", 14, true), ("trixie", 19, false)])
    func installAndBuild(suite: String, llvm: Int, staged: Bool) async throws {
        let swiftBin = try #require(HostToolchainTests.swiftBin)
        let swiftRoot = URL(fileURLWithPath: swiftBin).deletingLastPathComponent().deletingLastPathComponent().path
        let (root, archives) = try await Self.ensureRoot(suite, swiftBin: swiftBin)
        try await withTemporaryDirectory { scratch in
            let run = try await Self.shell(
                Self.enterRoot,
                [
                    root.path, scratch.path, archives.path, swiftRoot, BuildCommandTests.binary.path, "sh", "-c",
                    Self.scenario,
                ])
            try #require(run.succeeded, "\(run.standardErrorText)")
            let out = scratch.appendingPathComponent("out")
            func read(_ name: String) -> String {
                (try? String(contentsOf: out.appendingPathComponent(name), encoding: .utf8)) ?? ""
            }
            func status(_ name: String) -> String {
                read("\(name).status").trimmingCharacters(in: .whitespacesAndNewlines)
            }

            // No LLVM at all: the fix is the distribution's clang and llvm, or --install-deps.
            let refused = read("refused.out")
            #expect(status("refused") != "0", "\(refused)")
            #expect(refused.contains("no LLVM tools found"), "\(refused)")
            #expect(refused.contains("apt-get install clang llvm") && refused.contains("--install-deps"), "\(refused)")

            // --install-deps installs them with apt-get, pil21 is compiled, and the layer staged where glibc allows.
            let installed = read("installed.out")
            #expect(installed.contains("installing the toolchain with apt-get"), "\(installed)")
            #expect(installed.contains("compiler /usr/bin/clang-\(llvm) (clang \(llvm)), llvm \(llvm)"), "\(installed)")
            #expect(installed.contains("pil21: built"), "\(installed)")
            #expect(read("smoke.out") == "3\n", "the built picolisp: \(read("smoke.out"))")
            if staged {
                #expect(status("installed") == "0", "\(installed)")
                #expect(installed.contains("layer ready: /root/project/build/layer"), "\(installed)")
            } else {
                #expect(installed.contains("verify rejected the staged layer"), "\(installed)")
                #expect(installed.contains("but provided.al2023 has glibc 2.34"), "\(installed)")
                #expect(installed.components(separatedBy: "- error:").count == 2, "one error only: \(installed)")
            }
            #expect(read("llvm").trimmingCharacters(in: .whitespacesAndNewlines) == "\(llvm)")

            // clang-NN removed (llvm-NN stays), only the Swift toolchain's clang left: refused at once, naming
            // clang-NN; --install-deps then installs just that (the compile itself is reused from the cache).
            let removed = read("removed.out")
            #expect(status("removed") != "0", "\(removed)")
            #expect(removed.contains("no clang fits LLVM \(llvm)"), "\(removed)")
            #expect(removed.contains("apt-get install clang-\(llvm)"), "\(removed)")
            #expect(removed.contains("/opt/swift/usr/bin/clang) is newer than LLVM \(llvm)"), "\(removed)")
            #expect((Int(read("removed.seconds").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 99) < 30)
            let reinstalled = read("reinstalled.out")
            #expect(reinstalled.contains("installing the toolchain with apt-get: clang-\(llvm)\n"), "\(reinstalled)")
            #expect(
                reinstalled.contains("toolchain: compiler /usr/bin/clang-\(llvm) (clang \(llvm))"), "\(reinstalled)")
            #expect(status("reinstalled") == (staged ? "0" : "1"), "\(reinstalled)")
        }
    }
}
