import NIOHTTP1

/// The function an Invoke request names, read as Lambda reads it: the path's `FunctionName` is a name
/// (`my-function`), a name with a version or alias (`my-function:$LATEST`), a partial ARN
/// (`123456789012:function:my-function`) or a full ARN (`arn:aws:lambda:REGION:ACCOUNT:function:my-function:prod`);
/// the `Qualifier` query parameter names a version or alias too
/// (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html).
///
/// The emulator serves one version of each function, `$LATEST`, so any other qualifier is a function that does
/// not exist here, as Lambda answers for a version or alias that was never published.
struct InvokeTarget: Equatable {
    static let latest = "$LATEST"

    var name: String
    var qualifier: String?

    /// `functionName` percent-decoded already; `query` is the request's raw query string, if any.
    static func parse(functionName: String, query: String?) -> Result<InvokeTarget, InvokeAPIHandler.Refusal> {
        let parts = functionName.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        var name = functionName
        var derived: String?
        if let index = parts.firstIndex(of: "function"), index + 1 < parts.count, index == 1 || index == 5 {
            name = parts[index + 1]
            if index + 2 < parts.count { derived = parts[index + 2] }
            if index + 3 < parts.count { return .failure(invalid("\(functionName) is not a function name or ARN")) }
        } else if parts.count == 2 {
            (name, derived) = (parts[0], parts[1])
        } else if parts.count > 2 {
            return .failure(invalid("\(functionName) is not a function name or ARN"))
        }
        let given = FunctionURL.queryPairs(query ?? "").first { $0.name == "Qualifier" }?.value
        if let given, let derived, given != derived {
            return .failure(
                invalid("The derived qualifier from the function name does not match the specified qualifier."))
        }
        return .success(InvokeTarget(name: name, qualifier: given ?? derived))
    }

    /// nil when this emulator serves the target; otherwise Lambda's 404 for a function or version it lacks.
    func refusal(servedNames: Set<String>) -> InvokeAPIHandler.Refusal? {
        let shown = qualifier.map { "\(name):\($0)" } ?? name
        if !servedNames.contains(name) {
            return InvokeAPIHandler.Refusal(
                status: .notFound, type: "ResourceNotFoundException", message: "Function not found: \(shown)")
        }
        if let qualifier, qualifier != Self.latest {
            return InvokeAPIHandler.Refusal(
                status: .notFound, type: "ResourceNotFoundException",
                message:
                    "Function not found: \(shown) (serve runs only \(Self.latest); "
                    + "drop the qualifier or use \(Self.latest))")
        }
        return nil
    }

    private static func invalid(_ message: String) -> InvokeAPIHandler.Refusal {
        InvokeAPIHandler.Refusal(status: .badRequest, type: "InvalidParameterValueException", message: message)
    }
}
