import Logging
import Synchronization

/// Progress of one transfer (a download, an upload), logged only when it moves by a step: every 10%, or every MiB
/// when the total is not known. On a terminal the console redraws the line in place; in a log each is a line.
public final class TransferProgress: Sendable {
    private let logger: Logger
    private let label: String
    private let total: Int64?
    private let step: Int64
    private let lastBucket = Mutex<Int64>(-1)

    public init(logger: Logger, label: String, total: Int64?) {
        self.logger = logger
        self.label = label
        self.total = total
        step = total.map { max($0 / 10, 1) } ?? 1_048_576
    }

    /// `received` bytes so far.
    public func update(_ received: Int64) {
        let bucket = received / step
        let moved = lastBucket.withLock { last in
            guard bucket != last else { return false }
            last = bucket
            return true
        }
        guard moved else { return }
        let amount = total.map { "\(received * 100 / max($0, 1))% of \($0) bytes" } ?? "\(received) bytes"
        logger.info("\(label): \(amount)", metadata: [ConsoleMetadata.progress: .string(label)])
    }
}
