import Dispatch

#if canImport(Glibc)
    import Glibc
#endif

/// Waiting for Ctrl-C (SIGINT) or SIGTERM, so that `invoke` and `serve` can stop their runtimes and servers
/// before they exit instead of dying with them.
enum Interrupt {
    /// Returns the name of the first SIGINT or SIGTERM that arrives after the call; nil when cancelled first.
    static func wait() async -> String? {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self)
        var sources: [any DispatchSourceSignal] = []
        for (number, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(name) }
            source.resume()
            sources.append(source)
        }
        var iterator = stream.makeAsyncIterator()
        let name = await iterator.next()
        for source in sources { source.cancel() }
        return name
    }

    /// Runs `work`; a SIGINT or SIGTERM meanwhile cancels it (the emulator stops its runtime on cancellation),
    /// and the signal's name is returned beside `work`'s outcome.
    static func guarding<T: Sendable>(
        _ work: @escaping @Sendable () async throws -> T
    ) async -> (outcome: Result<T, any Error>, signal: String?) {
        let working = Task { try await work() }
        let watching = Task { () -> String? in
            guard let signal = await wait() else { return nil }
            working.cancel()
            return signal
        }
        let outcome = await working.result
        watching.cancel()
        return (outcome, await watching.value)
    }
}
