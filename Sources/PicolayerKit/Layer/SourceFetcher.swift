import AsyncHTTPClient
import Crypto
import FoundationEssentials
import Logging
import NIOCore
import NIOHTTP1

/// Where a source comes from, as the user wrote it.
public enum SourceLocation: Sendable, Equatable {
    case remote(URL)
    case localFile(URL)
    case localDirectory(URL)

    /// Parses `https://...`, `http://127.0.0.1...`, `file:///...` or a path (relative to `base`).
    public static func parse(_ text: String, relativeTo base: URL) throws -> SourceLocation {
        if let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme.count > 1 {
            switch scheme {
            case "https":
                return .remote(url)
            case "http":
                guard isLoopback(url.host ?? "") else { throw BuildError.insecureURL(text) }
                return .remote(url)
            case "file":
                return try local(URL(fileURLWithPath: url.path))
            default:
                throw BuildError.unsupportedURL(text)
            }
        }
        let path = text.hasPrefix("/") ? URL(fileURLWithPath: text) : base.appendingPathComponent(text)
        return try local(path.standardizedFileURL)
    }

    private static func local(_ url: URL) throws -> SourceLocation {
        var isDirectory = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw BuildError.sourceNotFound(url.path)
        }
        return isDirectory ? .localDirectory(url) : .localFile(url)
    }

    /// True for `localhost` and loopback address literals; see `LoopbackAddress.contains`.
    static func isLoopback(_ host: String) -> Bool { LoopbackAddress.contains(host) }

    /// The rule for one hop of a download, the first or a redirect: https anywhere, http only to loopback, and
    /// never from https down to http. Throws before anything connects to `url`.
    static func checkHop(_ url: URL, from previous: URL?) throws {
        switch url.scheme?.lowercased() {
        case "https":
            return
        case "http":
            if previous?.scheme?.lowercased() == "https" || !isLoopback(url.host ?? "") {
                throw BuildError.insecureURL(url.absoluteString)
            }
        default:
            throw BuildError.unsupportedURL(url.absoluteString)
        }
    }
}

/// A source ready to use: a file or folder on this machine and its SHA-256.
public struct FetchedSource: Sendable, Equatable {
    public var name: String
    public var origin: String
    public var url: URL
    public var isDirectory: Bool
    public var sha256: String
}

/// How the lock file is used: record new entries, refuse new entries, or refresh all entries.
public enum LockMode: String, Sendable {
    case record
    case locked
    case update
}

/// Fetches sources into the download cache, checking and recording their hashes in the lock file.
///
/// The cache holds `downloads/sha256-<hex>` files. A download goes to a temporary file in the same folder and is
/// renamed only once its hash is checked, so a file under its final name is always complete.
public struct SourceFetcher: Sendable {
    public var cacheDirectory: URL
    public var lockMode: LockMode
    public var logger: Logger
    /// Pauses between attempts; the number of attempts is one more than the number of delays.
    public var retryDelays: [Duration]
    /// How long one attempt may take to connect; the HTTP client retries refused connections within it.
    public var connectTimeout: Duration
    /// How long the server may stay silent (before the answer or in the middle of the body) before the attempt
    /// fails (`build --read-timeout`).
    public var readTimeout: Duration
    /// Redirects followed per attempt; each hop is checked by `SourceLocation.checkHop` before it connects.
    static let maxRedirects = 5

    public init(
        cacheDirectory: URL, lockMode: LockMode, logger: Logger,
        retryDelays: [Duration] = [.seconds(1), .seconds(3)], connectTimeout: Duration = .seconds(10),
        readTimeout: Duration = .seconds(30)
    ) {
        self.cacheDirectory = cacheDirectory
        self.lockMode = lockMode
        self.logger = logger
        self.retryDelays = retryDelays
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout
    }

    var downloads: URL { cacheDirectory.appendingPathComponent("downloads") }

    func cachedFile(_ hash: String) -> URL { downloads.appendingPathComponent("sha256-\(hash)") }

    /// Fetches `location`, updating `lock` for remote sources.
    public func fetch(
        name: String, location: SourceLocation, origin: String, lock: inout Lockfile, lockPath: String
    ) async throws -> FetchedSource {
        switch location {
        case .localDirectory(let url):
            return FetchedSource(
                name: name, origin: origin, url: url, isDirectory: true, sha256: try Hashing.sha256(directoryAt: url))
        case .localFile(let url):
            return FetchedSource(
                name: name, origin: origin, url: url, isDirectory: false, sha256: try Hashing.sha256(fileAt: url))
        case .remote(let url):
            let key = url.absoluteString
            let expected = lockMode == .update ? nil : lock.hashes[key]
            if lockMode == .locked, expected == nil {
                throw BuildError.notLocked(url: key, lockFile: lockPath)
            }
            if let expected {
                let cached = cachedFile(expected)
                if FileManager.default.fileExists(atPath: cached.path),
                    (try? Hashing.sha256(fileAt: cached)) == expected
                {
                    logger.info("\(name): \(key) (cached, sha256 \(expected.prefix(12)))")
                    return FetchedSource(name: name, origin: origin, url: cached, isDirectory: false, sha256: expected)
                }
            }
            let (file, actual) = try await download(url, label: name)
            if let expected, expected != actual {
                try? FileManager.default.removeItem(at: file)
                throw BuildError.checksumMismatch(url: key, expected: expected, actual: actual)
            }
            let final = cachedFile(actual)
            if FileManager.default.fileExists(atPath: final.path) {
                try FileManager.default.removeItem(at: file)
            } else {
                try FileManager.default.moveItem(at: file, to: final)
            }
            lock.hashes[key] = actual
            logger.info("\(name): \(key) (downloaded, sha256 \(actual.prefix(12)))")
            return FetchedSource(name: name, origin: origin, url: final, isDirectory: false, sha256: actual)
        }
    }

    /// Downloads to a temporary file in the cache, retrying connection failures and 5xx/429 answers.
    func download(_ url: URL, label: String) async throws -> (URL, String) {
        try FileManager.default.createDirectory(at: downloads, withIntermediateDirectories: true)
        TemporaryPaths.shared.sweepStale(in: downloads.path, pid: ScratchNames.partialDownloadPID)
        // Redirects are followed here, not by the client, so that every hop is checked before it connects.
        let client = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: HTTPClient.Configuration(
                redirectConfiguration: .disallow,
                timeout: .init(connect: TimeAmount(connectTimeout), read: TimeAmount(readTimeout))))
        defer { client.shutdown { _ in } }
        var attempt = 0
        while true {
            let temporary = downloads.appendingPathComponent(ScratchNames.partialDownload())
            TemporaryPaths.shared.register(temporary.path)
            defer { TemporaryPaths.shared.unregister(temporary.path) }
            do {
                let hash = try await downloadOnce(url, to: temporary, client: client, label: label)
                return (temporary, hash)
            } catch let failure as DownloadFailure {
                try? FileManager.default.removeItem(at: temporary)
                guard failure.transient, attempt < retryDelays.count else {
                    throw BuildError.downloadFailed(url: url.absoluteString, reason: failure.reason)
                }
                logger.info("\(label): \(failure.reason); retrying (\(attempt + 2)/\(retryDelays.count + 1))")
                try await Task.sleep(for: retryDelays[attempt])
                attempt += 1
            } catch {
                try? FileManager.default.removeItem(at: temporary)
                throw error
            }
        }
    }

    struct DownloadFailure: Error {
        var reason: String
        var transient: Bool
    }

    /// The answer to `url`, following up to `maxRedirects` redirects, each hop checked before it connects.
    private func response(for url: URL, client: HTTPClient) async throws -> HTTPClientResponse {
        var current = url
        var previous: URL?
        for _ in 0...Self.maxRedirects {
            try SourceLocation.checkHop(current, from: previous)
            let response: HTTPClientResponse
            do {
                response = try await client.execute(HTTPClientRequest(url: current.absoluteString), timeout: .hours(1))
            } catch {
                throw DownloadFailure(reason: Self.describe(error, readTimeout: readTimeout), transient: true)
            }
            guard [301, 302, 303, 307, 308].contains(Int(response.status.code)) else { return response }
            guard let location = response.headers.first(name: "location"),
                let next = URL(string: location, relativeTo: current)?.absoluteURL
            else {
                throw DownloadFailure(
                    reason: "HTTP \(response.status.code) without a usable Location", transient: false)
            }
            previous = current
            current = next
        }
        throw DownloadFailure(reason: "more than \(Self.maxRedirects) redirects", transient: false)
    }

    static func describe(_ error: Error, readTimeout: Duration) -> String {
        if let client = error as? HTTPClientError, client == .readTimeout {
            return "the server sent nothing for \(readTimeout) (raise --read-timeout if it is just slow)"
        }
        return "\(error)"
    }

    private func downloadOnce(_ url: URL, to file: URL, client: HTTPClient, label: String) async throws -> String {
        let response = try await self.response(for: url, client: client)
        let status = Int(response.status.code)
        guard status == 200 else {
            throw DownloadFailure(reason: "HTTP \(status)", transient: status == 429 || status >= 500)
        }
        let total = response.headers.first(name: "content-length").flatMap { Int64($0) }
        let handle = try OpenFile.writing(file.path)
        var hasher = HashingStream()
        var received: Int64 = 0
        let progress = TransferProgress(logger: logger, label: label, total: total)
        do {
            for try await buffer in response.body {
                let data = Data(buffer.readableBytesView)
                try handle.write(data)
                hasher.update(data)
                received += Int64(data.count)
                progress.update(received)
            }
        } catch {
            throw DownloadFailure(
                reason: "connection lost after \(received) bytes: \(Self.describe(error, readTimeout: readTimeout))",
                transient: true)
        }
        if let total, total != received {
            throw DownloadFailure(reason: "got \(received) of \(total) bytes", transient: true)
        }
        return hasher.finalize()
    }
}

struct HashingStream {
    private var hasher = Crypto.SHA256()

    mutating func update(_ data: Data) { hasher.update(data: data) }

    func finalize() -> String { TextFormat.hex(hasher.finalize()) }
}
