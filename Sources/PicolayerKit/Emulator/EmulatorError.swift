import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// What can go wrong while emulating Lambda locally (not the function's own errors: those are results).
public enum EmulatorError: Error, LocalizedError, Equatable {
    case noBootstrap(searched: [String])
    case spawnFailed(path: String, errno: Int32)
    case bindFailed(host: String, port: Int, reason: String)
    case eventTooLarge(size: Int)
    case invalidEvent(source: String, reason: String)
    case reservedVariable(String)
    case invalidTimeout(Duration)
    case invalidMemorySize(Int)
    case invalidEnvironmentLine(file: String, line: Int, text: String)
    case unreadableFile(path: String, reason: String)
    case shutDown

    public var errorDescription: String? {
        switch self {
        case .noBootstrap(let searched):
            return "Couldn't find valid bootstrap(s): [\(searched.joined(separator: " "))]. "
                + "Build the layer (picolayer build) or pass --layer/--task-root pointing at a folder "
                + "with an executable `bootstrap`."
        case .spawnFailed(let path, let errno):
            return "Could not start the runtime \(path): \(String(cString: strerror(errno))). "
                + "Check that it is executable (chmod +x) and that its #! interpreter exists."
        case .bindFailed(let host, let port, let reason):
            return "Could not listen on \(host):\(port): \(reason). Choose another port with --port."
        case .eventTooLarge(let size):
            return "The event is \(size) bytes; Lambda accepts at most \(RuntimeAPI.maxPayloadSize) bytes "
                + "for a synchronous invocation. Use a smaller event."
        case .invalidEvent(let source, let reason):
            return "The event in \(source) is not a JSON text: \(reason). Lambda refuses such a payload with "
                + "InvalidRequestContentException; fix the event."
        case .reservedVariable(let name):
            return LambdaLimits.reservedVariable(name)
        case .invalidTimeout(let timeout):
            return LambdaLimits.timeoutOutOfRange("\(timeout)")
        case .invalidMemorySize(let size):
            return LambdaLimits.memoryOutOfRange(size)
        case .invalidEnvironmentLine(let file, let line, let text):
            return "\(file):\(line): `\(text)` is not KEY=VALUE. Fix the line or remove it."
        case .unreadableFile(let path, let reason):
            let reason = reason.hasSuffix(".") ? String(reason.dropLast()) : reason
            return "Could not read \(path): \(reason). Check the path."
        case .shutDown:
            return "The emulator was shut down before the invocation finished."
        }
    }
}
