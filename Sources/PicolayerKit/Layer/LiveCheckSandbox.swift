import FoundationEssentials

/// Bubblewrap (`bwrap`) settings for running a layer's bootstrap during `verify`'s live check.
///
/// Inside: `/` bound read-only, a fresh `/dev`, `/proc` and `/tmp` (tmpfs), the scratch copies of the layer and
/// of the task root bound read-only (Lambda's `/opt` and `/var/task` are read-only too), every namespace but the
/// network one new, all capabilities dropped, and the sandbox dies with the emulator. Only the network is shared,
/// because the runtime talks to the emulator's Runtime API on 127.0.0.1.
struct LiveCheckSandbox: Sendable, Equatable {
    let executable: String

    static let unavailableNotice =
        "verify: the live check runs the layer's bootstrap without a sandbox (bubblewrap `bwrap` is missing or "
        + "cannot create namespaces here); it still runs on a private scratch copy of the layer"

    /// `bwrap` from PATH when it can start a sandbox on this machine; nil otherwise.
    static func detect(environment: [String: String] = ProcessInfo.processInfo.environment) -> LiveCheckSandbox? {
        guard let path = ProcessRunner.locate("bwrap", environment: environment) else { return nil }
        let sandbox = LiveCheckSandbox(executable: path)
        return sandbox.works() ? sandbox : nil
    }

    /// The options around a command, as an argv.
    func arguments(layer: String, taskRoot: String) -> [String] {
        [
            executable, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
            "--ro-bind", layer, layer, "--ro-bind", taskRoot, taskRoot, "--unshare-all", "--share-net",
            "--die-with-parent", "--cap-drop", "ALL", "--",
        ]
    }

    /// A `bootstrap` for the task root that starts the layer's bootstrap inside the sandbox.
    func wrapperScript(layer: String, taskRoot: String) -> String {
        let argv = arguments(layer: layer, taskRoot: taskRoot) + [layer + "/bootstrap"]
        return "#!/bin/sh\n# picolayer verify: the layer's bootstrap, confined by bubblewrap.\nexec "
            + argv.map(Self.quoted).joined(separator: " ") + "\n"
    }

    static func quoted(_ word: String) -> String {
        "'" + word.replacing("'", with: "'\\''") + "'"
    }

    /// Whether a sandbox starts here (containers often forbid namespaces).
    func works() -> Bool {
        let scratch = FileManager.default.temporaryDirectory.path
        let request = Spawn.Request(
            executable: executable,
            arguments: Array(arguments(layer: scratch, taskRoot: scratch).dropFirst()) + ["/bin/true"],
            environment: ProcessInfo.processInfo.environment)
        guard case .success(let pid) = Spawn.start(request) else { return false }
        return Spawn.blockingWait(pid).status == .exited(0)
    }
}
