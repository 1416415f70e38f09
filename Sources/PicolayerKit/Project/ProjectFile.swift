import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A project's `picolayer.toml`: its layer, function and build settings, checked when read. Unknown tables and
/// keys, values of the wrong type and values out of Lambda's ranges are errors naming the file and line.
public struct ProjectFile: Sendable {
    public static let fileName = "picolayer.toml"

    /// The file as given (relative paths in it are read against its folder).
    public var path: String
    public var document: TOMLDocument

    /// The folder holding the file.
    public var folder: String {
        let parent = PathText.parent(path)
        return parent.isEmpty ? "." : parent
    }

    /// `PICOLAYER_CONFIG` when set, else `picolayer.toml` in `directory` when it exists; nil when there is none.
    public static func find(directory: String, environment: [String: String]) throws -> ProjectFile? {
        if let given = environment["PICOLAYER_CONFIG"], !given.isEmpty { return try load(path: given) }
        let path = PathText.join(directory, fileName)
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return try load(path: path == "./" + fileName ? fileName : path)
    }

    public static func load(path: String) throws -> ProjectFile {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw TOMLError(file: path, line: 1, reason: "cannot be read: \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw TOMLError(file: path, line: 1, reason: "is not a regular file")
        }
        let text: String
        do {
            let file = try OpenFile.reading(path)
            defer { file.close() }
            let bytes = try file.read(upTo: TOMLReader.maxBytes + 1)
            guard let decoded = String(validating: bytes, as: UTF8.self) else {
                throw TOMLError(file: path, line: 1, reason: "the file is not UTF-8 text")
            }
            text = decoded
        } catch let error as TOMLError {
            throw error
        } catch {
            throw TOMLError(file: path, line: 1, reason: "cannot be read: \(ErrorText.describe(error))")
        }
        let project = ProjectFile(path: path, document: try TOMLReader.parse(text, file: path))
        try project.check()
        return project
    }

    public init(path: String, document: TOMLDocument) {
        self.path = path
        self.document = document
    }

    // MARK: Checks

    func check() throws(TOMLError) {
        for (table, line) in document.tables.sorted(by: { $0.value < $1.value })
        where !ProjectKey.tables.contains(table) {
            throw TOMLError(
                file: path, line: line, reason: "unknown table [\(table)]\(Self.suggestion(table, ProjectKey.tables))")
        }
        let known = ProjectKey.allCases.map(\.rawValue)
        for (name, entry) in document.entries.sorted(by: { $0.value.line < $1.value.line }) {
            if name.hasPrefix(ProjectKey.environmentTable + ".") {
                guard case .string = entry.value else {
                    throw TOMLError(
                        file: path, line: entry.line,
                        reason: "\(name) is \(entry.value.kind); a variable's value is a string (quote it)")
                }
                continue
            }
            guard let key = ProjectKey(rawValue: name) else {
                throw TOMLError(
                    file: path, line: entry.line, reason: "unknown key \(name)\(Self.suggestion(name, known))")
            }
            try checkType(key, entry)
            try checkRange(key, entry)
        }
    }

    private func checkType(_ key: ProjectKey, _ entry: TOMLEntry) throws(TOMLError) {
        let fits: Bool
        switch (key.kind, entry.value) {
        case (.string, .string), (.integer, .integer), (.boolean, .boolean): fits = true
        case (.strings, .array(let items)): fits = items.allSatisfy { if case .string = $0 { true } else { false } }
        default: fits = false
        }
        guard fits else {
            throw TOMLError(
                file: path, line: entry.line,
                reason: "\(key.rawValue) must be \(key.kind.name), not \(entry.value.kind)")
        }
    }

    private func checkRange(_ key: ProjectKey, _ entry: TOMLEntry) throws(TOMLError) {
        func refuse(_ reason: String) -> TOMLError { TOMLError(file: path, line: entry.line, reason: reason) }
        switch (key, entry.value) {
        case (.functionMemory, .integer(let value)) where !LambdaLimits.memoryMegabytes.contains(value):
            let range = LambdaLimits.memoryMegabytes
            throw refuse("function.memory is \(value); Lambda accepts \(range.lowerBound) to \(range.upperBound) MB")
        case (.functionTimeout, .integer(let value)) where !LambdaLimits.timeoutSeconds.contains(value):
            let range = LambdaLimits.timeoutSeconds
            throw refuse(
                "function.timeout is \(value); Lambda accepts \(range.lowerBound) to \(range.upperBound) seconds")
        case (.functionArchitecture, .string(let value)), (.buildArchitecture, .string(let value)):
            if Architecture(rawValue: value) == nil { throw refuse("\(key.rawValue) is x86_64 or arm64, not \(value)") }
        case (.buildTarget, .string(let value)):
            if LambdaTarget(rawValue: value) == nil {
                throw refuse("build.target is provided.al2023 or provided.al2, not \(value)")
            }
        default:
            break
        }
    }

    /// `; did you mean x?` for the nearest known name within two edits, else nothing.
    static func suggestion(_ name: String, _ known: [String]) -> String {
        let last = name.split(separator: ".").last.map(String.init) ?? name
        let scored = known.map { candidate -> (String, Int) in
            let candidateLast = candidate.split(separator: ".").last.map(String.init) ?? candidate
            return (
                candidate,
                min(
                    Suggestion.editDistance(String(name.prefix(200)), candidate),
                    Suggestion.editDistance(String(last.prefix(200)), candidateLast))
            )
        }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= 2 else {
            return " (known: \(known.joined(separator: ", ")))"
        }
        return "; did you mean \(best.0)?"
    }

    // MARK: Values

    public func entry(_ key: ProjectKey) -> TOMLEntry? { document.entries[key.rawValue] }

    public func string(_ key: ProjectKey) -> String? {
        if case .string(let value)? = entry(key)?.value { return value }
        return nil
    }

    public func integer(_ key: ProjectKey) -> Int? {
        if case .integer(let value)? = entry(key)?.value { return value }
        return nil
    }

    public func boolean(_ key: ProjectKey) -> Bool? {
        if case .boolean(let value)? = entry(key)?.value { return value }
        return nil
    }

    public func strings(_ key: ProjectKey) -> [String]? {
        guard case .array(let items)? = entry(key)?.value else { return nil }
        return items.compactMap { if case .string(let text) = $0 { text } else { nil } }
    }

    /// A path setting read against the file's folder (absolute paths stay as they are).
    public func path(_ key: ProjectKey) -> String? {
        guard let value = string(key) else { return nil }
        if value.hasPrefix("/") || folder == "." { return value }
        return PathText.join(folder, value)
    }

    /// `[function.environment]`: the function's variables.
    public var environment: [String: String] {
        var variables: [String: String] = [:]
        let prefix = ProjectKey.environmentTable + "."
        for (name, entry) in document.entries where name.hasPrefix(prefix) {
            if case .string(let value) = entry.value { variables[String(name.dropFirst(prefix.count))] = value }
        }
        return variables
    }

    /// Where `key` is set: `picolayer.toml:7`.
    public func location(_ key: ProjectKey) -> String? { entry(key).map { "\(path):\($0.line)" } }
}
