import FoundationEssentials

/// Where a setting's value came from, as `picolayer config` shows it.
public enum SettingSource: Sendable, Equatable, CustomStringConvertible {
    case flag(String)
    case environment(String)
    case file(String)
    case builtIn

    public var description: String {
        switch self {
        case .flag(let name): return name
        case .environment(let name): return name
        case .file(let location): return location
        case .builtIn: return "default"
        }
    }
}

/// A setting's value and where it came from.
public struct Resolved<Value: Sendable & Equatable>: Sendable, Equatable {
    public var value: Value
    public var source: SettingSource

    public init(_ value: Value, _ source: SettingSource) {
        self.value = value
        self.source = source
    }
}

/// Settings resolved in one order for every command and option: a flag, then the key's environment variables,
/// then picolayer.toml, then picolayer's default.
public struct ProjectSettings: Sendable {
    public var file: ProjectFile?
    public var environment: [String: String]

    public init(file: ProjectFile?, environment: [String: String]) {
        self.file = file
        self.environment = environment
    }

    /// The project file of the current folder (or `PICOLAYER_CONFIG`), read and checked.
    public static func current(environment: [String: String]) throws -> ProjectSettings {
        ProjectSettings(file: try ProjectFile.find(directory: ".", environment: environment), environment: environment)
    }

    /// The raw value for `key` below the flag: the environment (as a string), the file, the default.
    public func value(_ key: ProjectKey) -> Resolved<TOMLValue>? {
        for name in key.environmentNames {
            if let text = environment[name], !text.isEmpty { return Resolved(.string(text), .environment(name)) }
        }
        if let file, let entry = file.entry(key) {
            var value = entry.value
            if case .string = value, [.functionCode, .buildOutput].contains(key), let path = file.path(key) {
                value = .string(path)
            }
            return Resolved(value, .file("\(file.path):\(entry.line)"))
        }
        return key.defaultValue.map { Resolved($0, .builtIn) }
    }

    public func string(_ key: ProjectKey, flag: String?, _ flagName: String) -> Resolved<String>? {
        if let flag { return Resolved(flag, .flag(flagName)) }
        guard let found = value(key), case .string(let text) = found.value else { return nil }
        return Resolved(text, found.source)
    }

    public func integer(_ key: ProjectKey, flag: Int?, _ flagName: String) -> Resolved<Int>? {
        if let flag { return Resolved(flag, .flag(flagName)) }
        guard let found = value(key), case .integer(let number) = found.value else { return nil }
        return Resolved(number, found.source)
    }

    /// A flag that is only ever turned on: given, it wins; otherwise the file's value or the default.
    public func boolean(_ key: ProjectKey, flag: Bool, _ flagName: String) -> Resolved<Bool> {
        if flag { return Resolved(true, .flag(flagName)) }
        guard let found = value(key), case .boolean(let value) = found.value else { return Resolved(false, .builtIn) }
        return Resolved(value, found.source)
    }

    /// A repeatable flag: given at all, it replaces the file's list.
    public func strings(_ key: ProjectKey, flag: [String], _ flagName: String) -> Resolved<[String]>? {
        if !flag.isEmpty { return Resolved(flag, .flag(flagName)) }
        guard let found = value(key), case .array(let items) = found.value else { return nil }
        return Resolved(items.compactMap { if case .string(let text) = $0 { text } else { nil } }, found.source)
    }

    /// The function's variables from `[function.environment]`, then `overrides` (flags) per name.
    public func functionEnvironment(overrides: [String: String]) -> [String: String] {
        (file?.environment ?? [:]).merging(overrides) { _, flag in flag }
    }

    /// The region to hand to the AWS region chain as its flag: the flag, or the file's region when neither
    /// AWS_REGION nor AWS_DEFAULT_REGION is set (so the order stays flag, environment, file, profile).
    public func regionFlag(_ flag: String?) -> String? {
        if let flag { return flag }
        guard let found = value(.functionRegion), case .file = found.source, case .string(let region) = found.value
        else { return nil }
        return region
    }
}
