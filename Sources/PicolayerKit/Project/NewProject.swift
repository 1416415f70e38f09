import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why `picolayer new` made nothing.
public enum NewProjectError: Error, LocalizedError, Equatable {
    case invalidName(String)
    case exists(String)
    case writeFailed(path: String, reason: String)

    public var errorDescription: String? {
        switch self {
        case .invalidName(let name):
            return "\(name.debugDescription) cannot name a function: use 1 to 64 letters, digits, - and _."
        case .exists(let path):
            return "\(path) already exists; picolayer new never writes into an existing folder. Pick another name."
        case .writeFailed(let path, let reason):
            return "could not write \(path): \(reason). Nothing was left behind."
        }
    }
}

/// A new function project: the files of a template, written into a fresh folder in one step.
public struct NewProject: Sendable {
    public var name: String
    public var template: ProjectTemplate
    public var role: String?

    public init(name: String, template: ProjectTemplate = .hello, role: String? = nil) throws(NewProjectError) {
        guard Self.isValidName(name) else { throw .invalidName(name) }
        self.name = name
        self.template = template
        self.role = role
    }

    /// Lambda's function names: `[a-zA-Z0-9-_]{1,64}`.
    public static func isValidName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count)
            && name.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                    || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-")
                    || byte == UInt8(ascii: "_")
            }
    }

    /// Every file, by its path in the project.
    public var files: [(path: String, text: String)] {
        [
            ("main.l", template.handler),
            (ProjectFile.fileName, template.projectFile(name: name, role: role)),
            (".picolayerignore", ProjectTemplate.ignoreFile),
            ("README.md", template.readme(name: name)),
            (".github/workflows/deploy.yml", template.workflow(name: name)),
        ] + SampleEvents.all.map { ($0.name, $0.json) } + template.testCases.map { ("tests/" + $0.0, $0.1) }
    }

    /// Writes the project to `parent/name` and returns that path. The files go into a hidden sibling folder
    /// first, renamed into place when all are written: an error or a signal leaves nothing half-made.
    public func write(into parent: String) throws(NewProjectError) -> String {
        let target = PathText.join(parent, name)
        var info = stat()
        if lstat(target, &info) == 0 { throw .exists(target) }
        let staging = PathText.join(parent, ".\(name).picolayer-new-\(getpid())")
        guard TemporaryPaths.shared.creating({ mkdir(staging, 0o755) == 0 ? staging : nil }) != nil else {
            throw .writeFailed(path: staging, reason: String(cString: strerror(errno)))
        }
        defer {
            try? FileManager.default.removeItem(atPath: staging)
            TemporaryPaths.shared.unregister(staging)
        }
        for (path, text) in files {
            let full = PathText.join(staging, path)
            do {
                try FileManager.default.createDirectory(
                    atPath: PathText.parent(full), withIntermediateDirectories: true)
                let file = try OpenFile.writing(full)
                try file.write(Array(text.utf8))
                file.close()
            } catch {
                throw .writeFailed(path: PathText.join(target, path), reason: ErrorText.describe(error))
            }
        }
        // rename(2) never replaces a folder that has anything in it (ENOTEMPTY), nor a file (ENOTDIR): one made at
        // the same path meanwhile is kept, at most an empty folder is replaced.
        guard rename(staging, target) == 0 else {
            let reason = String(cString: strerror(errno))
            if [EEXIST, ENOTEMPTY, ENOTDIR].contains(errno) { throw .exists(target) }
            throw .writeFailed(path: target, reason: reason)
        }
        return target
    }
}
