import FoundationEssentials

/// Why a zip could not be written or read. Each message names the path involved and what to do next.
public enum ZipError: LocalizedError, Equatable {
    case directoryMissing(String)
    case notADirectory(String)
    case unreadable(path: String, reason: String)
    case unsupportedFileType(path: String, type: String)
    case nameNotUTF8(path: String)
    case sizeChanged(path: String, expected: UInt64, actual: UInt64)
    case contentChanged(path: String)
    case outputFolderMissing(String)
    case outputNotWritable(path: String, reason: String)
    case writeFailed(path: String, reason: String)
    case compressionFailed(String)
    case invalidLevel(Int)
    case notAZip(path: String, reason: String)
    case entryNotFound(String)
    /// A zip picolayer did not write breaks the format in a way no honest writer does (sizes or offsets outside
    /// the file, overlapping entries, a stream longer than declared): corrupt or built to attack the reader.
    case hostile(path: String, entry: String?, reason: String)
    /// A zip (or one entry) over what picolayer unpacks or reads.
    case overLimit(path: String, entry: String?, what: String, limit: UInt64)
    /// A `.picolayerignore` that is a link, a folder or another non-regular file.
    case ignoreFileNotRegular(path: String, type: String)
    case ignoreFileTooLarge(path: String, size: UInt64, limit: Int)
    case ignoreFileNotUTF8(path: String, line: Int)
    /// `source` is the rules file, `--exclude` or `--include` (then `line` counts that option's occurrences).
    case ignorePatternTooLong(source: String, line: Int, length: Int, limit: Int)

    public var errorDescription: String? {
        switch self {
        case .directoryMissing(let path):
            return "\(path) does not exist. Run `picolayer build` to stage the layer there, or name the folder to zip."
        case .notADirectory(let path):
            return "\(path) is not a folder. Name the staged layer folder to zip (default: build/layer)."
        case .unreadable(let path, let reason):
            return "cannot read \(path): \(reason). Make it readable (chmod a+r) or remove it from the tree."
        case .unsupportedFileType(let path, let type):
            return "\(path) is a \(type); a layer can hold only files, folders and symbolic links. Remove it."
        case .nameNotUTF8(let path):
            return "the name of an entry in \(path) is not valid UTF-8. Rename it: Lambda expects UTF-8 names."
        case .sizeChanged(let path, let expected, let actual):
            return "\(path) changed size while being zipped (\(expected) bytes, then \(actual)). "
                + "Stop whatever is writing to it and run the command again."
        case .contentChanged(let path):
            return "\(path) changed while being zipped. Stop whatever is writing to it and run the command again."
        case .outputFolderMissing(let path):
            return "the output folder \(path) does not exist. Create it or choose another path with -o."
        case .outputNotWritable(let path, let reason):
            return "cannot write the zip in \(path): \(reason). Choose a writable folder with -o."
        case .writeFailed(let path, let reason):
            return "writing \(path) failed: \(reason). Check free disk space and permissions, then run again."
        case .compressionFailed(let detail):
            return "zlib failed: \(detail). This is a bug in picolayer or a broken zlib; please report it."
        case .invalidLevel(let level):
            return "compression level \(level) is out of range. Use a level from 0 (store) to 9 (smallest)."
        case .notAZip(let path, let reason):
            return "\(path) is not a readable zip file (\(reason)). Run `picolayer package` to write it again."
        case .entryNotFound(let name):
            return "the zip has no entry named \(name)."
        case .hostile(let path, let entry, let reason):
            return "\(path) is corrupt or hostile: \(entry.map { "entry \($0): " } ?? "")\(reason). Do not deploy it; "
                + "write the zip again with `picolayer package`, or ask whoever made it for a new one."
        case .overLimit(let path, let entry, let what, let limit):
            return "\(path): \(entry.map { "entry \($0): " } ?? "")\(what), over picolayer's limit of \(limit). "
                + "A Lambda layer cannot be that large; if this zip is yours, rebuild it with `picolayer build` and "
                + "`picolayer package`, otherwise do not use it."
        case .ignoreFileNotRegular(let path, let type):
            return "\(path) is a \(type); picolayer reads ignore rules only from a regular file. "
                + "Replace it with a regular file of gitignore patterns, or remove it."
        case .ignoreFileTooLarge(let path, let size, let limit):
            return "\(path) is \(size) bytes; an ignore file may hold at most \(limit) bytes. Shorten it: a pattern "
                + "such as `data/` leaves out a whole folder."
        case .ignoreFileNotUTF8(let path, let line):
            return "\(path) line \(line) is not valid UTF-8. Save the file as UTF-8."
        case .ignorePatternTooLong(let source, let line, let length, let limit):
            return "\(source) line \(line): the pattern is \(length) bytes, over the limit of \(limit). "
                + "Shorten it; `*` and `**` match long names and paths."
        }
    }
}
