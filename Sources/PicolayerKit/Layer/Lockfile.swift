import FoundationEssentials

/// `picolayer.lock`: the SHA-256 of every downloaded source, recorded on first use and checked on every build.
///
/// The format is that of `sha256sum`, so the file can be checked by hand:
///
///     # picolayer.lock: SHA-256 of every downloaded source. Commit it; see docs/build.md.
///     4a5f...e1  https://software-lab.de/pil21.tgz
///
/// One line per URL, sorted by URL; `#` starts a comment line; blank lines are ignored.
public struct Lockfile: Sendable, Equatable {
    public static let fileName = "picolayer.lock"
    static let header = "# picolayer.lock: SHA-256 of every downloaded source. Commit it; see docs/build.md."

    /// SHA-256 (lowercase hex) by URL.
    public var hashes: [String: String]

    public init(hashes: [String: String] = [:]) {
        self.hashes = hashes
    }

    public init(text: String, path: String) throws {
        var hashes: [String: String] = [:]
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            let parts = line.split(separator: " ", maxSplits: 1).map { $0.trimmingWhitespace() }
            guard parts.count == 2, Self.isHash(parts[0]), !parts[1].isEmpty else {
                throw BuildError.badLockFile(path: path, line: index + 1, text: line)
            }
            hashes[parts[1]] = parts[0]
        }
        self.hashes = hashes
    }

    /// Reads the lock file at `url`; an absent file is an empty lock.
    public static func load(from url: URL) throws -> Lockfile {
        guard FileManager.default.fileExists(atPath: url.path) else { return Lockfile() }
        return try Lockfile(text: String(decoding: try Data(contentsOf: url), as: UTF8.self), path: url.path)
    }

    public var text: String {
        var lines = [Self.header]
        for url in hashes.keys.sorted() {
            if let hash = hashes[url] { lines.append("\(hash)  \(url)") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes atomically (temporary file, then rename) so that a crash never leaves half a lock file.
    public func write(to url: URL) throws {
        try Data(text.utf8).write(to: url, options: .atomic)
    }

    static func isHash(_ text: String) -> Bool {
        text.count == 64 && text.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }
}
