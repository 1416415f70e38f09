import FoundationEssentials

extension LambdaClient {
    /// What the Invoke API answered for a RequestResponse invocation.
    public struct InvokeOutput: Sendable, Equatable {
        public var statusCode: Int
        /// The response, or Lambda's error document when `functionError` is set.
        public var payload: [UInt8]
        /// `Unhandled` (or the runtime's type) for a function error; nil on success.
        public var functionError: String?
        /// The last 4 KB of the invocation's log, decoded from `X-Amz-Log-Result`.
        public var logTail: String?
        public var executedVersion: String?
    }

    /// Invoke (`POST /2015-03-31/functions/NAME/invocations`), synchronous, asking for the log tail.
    public func invoke(functionName: String, payload: [UInt8], qualifier: String? = nil) async throws -> InvokeOutput {
        let request = AWSRequest(
            operation: "Invoke", method: "POST", path: Self.functionPath(functionName, "/invocations"),
            query: qualifier.map { [SignableRequest.QueryItem("Qualifier", $0)] } ?? [],
            headers: [
                (name: "X-Amz-Invocation-Type", value: "RequestResponse"), (name: "X-Amz-Log-Type", value: "Tail"),
                (name: "Content-Type", value: "application/json"),
            ], body: .bytes(payload))
        let response = try await client.send(request)
        let tail = response.header("X-Amz-Log-Result").flatMap { Data(base64Encoded: $0) }
        return InvokeOutput(
            statusCode: response.status, payload: response.body, functionError: response.header("X-Amz-Function-Error"),
            logTail: tail.map { String(decoding: $0, as: UTF8.self) },
            executedVersion: response.header("X-Amz-Executed-Version"))
    }
}
