import FoundationEssentials
import Synchronization

/// The scratch folders `verify` has made and not yet removed, so that SIGINT or SIGTERM can remove them too.
public enum ScratchFolders {
    private static let live = Mutex<Set<String>>([])

    static func register(_ url: URL) {
        _ = live.withLock { $0.insert(url.path) }
    }

    /// Removes one scratch folder and forgets it.
    static func remove(_ url: URL) {
        try? FileManager.default.removeItem(at: url)
        _ = live.withLock { $0.remove(url.path) }
    }

    /// Removes every scratch folder still there (a writer may still add files, so each removal is tried thrice).
    public static func removeAll() {
        let paths = live.withLock { folders in
            defer { folders.removeAll() }
            return folders
        }
        for path in paths {
            for _ in 0..<3 where FileManager.default.fileExists(atPath: path) {
                try? FileManager.default.removeItem(atPath: path)
            }
        }
    }
}
