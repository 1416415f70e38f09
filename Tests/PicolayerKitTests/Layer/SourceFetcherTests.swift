import Foundation
import Testing

@testable import PicolayerKit

@Suite("downloads, cache and lock", .serialized)
struct SourceFetcherTests {
    func fetcher(_ cache: URL, _ mode: LockMode = .record) -> SourceFetcher {
        SourceFetcher(
            cacheDirectory: cache, lockMode: mode, logger: .silent, retryDelays: [.zero], connectTimeout: .seconds(1))
    }

    @Test("a download is hashed, recorded in the lock, cached, and reused without the network")
    func downloadAndReuse() async throws {
        try await withTemporaryDirectory { root in
            let served = root.appendingPathComponent("served")
            try FileManager.default.createDirectory(at: served, withIntermediateDirectories: true)
            let payload = Data("not really a tarball, but bytes to hash\n".utf8)
            try payload.write(to: served.appendingPathComponent("a.tgz"))
            let server = try StaticServer(serving: served)
            let url = server.url("a.tgz")
            let cache = root.appendingPathComponent("cache")
            var lock = Lockfile()

            let first = try await fetcher(cache).fetch(
                name: "a", location: try SourceLocation.parse(url, relativeTo: root), origin: url, lock: &lock,
                lockPath: "picolayer.lock")
            let expected = Hashing.sha256(payload)
            #expect(first.sha256 == expected)
            #expect(lock.hashes[url] == expected)
            #expect(try Data(contentsOf: first.url) == payload)
            let leftovers = try FileManager.default.contentsOfDirectory(
                atPath: cache.appendingPathComponent("downloads").path)
            #expect(leftovers == ["sha256-\(expected)"])

            server.stop()
            let second = try await fetcher(cache, .locked).fetch(
                name: "a", location: try SourceLocation.parse(url, relativeTo: root), origin: url, lock: &lock,
                lockPath: "picolayer.lock")
            #expect(second.url == first.url)
        }
    }

    @Test("a download whose hash differs from the lock is refused and not cached")
    func checksumMismatch() async throws {
        try await withTemporaryDirectory { root in
            let served = root.appendingPathComponent("served")
            try FileManager.default.createDirectory(at: served, withIntermediateDirectories: true)
            try Data("changed upstream\n".utf8).write(to: served.appendingPathComponent("a.tgz"))
            let server = try StaticServer(serving: served)
            defer { server.stop() }
            let url = server.url("a.tgz")
            let wrong = String(repeating: "0", count: 64)
            var lock = Lockfile(hashes: [url: wrong])
            let cache = root.appendingPathComponent("cache")
            await #expect(
                throws: BuildError.checksumMismatch(
                    url: url, expected: wrong, actual: Hashing.sha256(Data("changed upstream\n".utf8)))
            ) {
                try await fetcher(cache).fetch(
                    name: "a", location: .remote(try #require(URL(string: url))), origin: url, lock: &lock,
                    lockPath: "picolayer.lock")
            }
            #expect(lock.hashes[url] == wrong)
            let files = try FileManager.default.contentsOfDirectory(
                atPath: cache.appendingPathComponent("downloads").path)
            #expect(files.isEmpty)

            // --update accepts the new file and records it.
            let updated = try await fetcher(cache, .update).fetch(
                name: "a", location: .remote(try #require(URL(string: url))), origin: url, lock: &lock,
                lockPath: "picolayer.lock")
            #expect(lock.hashes[url] == updated.sha256)
        }
    }

    @Test("--locked refuses a URL missing from the lock; 404 and a closed port fail with the URL")
    func failures() async throws {
        try await withTemporaryDirectory { root in
            let served = root.appendingPathComponent("served")
            try FileManager.default.createDirectory(at: served, withIntermediateDirectories: true)
            let server = try StaticServer(serving: served)
            let missing = server.url("missing.tgz")
            var lock = Lockfile()
            let cache = root.appendingPathComponent("cache")
            await #expect(throws: BuildError.notLocked(url: missing, lockFile: "picolayer.lock")) {
                try await fetcher(cache, .locked).fetch(
                    name: "a", location: .remote(try #require(URL(string: missing))), origin: missing, lock: &lock,
                    lockPath: "picolayer.lock")
            }
            await #expect(throws: BuildError.downloadFailed(url: missing, reason: "HTTP 404")) {
                try await fetcher(cache).fetch(
                    name: "a", location: .remote(try #require(URL(string: missing))), origin: missing, lock: &lock,
                    lockPath: "picolayer.lock")
            }
            server.stop()
            // A closed port: the connection is refused, retried once, then reported.
            try await ClosedPort.with { port in
                let refused = "http://127.0.0.1:\(port)/missing.tgz"
                do {
                    _ = try await fetcher(cache).fetch(
                        name: "a", location: .remote(try #require(URL(string: refused))), origin: refused,
                        lock: &lock, lockPath: "picolayer.lock")
                    Issue.record("a closed port must fail")
                } catch let BuildError.downloadFailed(url, reason) {
                    #expect(url == refused)
                    #expect(!reason.isEmpty)
                }
            }
            #expect(lock.hashes.isEmpty)
        }
    }
}
