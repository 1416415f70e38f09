import AsyncHTTPClient
import Crypto
import FoundationEssentials
import NIOCore
import NIOHTTP1

#if canImport(Glibc)
    import Glibc
#endif

/// A request body that can be produced any number of times (once to hash it, once per attempt to send it)
/// without being held in memory: a list of parts, each literal bytes or a slice of a file, optionally base64-encoded.
public struct RequestBody: Sendable {
    /// Told the bytes of the body handed to the connection so far, and the body's length, as it streams.
    public typealias Progress = @Sendable (_ sent: Int64, _ total: Int64) -> Void

    public enum Part: Sendable {
        case bytes([UInt8])
        /// `length` bytes of the file at `path` starting at `offset`, sent raw or base64-encoded.
        case file(path: String, offset: Int64, length: Int64, base64: Bool)
    }

    public var parts: [Part]
    /// Raw bytes read per file chunk; a multiple of 3 so that base64 chunks concatenate to the base64 of the whole.
    public var chunkSize: Int
    /// Called as the body is sent (`sendingChunks`), never while it is hashed; again from 0 on a retry.
    public var progress: Progress?

    public init(parts: [Part], chunkSize: Int = 3 * 256 * 1024, progress: Progress? = nil) {
        self.parts = parts
        self.chunkSize = chunkSize - chunkSize % 3
        self.progress = progress
    }

    public static let empty = RequestBody(parts: [])

    public static func bytes(_ bytes: [UInt8]) -> RequestBody { RequestBody(parts: [.bytes(bytes)]) }

    /// The exact number of bytes the body will have on the wire.
    public var length: Int64 {
        parts.reduce(0) { total, part in
            switch part {
            case .bytes(let bytes): return total + Int64(bytes.count)
            case .file(_, _, let length, let base64): return total + (base64 ? (length + 2) / 3 * 4 : length)
            }
        }
    }

    /// The body in chunks, read lazily from disk.
    public var chunks: Chunks { Chunks(body: self, reporting: false) }

    /// The chunks the transport sends: as `chunks`, telling `progress` of each one handed on.
    public var sendingChunks: Chunks { Chunks(body: self, reporting: true) }

    /// Lower-case hex SHA-256 of the body: one streaming pass over the same chunks that will be sent.
    public func sha256Hex() async throws -> String {
        if parts.isEmpty { return SigV4Signer.emptyPayloadHash }
        var hasher = SHA256()
        for try await chunk in chunks { chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) } }
        return TextFormat.hex(hasher.finalize())
    }

    /// The whole body in memory; only for small bodies (JSON, XML).
    public var literalBytes: [UInt8]? {
        var out: [UInt8] = []
        for part in parts {
            guard case .bytes(let bytes) = part else { return nil }
            out += bytes
        }
        return out
    }

    public struct Chunks: AsyncSequence, Sendable {
        public typealias Element = ByteBuffer
        let body: RequestBody
        let reporting: Bool

        public func makeAsyncIterator() -> Iterator {
            Iterator(body: body, progress: reporting ? body.progress : nil)
        }

        public struct Iterator: AsyncIteratorProtocol {
            let body: RequestBody
            let progress: Progress?
            let total: Int64
            var sent: Int64 = 0
            var index = 0
            var handle: OpenFile?
            var remaining: Int64 = 0

            init(body: RequestBody, progress: Progress?) {
                self.body = body
                self.progress = progress
                total = progress == nil ? 0 : body.length
            }

            public mutating func next() async throws -> ByteBuffer? {
                guard let chunk = try await nextChunk() else { return nil }
                if let progress {
                    sent += Int64(chunk.readableBytes)
                    progress(sent, total)
                }
                return chunk
            }

            mutating func nextChunk() async throws -> ByteBuffer? {
                while index < body.parts.count {
                    switch body.parts[index] {
                    case .bytes(let bytes):
                        index += 1
                        if bytes.isEmpty { continue }
                        return ByteBuffer(bytes: bytes)
                    case .file(let path, let offset, let length, let base64):
                        if handle == nil {
                            let opened = try OpenFile.reading(path)
                            try opened.seek(to: offset)
                            handle = opened
                            remaining = length
                        }
                        guard let file = handle, remaining > 0 else {
                            handle?.close()
                            handle = nil
                            index += 1
                            continue
                        }
                        let want = Int(Swift.min(Int64(body.chunkSize), remaining))
                        let data = try file.read(upTo: want)
                        guard data.count == want else {
                            throw FileError(path: path, operation: "read the next \(want) bytes of", code: ENODATA)
                        }
                        remaining -= Int64(want)
                        return ByteBuffer(bytes: base64 ? Array(Data(data).base64EncodedData()) : data)
                    }
                }
                return nil
            }
        }
    }
}

/// One HTTP exchange as picolayer needs it: the target is given as the exact wire path and query.
public struct HTTPRequest: Sendable {
    public var endpoint: AWSEndpoint
    public var method: String
    /// The exact request-target path, percent-encoded once; sent as is.
    public var path: String
    /// The exact query (no `?`), empty for none.
    public var query: String
    public var headers: [(name: String, value: String)]
    public var body: RequestBody
    /// A deadline for this exchange shorter than the transport's own (the instance metadata service gets 1 s).
    public var timeout: Duration? = nil
}

public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// The HTTP transport: a closure so tests and `--dry-run` can stand in for the network. `live` sends with
/// AsyncHTTPClient and refuses any request whose path the client would rewrite after signing.
public struct HTTPTransport: Sendable {
    public var send: @Sendable (HTTPRequest) async throws -> HTTPResponse

    public init(send: @escaping @Sendable (HTTPRequest) async throws -> HTTPResponse) {
        self.send = send
    }

    /// Largest answer read into memory (AWS error and JSON answers are small).
    static let maxResponseBytes = 16 * 1024 * 1024

    /// How long a server may stay silent (no byte of the answer) before the attempt fails, by default.
    public static let defaultReadTimeout: Duration = .seconds(60)
    /// How long a connection may take to open.
    public static let connectTimeout: Duration = .seconds(10)

    /// Runs `body` with a transport over a fresh AsyncHTTPClient, shut down afterwards. Failed connection attempts
    /// fail at once (AsyncHTTPClient would otherwise keep retrying them until its connect timeout), so that
    /// `AWSClient`'s standard-mode retries decide. A server silent for `readTimeout` fails the attempt the same way
    /// (`--read-timeout`); the whole exchange, upload included, is bounded by `live`'s 15 minutes.
    public static func withLive<T: Sendable>(
        readTimeout: Duration = defaultReadTimeout, _ body: (HTTPTransport) async throws -> T
    ) async throws -> T {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = TimeAmount(connectTimeout)
        configuration.timeout.read = TimeAmount(readTimeout)
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        do {
            let result = try await body(live(client: client))
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    public static func live(client: HTTPClient = .shared, timeout: TimeAmount = .minutes(15)) -> HTTPTransport {
        HTTPTransport { request in
            let target = request.query.isEmpty ? request.path : request.path + "?" + request.query
            let url = request.endpoint.scheme + "://" + request.endpoint.hostHeader + target
            // AsyncHTTPClient takes the request line from Foundation's URL; make sure it is byte-identical.
            guard let parsed = URL(string: url), parsed.path(percentEncoded: true) == request.path,
                (parsed.query(percentEncoded: true) ?? "") == request.query
            else {
                throw AWSError.unsendablePath(target)
            }
            var outgoing = HTTPClientRequest(url: url)
            outgoing.method = HTTPMethod(rawValue: request.method)
            for (name, value) in request.headers { outgoing.headers.add(name: name, value: value) }
            if let bytes = request.body.literalBytes {
                if !bytes.isEmpty || request.method == "POST" || request.method == "PUT" {
                    outgoing.body = .bytes(ByteBuffer(bytes: bytes))
                }
            } else {
                outgoing.body = .stream(request.body.sendingChunks, length: .known(request.body.length))
            }
            let deadline = request.timeout.map { TimeAmount($0) } ?? timeout
            let response = try await client.execute(outgoing, timeout: deadline)
            let body = try await response.body.collect(upTo: maxResponseBytes)
            return HTTPResponse(
                status: Int(response.status.code),
                headers: response.headers.map { (name: $0.name, value: $0.value) },
                body: Array(body.readableBytesView))
        }
    }
}
