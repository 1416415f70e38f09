import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What the emulator reads from `/proc` about the processes of a runtime.
enum ProcessTree {
    /// How many times `killSession` looks again for processes that were forked while it was killing.
    private static let killRounds = 20

    /// SIGKILL to every process in session `sid`, until a pass over `/proc` finds none (at most `killRounds`
    /// passes: a process that forks in a loop cannot keep it busy for ever). This process is never signalled.
    static func killSession(_ sid: pid_t) {
        let own = getpid()
        for _ in 0..<killRounds {
            let members = processes().filter { $0.session == sid && $0.pid != own && $0.state != "Z" }
            if members.isEmpty { return }
            for member in members { _ = kill(member.pid, SIGKILL) }
        }
    }

    /// `VmHWM` of `/proc/<process>/status` in kB (`self` for this process); nil if it cannot be read.
    static func highWaterKilobytes(of process: String) -> Int? {
        guard let text = read("/proc/\(process)/status", limit: 4096),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
        else { return nil }
        return Int(line.dropFirst("VmHWM:".count).filter(\.isNumber))
    }

    struct Entry: Equatable {
        let pid: pid_t
        let state: Character
        let session: pid_t
    }

    /// Every process whose `/proc/<pid>/stat` could be read.
    static func processes() -> [Entry] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return names.compactMap { name in
            guard let pid = pid_t(name), let text = read("/proc/\(name)/stat", limit: 1024) else { return nil }
            return entry(pid: pid, stat: text)
        }
    }

    /// Fields 3 (state) and 6 (session) of a stat line; the command name before them may hold spaces and
    /// parentheses, so the fields are counted from its last `)`.
    static func entry(pid: pid_t, stat: String) -> Entry? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 3, let state = fields[0].first, let session = pid_t(fields[3]) else { return nil }
        return Entry(pid: pid, state: state, session: session)
    }

    private static func read(_ path: String, limit: Int) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: limit)
        let count = Glibc.read(fd, &bytes, bytes.count)
        guard count > 0 else { return nil }
        return String(decoding: bytes[0..<count], as: UTF8.self)
    }
}
