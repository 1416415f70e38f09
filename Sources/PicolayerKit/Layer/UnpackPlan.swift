import FoundationEssentials

/// The entries of a layer zip, their names checked before anything is written.
///
/// A name must be relative, `/`-separated, without empty, `.` or `..` parts, NUL, a part over 255 bytes or
/// over 3,072 bytes in all; no name may appear twice, and nothing may lie beneath a link or a file (a link
/// entry followed by an entry "through" it is how zips write outside the folder they are unpacked into).
struct UnpackPlan {
    private(set) var directories: [ZipReader.Entry] = []
    private(set) var files: [ZipReader.Entry] = []
    private(set) var links: [ZipReader.Entry] = []
    private var names: [String: String] = [:]
    private let path: String

    init(reader: ZipReader) throws {
        path = reader.path
        var kinds: [String: ZipReader.Entry.Kind] = [:]
        for entry in reader.entries {
            let name = try Self.checkedName(entry.path, zip: reader.path)
            guard kinds[name] == nil else {
                throw ZipError.hostile(
                    path: reader.path, entry: entry.path,
                    reason: "a second entry of that name would overwrite the first")
            }
            kinds[name] = entry.kind
            names[entry.path] = name
            switch entry.kind {
            case .directory: directories.append(entry)
            case .file: files.append(entry)
            case .symlink: links.append(entry)
            }
        }
        for (name, _) in kinds {
            var prefix = ""
            for part in name.split(separator: "/").dropLast() {
                prefix += (prefix.isEmpty ? "" : "/") + part
                if let kind = kinds[prefix], kind != .directory {
                    let what = kind == .symlink ? "the symbolic link" : "the file"
                    throw ZipError.hostile(
                        path: reader.path, entry: name,
                        reason: "it lies beneath \(what) \(prefix); unpacking it would write through that \(what)")
                }
            }
        }
    }

    /// The checked name of an entry, without a trailing slash.
    func name(of entry: ZipReader.Entry) -> String {
        names[entry.path] ?? entry.path
    }

    /// A link's target: at most 4 KiB, no NUL, not empty.
    func linkTarget(of entry: ZipReader.Entry, from reader: ZipReader) throws -> String {
        let bytes = try reader.contents(of: entry, limit: LayerZipUnpacker.maxLinkTarget)
        guard !bytes.isEmpty, !bytes.contains(0), let target = String(validating: bytes, as: UTF8.self) else {
            throw ZipError.hostile(
                path: path, entry: entry.path, reason: "its link target is empty, not UTF-8 or holds a NUL byte")
        }
        return target
    }

    /// The longest name unpacked (Linux's PATH_MAX is 4,096 with the scratch folder's path in front).
    static let maxNameBytes = 3072

    static func checkedName(_ stored: String, zip: String) throws -> String {
        let name = stored.hasSuffix("/") ? String(stored.dropLast()) : stored
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        let reason: String?
        if name.isEmpty || name.hasPrefix("/") {
            reason = "its name is empty or absolute"
        } else if parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) {
            reason = "its name has an empty, `.` or `..` part, which could point outside the layer"
        } else if name.utf8.contains(0) || parts.contains(where: { $0.utf8.count > 255 }) {
            reason = "its name holds a NUL byte or a part longer than 255 bytes"
        } else if name.utf8.count > maxNameBytes {
            reason = "its name is longer than \(maxNameBytes) bytes"
        } else {
            reason = nil
        }
        if let reason { throw ZipError.hostile(path: zip, entry: stored, reason: reason) }
        return name
    }
}
