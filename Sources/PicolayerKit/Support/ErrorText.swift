import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// The words picolayer prints for an error. `Error.localizedDescription` is Foundation's (it bridges through
/// NSError, which links all of Foundation and its ICU data into the binary), so the kit words errors itself:
/// its own errors by their `errorDescription`, system errors by the system's message.
public enum ErrorText {
    public static func describe(_ error: any Error) -> String {
        if let file = error as? FileError { return file.errorDescription ?? "\(file)" }
        if let posix = error as? POSIXError { return String(cString: strerror(posix.code.rawValue)) }
        if let cocoa = error as? CocoaError { return describe(cocoa) }
        if let localized = error as? any LocalizedError, let text = localized.errorDescription { return text }
        return String(describing: error)
    }

    /// A FileManager error: what went wrong, and the path when there is one.
    public static func describe(_ cocoa: CocoaError) -> String {
        let path = cocoa.filePath.map { " at \($0)" } ?? ""
        switch cocoa.code {
        case .fileNoSuchFile, .fileReadNoSuchFile: return "no such file or folder" + path
        case .fileWriteOutOfSpace: return "no space left on device" + path
        case .fileReadNoPermission, .fileWriteNoPermission: return "permission denied" + path
        case .fileWriteFileExists: return "something already exists" + path
        default:
            if let posix = cocoa.underlying as? POSIXError {
                return String(cString: strerror(posix.code.rawValue)) + path
            }
            return "file error \(cocoa.code.rawValue)" + path
        }
    }
}
