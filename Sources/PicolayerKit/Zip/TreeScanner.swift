import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// One thing to put into a zip: a file, a folder or a symbolic link found in the tree.
public struct ZipSourceEntry: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case file(size: UInt64)
        case directory
        case symlink(target: String)
    }

    /// The path inside the zip, `/`-separated, relative to the tree's root, without a trailing slash.
    public let path: String
    /// The absolute path on disk.
    public let sourcePath: String
    public let kind: Kind
    /// Permission bits after normalisation: 0755 for folders and executables, 0644 for other files, 0777 for links.
    public let mode: UInt16

    /// The name as stored in the zip: folders end with a slash.
    public var zipName: String {
        if case .directory = kind { return path + "/" }
        return path
    }

    public init(path: String, sourcePath: String, kind: Kind, mode: UInt16) {
        self.path = path
        self.sourcePath = sourcePath
        self.kind = kind
        self.mode = mode
    }
}

/// The entries of a tree, sorted as they go into the zip, and what was noticed on the way.
public struct ZipSourceTree: Sendable {
    public var entries: [ZipSourceEntry]
    public var warnings: [String]

    /// A tree from entries already in zip order (as `TreeScanner.scan` returns them).
    public init(entries: [ZipSourceEntry], warnings: [String]) {
        self.entries = entries
        self.warnings = warnings
    }
}

/// Walks a folder without following symbolic links and lists what a reproducible zip of it holds.
public enum TreeScanner {
    /// Lists every file, folder and link below `root`, sorted by their names in the zip (byte order).
    ///
    /// - Parameters:
    ///   - excluding: absolute paths to leave out (the zip being written, when it lies inside the tree).
    ///   - rules: paths they ignore are left out, and an ignored folder is not descended into.
    public static func scan(
        root: URL, excluding: Set<String> = [], ignoring rules: IgnoreRules? = nil
    ) throws(ZipError) -> ZipSourceTree {
        let rootPath = root.standardizedFileURL.path
        var info = stat()
        guard lstat(rootPath, &info) == 0 else {
            if errno == ENOENT { throw ZipError.directoryMissing(rootPath) }
            throw ZipError.unreadable(path: rootPath, reason: String(cString: strerror(errno)))
        }
        // A root given as a link to a folder is followed: it names the tree. Links inside it are kept as links.
        guard stat(rootPath, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw ZipError.notADirectory(rootPath)
        }
        var tree = ZipSourceTree(entries: [], warnings: [])
        let walk = Walk(excluding: excluding, rules: rules)
        try walk.walk(directory: rootPath, relative: "", names: [], into: &tree)
        tree.entries.sort { Array($0.zipName.utf8).lexicographicallyPrecedes(Array($1.zipName.utf8)) }
        return tree
    }

    /// One scan's settings, so that the recursion passes only what changes.
    private struct Walk {
        let excluding: Set<String>
        let rules: IgnoreRules?

        /// Adds what is below `directory`; `names` are its path's names for the rules (empty without rules).
        func walk(
            directory: String, relative: String, names: [[Unicode.Scalar]], into tree: inout ZipSourceTree
        ) throws(ZipError) {
            for name in try TreeScanner.listDirectory(directory) {
                let sourcePath = directory + "/" + name
                if excluding.contains(sourcePath) { continue }
                let path = relative.isEmpty ? name : relative + "/" + name
                if ScratchNames.zipTemporaryPID(name) != nil {
                    tree.warnings.append(
                        "\(path) was left out: it is the temporary file of a picolayer run that was interrupted "
                            + "while writing a zip; delete it.")
                    continue
                }
                var info = stat()
                guard lstat(sourcePath, &info) == 0 else {
                    throw ZipError.unreadable(path: sourcePath, reason: String(cString: strerror(errno)))
                }
                let type = info.st_mode & S_IFMT
                var entryNames: [[Unicode.Scalar]] = []
                if let rules {
                    entryNames = names + [Array(name.unicodeScalars)]
                    if rules.ignores(entryNames, isDirectory: type == S_IFDIR) { continue }
                }
                if type == S_IFDIR {
                    tree.entries.append(
                        ZipSourceEntry(path: path, sourcePath: sourcePath, kind: .directory, mode: 0o755))
                    try walk(directory: sourcePath, relative: path, names: entryNames, into: &tree)
                } else {
                    tree.entries.append(try entry(path: path, sourcePath: sourcePath, info: info, into: &tree))
                }
            }
        }

        /// A file or a link (a folder is `walk`'s); anything else is refused.
        func entry(path: String, sourcePath: String, info: stat, into tree: inout ZipSourceTree) throws(ZipError)
            -> ZipSourceEntry
        {
            switch info.st_mode & S_IFMT {
            case S_IFREG:
                let executable = (info.st_mode & 0o111) != 0
                return ZipSourceEntry(
                    path: path, sourcePath: sourcePath, kind: .file(size: UInt64(info.st_size)),
                    mode: executable ? 0o755 : 0o644)
            case S_IFLNK:
                let target = try TreeScanner.readLink(sourcePath)
                if TreeScanner.pointsOutside(link: path, target: target) && !TreeScanner.isImageLibrary(target) {
                    tree.warnings.append(
                        "\(path) is a symbolic link to \(target), outside the layer; it is kept, but it resolves "
                            + "against the Lambda file system (/opt is the layer's root), not this tree.")
                }
                return ZipSourceEntry(path: path, sourcePath: sourcePath, kind: .symlink(target: target), mode: 0o777)
            default:
                throw ZipError.unsupportedFileType(path: sourcePath, type: TreeScanner.typeName(info.st_mode))
            }
        }
    }

    private static func listDirectory(_ path: String) throws(ZipError) -> [String] {
        guard let handle = opendir(path) else {
            throw ZipError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name: String? = withUnsafePointer(to: &entry.pointee.d_name) { tuple in
                tuple.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(validatingCString: $0) }
            }
            guard let name else { throw ZipError.nameNotUTF8(path: path) }
            if name == "." || name == ".." { continue }
            names.append(name)
        }
        return names
    }

    private static func readLink(_ path: String) throws(ZipError) -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count >= 0 else { throw ZipError.unreadable(path: path, reason: String(cString: strerror(errno))) }
        let bytes = buffer[0..<count].map { UInt8(bitPattern: $0) }
        guard let target = String(validating: bytes, as: UTF8.self) else { throw ZipError.nameNotUTF8(path: path) }
        return target
    }

    /// A link to a shared library of the Lambda image itself (`/lib64/...`, `/usr/lib64/...`), as a layer's
    /// `lib/libcrypto.so` is: it is meant to resolve on Lambda, so it is not warned about.
    static func isImageLibrary(_ target: String) -> Bool {
        (target.hasPrefix("/lib64/") || target.hasPrefix("/usr/lib64/")) && !target.contains("/..")
            && target.contains(".so")
    }

    /// Whether a link's target, read lexically from the link's folder, leaves the tree.
    static func pointsOutside(link: String, target: String) -> Bool {
        if target.hasPrefix("/") { return true }
        var depth = link.split(separator: "/").count - 1
        for component in target.split(separator: "/", omittingEmptySubsequences: true) {
            switch component {
            case ".": continue
            case "..":
                depth -= 1
                if depth < 0 { return true }
            default: depth += 1
            }
        }
        return false
    }

    /// What a file type is called in messages.
    static func typeName(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFLNK: return "symbolic link"
        case S_IFDIR: return "folder"
        case S_IFIFO: return "named pipe"
        case S_IFSOCK: return "socket"
        case S_IFCHR: return "character device"
        case S_IFBLK: return "block device"
        default: return "special file"
        }
    }
}
