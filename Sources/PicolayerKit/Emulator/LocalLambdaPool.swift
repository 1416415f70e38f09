/// Several ``LocalLambda`` instances of one function: each invocation goes to an idle instance, or waits in
/// line (first come, first served) until one is free. Nothing is dropped or run twice.
public actor LocalLambdaPool {
    public let configuration: FunctionConfiguration
    private var idle: [LocalLambda]
    private var all: [LocalLambda]
    private var waiting: [CheckedContinuation<LocalLambda?, Never>] = []
    private var isShutDown = false

    public init(
        configuration: FunctionConfiguration,
        concurrency: Int = 1,
        hooks: EmulatorHooks = .system,
        output: (@Sendable ([UInt8]) -> Void)? = nil
    ) {
        self.configuration = configuration
        all = (0..<max(1, concurrency)).map { _ in
            LocalLambda(configuration: configuration, hooks: hooks, output: output)
        }
        idle = all
    }

    /// Runs one invocation on the next free instance; see ``LocalLambda/invoke(_:clientContext:cognitoIdentity:traceID:onChunk:)``.
    public func invoke(
        _ event: [UInt8],
        clientContext: String? = nil,
        cognitoIdentity: String? = nil,
        traceID: String? = nil,
        onChunk: (@Sendable (ResponseChunk) -> Void)? = nil
    ) async throws(EmulatorError) -> InvocationResult {
        guard let lambda = await acquire() else { throw .shutDown }
        defer { release(lambda) }
        return try await lambda.invoke(
            event, clientContext: clientContext, cognitoIdentity: cognitoIdentity, traceID: traceID, onChunk: onChunk)
    }

    /// Stops every runtime; waiting invocations throw ``EmulatorError/shutDown``.
    public func shutdown() async {
        isShutDown = true
        let waiters = waiting
        waiting.removeAll()
        for waiter in waiters { waiter.resume(returning: nil) }
        for lambda in all { await lambda.shutdown() }
    }

    private func acquire() async -> LocalLambda? {
        if isShutDown { return nil }
        if !idle.isEmpty { return idle.removeFirst() }
        return await withCheckedContinuation { waiting.append($0) }
    }

    private func release(_ lambda: LocalLambda) {
        if !waiting.isEmpty {
            waiting.removeFirst().resume(returning: lambda)
        } else {
            idle.append(lambda)
        }
    }
}
