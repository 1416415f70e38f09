import FoundationEssentials

/// The architecture a layer was built for, read from the ELF header of its interpreter
/// (`picoLisp/bin/picolisp`, or the older `bin/picolisp`): what `publish` sends as CompatibleArchitectures and
/// what `verify` checks against when no `--arch` is given.
public enum LayerArchitecture {
    /// Why the architecture could not be read; `reason` completes "cannot tell the architecture of PATH: ".
    public struct Unknown: Error, Equatable, Sendable {
        public var path: String
        public var reason: String
    }

    /// The architecture of the layer folder or zip at `path`.
    public static func of(layerAt path: String) throws(Unknown) -> Architecture {
        var isDirectory = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw Unknown(path: path, reason: "it does not exist")
        }
        return isDirectory ? try of(folder: path) : try of(zip: path)
    }

    /// The architecture of the interpreter in a layer zip (read from the zip, nothing unpacked).
    public static func of(zip path: String) throws(Unknown) -> Architecture {
        let reader: ZipReader
        do {
            reader = try ZipReader(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw Unknown(path: path, reason: ErrorText.describe(error))
        }
        guard let entry = LayerLayout.interpreterPaths.lazy.compactMap({ reader.entry(named: $0) }).first else {
            throw Unknown(path: path, reason: "it has no \(LayerLayout.interpreterPaths.joined(separator: " or "))")
        }
        let bytes: [UInt8]
        do {
            bytes = try reader.contents(of: entry)
        } catch {
            throw Unknown(path: path, reason: ErrorText.describe(error))
        }
        return try architecture(ofHeader: Array(bytes.prefix(ELFFile.Header.size64)), named: entry.path, in: path)
    }

    /// The architecture of the interpreter in a layer folder; a link is not followed (it may leave the layer).
    public static func of(folder path: String) throws(Unknown) -> Architecture {
        let found = LayerLayout.interpreterPaths.first { name in
            let type = try? FileManager.default.attributesOfItem(atPath: PathText.join(path, name))[.type]
            return type as? FileAttributeType == .typeRegular
        }
        guard let name = found else {
            throw Unknown(
                path: path,
                reason: "it has no regular file \(LayerLayout.interpreterPaths.joined(separator: " or "))")
        }
        let header: [UInt8]
        do {
            header = try OpenFile.reading(PathText.join(path, name)).read(upTo: ELFFile.Header.size64)
        } catch {
            throw Unknown(path: path, reason: ErrorText.describe(error))
        }
        return try architecture(ofHeader: header, named: name, in: path)
    }

    static func architecture(ofHeader header: [UInt8], named name: String, in path: String) throws(Unknown)
        -> Architecture
    {
        guard let architecture = Architecture(elfHeader: header) else {
            throw Unknown(path: path, reason: "\(name) is not an x86_64 or aarch64 ELF executable")
        }
        return architecture
    }
}
