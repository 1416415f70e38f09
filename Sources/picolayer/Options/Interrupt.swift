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
}
