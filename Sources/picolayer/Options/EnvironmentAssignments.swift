import ArgumentParser
import PicolayerKit

#if canImport(Glibc)
    import Glibc
#endif

/// `--env NAME=VALUE` values (repeatable) as a map: the value may be empty or hold `=`, the name may not be empty.
/// `invoke`, `serve` and `deploy` read their `--env` through this. A variable Lambda sets itself is refused here,
/// a usage error like a malformed one.
func environmentAssignments(_ items: [String]) throws -> [String: String] {
    var result: [String: String] = [:]
    for item in items {
        guard let equals = item.firstIndex(of: "="), equals != item.startIndex else {
            throw ValidationError("--env wants NAME=VALUE, not '\(item)'.")
        }
        let name = String(item[..<equals])
        if LambdaLimits.reservedVariables.contains(name) { throw ValidationError(LambdaLimits.reservedVariable(name)) }
        result[name] = String(item[item.index(after: equals)...])
    }
    return result
}
