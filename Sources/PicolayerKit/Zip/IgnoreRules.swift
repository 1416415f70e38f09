import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// `--exclude` and `--include` as given: gitignore patterns applied after the tree's `.picolayerignore`.
public struct IgnoreOptions: Sendable, Equatable {
    /// Patterns to leave out, each added as it is.
    public var exclude: [String]
    /// Patterns to put back in, each added as a `!` rule after every `exclude`.
    public var include: [String]

    public init(exclude: [String] = [], include: [String] = []) {
        self.exclude = exclude
        self.include = include
    }

    public var isEmpty: Bool { exclude.isEmpty && include.isEmpty }
}

/// Gitignore-syntax rules that leave paths out of a zip; the last rule that matches a path decides, and a path
/// inside an ignored folder stays ignored whatever later rules say (gitignore: "it is not possible to re-include
/// a file if a parent directory of that file is excluded").
public struct IgnoreRules: Sendable, Equatable {
    /// The rules file read at the root of a zipped folder.
    public static let fileName = ".picolayerignore"
    /// The largest rules file read; a larger one is refused, not cut.
    public static let maxFileBytes = 1 << 20
    /// The longest pattern, in UTF-8 bytes.
    public static let maxPatternBytes = 4096

    /// What never belongs in a function's zip unless re-included: version control, secrets, editors' backups and
    /// scratch files, macOS's folder metadata, and picolayer's own configuration (docs/deploy.md says why).
    /// Emacs's `#*#` is written `\#*#`: a line that starts with `#` is a comment.
    public static let defaultPatterns = [
        ".git/", ".hg/", ".svn/", ".env", ".env.*", "*~", "*.bak", "*.swp", "*.swo", ".#*", "\\#*#", ".DS_Store",
        "picolayer.toml", fileName,
    ]
    static let defaultsSource = "picolayer's default rules"

    public private(set) var patterns: [IgnorePattern] = []

    /// No rules: nothing is ignored.
    public init() {}

    /// picolayer's defaults, then `root/.picolayerignore` when there is one, then `options` (every `exclude`,
    /// then every `include` as a `!` rule).
    public static func forTree(root: URL, options: IgnoreOptions = IgnoreOptions()) throws(ZipError) -> IgnoreRules {
        var rules = IgnoreRules()
        for (index, pattern) in defaultPatterns.enumerated() {
            try rules.add(pattern, source: defaultsSource, line: index + 1)
        }
        let file = PathText.join(root.standardizedFileURL.path, fileName)
        if let contents = try readRulesFile(file) { try rules.add(contents: contents, source: file) }
        for (index, pattern) in options.exclude.enumerated() {
            try rules.add(pattern, source: "--exclude", line: index + 1)
        }
        for (index, pattern) in options.include.enumerated() {
            try rules.add("!" + pattern, source: "--include", line: index + 1)
        }
        return rules
    }

    /// Adds every line of a rules file (blank lines and `#` comments add nothing). `source` names it in errors.
    public mutating func add(contents: [UInt8], source: String) throws(ZipError) {
        guard contents.count <= Self.maxFileBytes else {
            throw .ignoreFileTooLarge(path: source, size: UInt64(contents.count), limit: Self.maxFileBytes)
        }
        for (index, bytes) in contents.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            .enumerated()
        {
            guard let line = String(validating: bytes, as: UTF8.self) else {
                throw .ignoreFileNotUTF8(path: source, line: index + 1)
            }
            try add(line, source: source, line: index + 1)
        }
    }

    /// Adds one line of gitignore syntax; `source` and `line` name it in errors.
    public mutating func add(_ line: String, source: String, line number: Int) throws(ZipError) {
        guard line.utf8.count <= Self.maxPatternBytes else {
            throw .ignorePatternTooLong(
                source: source, line: number, length: line.utf8.count, limit: Self.maxPatternBytes)
        }
        if let pattern = IgnorePattern(line: line) { patterns.append(pattern) }
    }

    /// Whether `path` (`/`-separated, relative to the root) is left out: itself, or a folder above it.
    public func isIgnored(_ path: String, isDirectory: Bool) -> Bool {
        let names = path.split(separator: "/").map { Array($0.unicodeScalars) }
        for depth in names.indices {
            let isLast = depth == names.count - 1
            if ignores(Array(names[...depth]), isDirectory: isLast ? isDirectory : true) { return true }
        }
        return false
    }

    /// Whether the last rule that matches this path itself ignores it (the folders above it are not looked at:
    /// `TreeScanner` never descends into an ignored folder).
    func ignores(_ names: [[Unicode.Scalar]], isDirectory: Bool) -> Bool {
        guard let decisive = patterns.last(where: { $0.matches(names, isDirectory: isDirectory) }) else {
            return false
        }
        return !decisive.negated
    }

    /// The bytes of a rules file, nil when there is none. Anything but a regular file is refused (the file comes
    /// with the code, so it is treated as hostile): a link, a folder, a pipe; so is one over `maxFileBytes`.
    static func readRulesFile(_ path: String) throws(ZipError) -> [UInt8]? {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            // No file, or no folder to hold one: the scan that follows says what is wrong with the folder.
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw .unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw .ignoreFileNotRegular(path: path, type: TreeScanner.typeName(info.st_mode))
        }
        // O_NOFOLLOW and O_NONBLOCK: what was swapped in since the lstat is refused, or read without hanging.
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw .ignoreFileNotRegular(path: path, type: TreeScanner.typeName(info.st_mode))
        }
        guard info.st_size <= maxFileBytes else {
            throw .ignoreFileTooLarge(path: path, size: UInt64(info.st_size), limit: maxFileBytes)
        }
        // One byte more than the limit, to notice a file that grew since the fstat.
        var bytes = [UInt8](repeating: 0, count: maxFileBytes + 1)
        var filled = 0
        while filled < bytes.count {
            let got = bytes.withUnsafeMutableBytes { buffer in
                read(descriptor, buffer.baseAddress.map { $0 + filled }, buffer.count - filled)
            }
            if got < 0 && errno == EINTR { continue }
            guard got >= 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
            if got == 0 { break }
            filled += got
        }
        bytes.removeLast(bytes.count - filled)
        return bytes
    }
}
