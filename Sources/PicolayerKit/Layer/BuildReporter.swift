/// Where build and download messages go. The CLI prints them; tests collect them.
public struct BuildReporter: Sendable {
    /// One finished line of output.
    public var line: @Sendable (String) -> Void
    /// Download progress: (label, bytes so far, total bytes when known). Called often; may be ignored.
    public var progress: @Sendable (String, Int64, Int64?) -> Void

    public init(
        line: @escaping @Sendable (String) -> Void,
        progress: @escaping @Sendable (String, Int64, Int64?) -> Void = { _, _, _ in }
    ) {
        self.line = line
        self.progress = progress
    }

    public static let silent = BuildReporter(line: { _ in })
}
