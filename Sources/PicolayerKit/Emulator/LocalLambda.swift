import FoundationEssentials
import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// One Lambda execution environment on this machine: a Runtime API server and the `bootstrap` process behind
/// it, kept warm across invocations, started cold again after a crash or a timeout.
///
/// ```swift
/// let configuration = FunctionConfiguration(handler: "main.handler", taskRoot: "fn", layerDirectory: "build/layer")
/// let result = try await LocalLambda.with(configuration) { lambda in
///     try await lambda.invoke(Array(#"{"name":"world"}"#.utf8))
/// }
/// if let type = result.errorType { print("failed:", type) }
/// ```
///
/// Invocations run one at a time, in the order they were called; use ``LocalLambdaPool`` for several instances.
/// Function errors, crashes and timeouts are *results* (``InvocationResult/errorType``); `invoke` throws only
/// ``EmulatorError``s, for problems of the emulator itself (no bootstrap, event too large, port unavailable).
/// Call ``shutdown()`` (or use ``with(_:hooks:output:_:)``) so the runtime process does not outlive you.
public actor LocalLambda {
    public let configuration: FunctionConfiguration
    private let hooks: EmulatorHooks
    private let output: (@Sendable ([UInt8]) -> Void)?
    private let state = RuntimeAPIState()
    private var server: RuntimeAPIServer?
    private var process: RuntimeProcess?
    private var generation = 0
    private let watchdog: Watchdog
    private var isShutDown = false
    private var watcher: CodeWatcher?

    /// - Parameters:
    ///   - hooks: request ids, trace ids and the clock; tests pass fixed ones.
    ///   - output: receives the log stream as it arrives: the runtime's stdout and stderr, and Lambda's
    ///     `START`, `END` and `REPORT` lines around each invocation (e.g. to echo it all to stderr).
    public init(
        configuration: FunctionConfiguration,
        hooks: EmulatorHooks = .system,
        output: (@Sendable ([UInt8]) -> Void)? = nil
    ) {
        self.configuration = configuration
        self.hooks = hooks
        self.output = output
        let state = self.state
        watchdog = Watchdog { token in state.post(.timedOut(token: token)) }
        if configuration.watch {
            watcher = CodeWatcher(
                folders: [Self.absolutePath(configuration.taskRoot)]
                    + (configuration.layerDirectory.map { [Self.absolutePath($0)] } ?? []))
        }
    }

    deinit {
        watchdog.stop()
        process?.kill()
    }

    /// Runs `body` with a new instance and shuts it down afterwards, also when `body` throws.
    public static func with<T: Sendable>(
        _ configuration: FunctionConfiguration,
        hooks: EmulatorHooks = .system,
        output: (@Sendable ([UInt8]) -> Void)? = nil,
        _ body: (LocalLambda) async throws -> T
    ) async throws -> T {
        let lambda = LocalLambda(configuration: configuration, hooks: hooks, output: output)
        do {
            let result = try await body(lambda)
            await lambda.shutdown()
            return result
        } catch {
            await lambda.shutdown()
            throw error
        }
    }

    /// The `bootstrap` Lambda would run: the function's own first, then the layer's.
    public static func findBootstrap(taskRoot: String, layerDirectory: String?) throws(EmulatorError) -> String {
        let candidates = [taskRoot] + (layerDirectory.map { [$0] } ?? [])
        let paths = candidates.map { absolutePath($0) + "/bootstrap" }
        var isDirectory = false
        for path in paths
        where FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory
            && FileManager.default.isExecutableFile(atPath: path)
        {
            return path
        }
        throw .noBootstrap(searched: paths)
    }

    /// Sends one event through the runtime and waits for its answer, starting the runtime first if needed.
    /// Cancelling the calling task shuts this instance down (the runtime is killed, as Lambda does when an
    /// environment is torn down): the invocation ends at once, and later ones throw ``EmulatorError/shutDown``.
    /// - Parameters:
    ///   - clientContext: decoded client context JSON, sent as `Lambda-Runtime-Client-Context`.
    ///   - cognitoIdentity: sent as `Lambda-Runtime-Cognito-Identity`.
    ///   - traceID: the caller's `X-Amzn-Trace-Id`, sent as `Lambda-Runtime-Trace-Id`; else a fresh one.
    ///   - onChunk: receives the parts of a streamed response as the runtime sends them (the result's payload
    ///     holds them all as well).
    public func invoke(
        _ event: [UInt8],
        clientContext: String? = nil,
        cognitoIdentity: String? = nil,
        traceID: String? = nil,
        onChunk: (@Sendable (ResponseChunk) -> Void)? = nil
    ) async throws(EmulatorError) -> InvocationResult {
        guard event.count <= RuntimeAPI.maxPayloadSize else { throw .eventTooLarge(size: event.count) }
        let outcome: Result<InvocationResult, EmulatorError> = await withTaskCancellationHandler {
            do throws(EmulatorError) {
                return .success(try await run(event, clientContext, cognitoIdentity, traceID, onChunk))
            } catch {
                return .failure(error)
            }
        } onCancel: {
            Task { await self.shutdown() }
        }
        return try outcome.get()
    }

    private func run(
        _ event: [UInt8], _ clientContext: String?, _ cognitoIdentity: String?, _ traceID: String?,
        _ onChunk: (@Sendable (ResponseChunk) -> Void)?
    ) async throws(EmulatorError) -> InvocationResult {
        guard !Task.isCancelled else {
            await shutdown()
            throw .shutDown
        }
        // The actor is reentrant at every await; one environment runs one invocation at a time.
        await waitForTurn()
        defer { endTurn() }
        guard !isShutDown else { throw .shutDown }
        let requestID = hooks.requestID()
        let clock = ContinuousClock()
        var initDuration: Duration?

        if let watcher, process != nil, watcher.changed() {
            output?(Array("picolayer: the code or the layer changed; this invocation starts a fresh runtime\n".utf8))
            let stopping = process
            dropRuntime()
            await stopping?.waitForExit()
        }
        if process == nil || process?.hasExited == true {
            watcher?.snapshot()
            let started = clock.now
            lastMemorySample = nil
            peakMemoryMB = 0
            if let failure = try await startRuntime(requestID: requestID) {
                let result = finish(failure, requestID: requestID, duration: clock.now - started, initDuration: nil)
                output?(Array((result.startLine + "\n" + result.endLine + "\n" + result.reportLine + "\n").utf8))
                return result
            }
            initDuration = clock.now - started
        }

        output?(Array((InvocationResult.startLine(requestID) + "\n").utf8))
        let started = clock.now
        let deadline = hooks.now().addingTimeInterval(Self.seconds(configuration.timeout))
        var payload = ByteBuffer()
        payload.writeBytes(event)
        state.enqueue(
            PendingInvocation(
                requestID: requestID, payload: payload,
                deadlineMilliseconds: Int64((deadline.timeIntervalSince1970 * 1000).rounded(.down)),
                functionARN: configuration.functionARN, traceID: traceID ?? hooks.traceID(requestID),
                clientContext: clientContext, cognitoIdentity: cognitoIdentity))
        let outcome = await awaitAnswer(requestID: requestID, timeout: configuration.timeout, onChunk: onChunk)
        let result = finish(outcome, requestID: requestID, duration: clock.now - started, initDuration: initDuration)
        output?(Array((result.endLine + "\n" + result.reportLine + "\n").utf8))
        return result
    }

    /// Kills the runtime (and waits until it has ended) and closes the Runtime API server. Later invocations
    /// throw ``EmulatorError/shutDown``.
    public func shutdown() async {
        isShutDown = true
        watchdog.stop()
        let stopping = process
        dropRuntime()
        await stopping?.waitForExit()
        state.reset(generation: generation + 1)
        await server?.close()
        server = nil
    }

    // MARK: One invocation at a time

    private var busy = false
    private var waitingForTurn: [CheckedContinuation<Void, Never>] = []

    private func waitForTurn() async {
        guard busy else {
            busy = true
            return
        }
        await withCheckedContinuation { waitingForTurn.append($0) }
    }

    private func endTurn() {
        if waitingForTurn.isEmpty {
            busy = false
        } else {
            waitingForTurn.removeFirst().resume()
        }
    }

    // MARK: Lifecycle

    private enum Outcome {
        case response(ByteBuffer, contentType: String?)
        case failure(errorType: String, payload: [UInt8])
    }

    /// Starts the bootstrap and waits for its first `/next`; returns the failure of a failed init.
    private func startRuntime(requestID: String) async throws(EmulatorError) -> Outcome? {
        try configuration.validate()
        let server = try await runtimeAPIServer()
        let taskRoot = Self.absolutePath(configuration.taskRoot)
        let layer = configuration.layerDirectory.map(Self.absolutePath)
        let bootstrap = try Self.findBootstrap(taskRoot: taskRoot, layerDirectory: layer)
        generation += 1
        let generation = self.generation
        state.reset(generation: generation)
        let environment = LambdaEnvironment.variables(
            for: configuration, taskRoot: taskRoot, layerDirectory: layer, runtimeAPI: server.address,
            logStreamName: LambdaEnvironment.logStreamName(date: hooks.now(), seed: requestID))
        let state = self.state
        process = try RuntimeProcess.spawn(
            executable: bootstrap, environment: environment, directory: taskRoot, sink: output,
            onExit: { status in state.post(.exited(generation: generation, status: status)) })

        let token = startTimer(configuration.initTimeout)
        defer { stopTimer() }
        while true {
            switch await state.nextSignal() {
            case .ready(generation):
                // A first reading of the runtime's own memory, for the report should it crash before the next.
                if let peak = process?.peakMemoryKilobytes() { peakMemoryMB = max(peakMemoryMB, (peak + 1023) / 1024) }
                return nil
            case .initError(generation, let errorType, let payload):
                dropRuntime()
                return .failure(errorType: errorType, payload: Array(payload.readableBytesView))
            case .exited(generation, let status):
                dropRuntime()
                return exitFailure(requestID: requestID, status: status)
            case .timedOut(token):
                dropRuntime()
                return timeoutFailure(requestID: requestID, after: configuration.initTimeout)
            default:
                continue
            }
        }
    }

    private func awaitAnswer(
        requestID: String, timeout: Duration, onChunk: (@Sendable (ResponseChunk) -> Void)?
    ) async -> Outcome {
        let token = startTimer(timeout)
        defer { stopTimer() }
        var streamed: ByteBuffer?
        while true {
            switch await state.nextSignal() {
            case .responseChunk(requestID, var chunk, let contentType):
                onChunk?(
                    ResponseChunk(requestID: requestID, bytes: Array(chunk.readableBytesView), contentType: contentType)
                )
                if streamed == nil { streamed = ByteBuffer() }
                streamed?.writeBuffer(&chunk)
            case .response(requestID, var payload, let contentType):
                if var whole = streamed {
                    whole.writeBuffer(&payload)
                    return .response(whole, contentType: contentType)
                }
                return .response(payload, contentType: contentType)
            case .functionError(requestID, let errorType, let payload):
                let bytes = Array(payload.readableBytesView)
                return .failure(
                    errorType: errorType,
                    payload: bytes.isEmpty ? Array(LambdaJSON.error(type: errorType, message: "").utf8) : bytes)
            case .responseTooLarge(requestID):
                let message =
                    "Response payload size exceeded maximum allowed payload size (\(RuntimeAPI.maxPayloadSize) bytes)."
                return .failure(
                    errorType: RuntimeAPI.PlatformError.responseTooLarge,
                    payload: Array(
                        LambdaJSON.error(type: RuntimeAPI.PlatformError.responseTooLarge, message: message).utf8))
            case .exited(generation, let status):
                dropRuntime()
                state.abandon(requestID: requestID)
                return exitFailure(requestID: requestID, status: status)
            case .timedOut(token):
                dropRuntime()
                state.abandon(requestID: requestID)
                return timeoutFailure(requestID: requestID, after: timeout)
            default:
                continue
            }
        }
    }

    private func finish(
        _ outcome: Outcome, requestID: String, duration: Duration, initDuration: Duration?
    ) -> InvocationResult {
        let peak = sampledPeakMemoryKilobytes()
        let log = String(decoding: lastOutput + (process?.output.take() ?? []), as: UTF8.self)
        lastOutput = []
        var result = InvocationResult(
            requestID: requestID, payload: [], contentType: nil, errorType: nil, log: log, duration: duration,
            initDuration: initDuration, memorySize: configuration.memorySize,
            maxMemoryUsedMB: max(peakMemoryMB, (peak + 1023) / 1024))
        peakMemoryMB = result.maxMemoryUsedMB
        switch outcome {
        case .response(let payload, let contentType):
            result.payload = Array(payload.readableBytesView)
            result.contentType = contentType
        case .failure(let errorType, let payload):
            result.errorType = errorType
            result.payload = payload
        }
        return result
    }

    /// Output of a process that was stopped, kept for the result of the invocation it failed.
    private var lastOutput: [UInt8] = []
    /// Lambda reports the peak of the execution environment, which survives invocations (not cold starts).
    private var peakMemoryMB = 0
    private var lastMemorySample: ContinuousClock.Instant?
    /// Reading `/proc/PID/status` costs tens of microseconds; back-to-back invocations reuse a sample this fresh.
    private static let memorySampleInterval: Duration = .milliseconds(50)

    private func sampledPeakMemoryKilobytes() -> Int {
        let now = ContinuousClock.now
        if let last = lastMemorySample, now - last < Self.memorySampleInterval { return 0 }
        lastMemorySample = now
        return process?.peakMemoryKilobytes() ?? 0
    }

    /// Kills and forgets the current process and its whole session, keeping its last output for the result.
    private func dropRuntime() {
        if let peak = process?.peakMemoryKilobytes() { peakMemoryMB = max(peakMemoryMB, (peak + 1023) / 1024) }
        process?.kill()
        lastOutput += process?.output.take() ?? []
        process = nil
    }

    private func exitFailure(requestID: String, status: ExitStatus) -> Outcome {
        let message: String
        if case .exited(0) = status {
            message = "RequestId: \(requestID) Error: Runtime exited without providing a reason"
        } else {
            message = "RequestId: \(requestID) Error: Runtime exited with error: \(status)"
        }
        return .failure(
            errorType: RuntimeAPI.PlatformError.exit,
            payload: Array(LambdaJSON.error(type: RuntimeAPI.PlatformError.exit, message: message).utf8))
    }

    private func timeoutFailure(requestID: String, after timeout: Duration) -> Outcome {
        let message =
            "RequestId: \(requestID) Error: Task timed out after "
            + TextFormat.fixed(Self.seconds(timeout), places: 2) + " seconds"
        return .failure(
            errorType: RuntimeAPI.PlatformError.timeout,
            payload: Array(LambdaJSON.error(type: RuntimeAPI.PlatformError.timeout, message: message).utf8))
    }

    private func startTimer(_ duration: Duration) -> Int {
        watchdog.arm(after: duration)
    }

    private func stopTimer() {
        watchdog.disarm()
    }

    private func runtimeAPIServer() async throws(EmulatorError) -> RuntimeAPIServer {
        if let server { return server }
        let started = try await RuntimeAPIServer.start(state: state)
        server = started
        return started
    }

    static func absolutePath(_ path: String) -> String {
        let url = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        return url.standardizedFileURL.path
    }

    static func seconds(_ duration: Duration) -> Double {
        InvocationResult.milliseconds(duration) / 1000
    }
}
