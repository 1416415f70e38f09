import ArgumentParser

#if canImport(Glibc)
    import Glibc
#endif

/// `--env NAME=VALUE` values (repeatable) as a map: the value may be empty or hold `=`, the name may not be empty.
/// `invoke`, `serve` and `deploy` read their `--env` through this.
func environmentAssignments(_ items: [String]) throws -> [String: String] {
    var result: [String: String] = [:]
    for item in items {
        guard let equals = item.firstIndex(of: "="), equals != item.startIndex else {
            throw ValidationError("--env wants NAME=VALUE, not '\(item)'.")
        }
        result[String(item[..<equals])] = String(item[item.index(after: equals)...])
    }
    return result
}
