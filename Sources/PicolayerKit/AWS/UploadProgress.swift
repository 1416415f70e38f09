import FoundationEssentials
import Logging
import Synchronization

/// One upload on the console: a `TransferProgress` over the body as it streams (redrawn in place on a terminal,
/// every 10% in a log), then one line with the bytes sent and the seconds taken.
final class UploadProgress: Sendable {
    private let logger: Logger
    private let label: String
    private let now: @Sendable () -> Date
    private let started: Date
    /// Made at the first report, when the body's length is known; with that length.
    private let transfer = Mutex<(progress: TransferProgress, total: Int64)?>(nil)

    /// `label` names the upload ("uploading picolisp.zip to s3://..."); `now` is the clock (`AWSTiming.now`).
    init(logger: Logger, label: String, now: @escaping @Sendable () -> Date) {
        self.logger = logger
        self.label = label
        self.now = now
        started = now()
    }

    /// What the request body calls as it streams.
    var report: RequestBody.Progress {
        { [self] sent, total in
            let progress = transfer.withLock { transfer in
                if let transfer { return transfer.progress }
                let created = TransferProgress(logger: logger, label: label, total: total)
                transfer = (created, total)
                return created
            }
            progress.update(sent)
        }
    }

    /// The line after the upload: `label: sent N bytes in S s` (the body's bytes, or the file's through S3).
    func finished() {
        let seconds = TextFormat.fixed(max(now().timeIntervalSince(started), 0), places: 1)
        let bytes = transfer.withLock { $0?.total }.map { "sent \($0) bytes" } ?? "done"
        logger.info("\(label): \(bytes) in \(seconds) s")
    }
}
