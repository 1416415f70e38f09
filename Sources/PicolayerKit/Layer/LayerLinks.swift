import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Symbolic links in a layer, judged as Lambda resolves them: the layer is `/opt`, so `/opt/...` targets stay
/// inside it and every other absolute target names the image's own file system.
enum LayerLinks {
    /// Where Lambda unpacks layers.
    static let mountPoint = "/opt"
    /// Folders of the target image where its system libraries live.
    static let systemLibraryFolders: Set<String> = ["/usr/lib64", "/lib64"]

    /// Whether a link at `link` (relative to the layer's root) with `target` points outside the layer.
    static func leavesLayer(link: String, target: String) -> Bool {
        if target == mountPoint { return false }
        if target.hasPrefix(mountPoint + "/") {
            return TreeScanner.pointsOutside(link: "x", target: String(target.dropFirst(mountPoint.count + 1)))
        }
        return TreeScanner.pointsOutside(link: link, target: target)
    }

    /// The one shape of link allowed to leave the layer: `lib/NAME -> /usr/lib64/SONAME` (or /lib64), directly
    /// in the layer's top-level `lib/`, naming a library the target image ships (for programs that `dlopen` an
    /// unversioned name such as `libcrypto.so`).
    static func isSystemLibraryLink(link: String, target: String, systemLibraries: Set<String>) -> Bool {
        let parts = link.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0] == Substring(LayerLayout.libraryFolder), target.hasPrefix("/") else {
            return false
        }
        let folder = PathText.parent(target)
        let name = PathText.lastComponent(target)
        return systemLibraryFolders.contains(folder) && systemLibraries.contains(name)
            && !target.split(separator: "/").contains("..")
    }

    enum Resolution: Equatable {
        /// The path inside the layer it resolves to (it may not exist).
        case inside(String)
        /// A link on the way points outside the layer.
        case outside(link: String, target: String)
        /// Too many links (a loop).
        case loop
    }

    /// Follows `relative` through the layer's links without leaving it: only paths below `root` are looked at.
    static func resolve(_ relative: String, in root: URL) -> Resolution {
        var pending = relative.split(separator: "/").map(String.init)
        var resolved: [String] = []
        var hops = 0
        while !pending.isEmpty {
            let part = pending.removeFirst()
            if part == "." { continue }
            if part == ".." {
                if resolved.isEmpty { return .outside(link: relative, target: "..") }
                resolved.removeLast()
                continue
            }
            let candidate = resolved + [part]
            let path = root.path + "/" + candidate.joined(separator: "/")
            var info = stat()
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFLNK else {
                resolved = candidate
                continue
            }
            hops += 1
            guard hops <= 40, let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) else {
                return .loop
            }
            let link = candidate.joined(separator: "/")
            if target == mountPoint || target.hasPrefix(mountPoint + "/") {
                resolved = []
                pending = target.dropFirst(mountPoint.count).split(separator: "/").map(String.init) + pending
            } else if target.hasPrefix("/") {
                return .outside(link: link, target: target)
            } else {
                pending = target.split(separator: "/").map(String.init) + pending
            }
        }
        return .inside(resolved.joined(separator: "/"))
    }
}
