import Foundation
import NIOConcurrencyHelpers
import PicolayerKit
import Testing

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    let now = NIOLockedValueBox(Date(timeIntervalSince1970: 1_800_000_000))

    func advance(_ seconds: TimeInterval) { now.withLockedValue { $0 = $0.addingTimeInterval(seconds) } }

    var timing: AWSTiming {
        AWSTiming(now: { [now] in now.withLockedValue { $0 } }, sleep: { _ in }, random: { 0.5 })
    }
}

@Suite("The credential cache: refresh five minutes before expiry")
struct CredentialCacheTests {
    /// Credentials numbered by fetch, valid for an hour from the clock's time.
    func numbered(_ clock: ManualClock, _ fetches: NIOLockedValueBox<Int>)
        -> @Sendable () async throws -> AWSCredentials
    {
        {
            let number = fetches.withLockedValue {
                $0 += 1; return $0
            }
            return AWSCredentials(
                accessKeyId: "ASIA\(number)", secretAccessKey: "s", sessionToken: "t", source: "test",
                expiration: clock.timing.now().addingTimeInterval(3600))
        }
    }

    @Test("kept until five minutes before expiry, then fetched again")
    func refreshWindow() async throws {
        let clock = ManualClock()
        let fetches = NIOLockedValueBox(0)
        let cache = CredentialCache(timing: clock.timing, fetch: numbered(clock, fetches))
        #expect(try await cache.credentials().accessKeyId == "ASIA1")
        clock.advance(3600 - 301)
        #expect(try await cache.credentials().accessKeyId == "ASIA1")
        clock.advance(2)
        #expect(try await cache.credentials().accessKeyId == "ASIA2")
        #expect(fetches.withLockedValue { $0 } == 2)
    }

    @Test("long-term keys are fetched once")
    func longTermOnce() async throws {
        let fetches = NIOLockedValueBox(0)
        let clock = ManualClock()
        let cache = CredentialCache(timing: clock.timing) {
            fetches.withLockedValue { $0 += 1 }
            return AWSCredentials(accessKeyId: "AKIA", secretAccessKey: "s", source: "test")
        }
        for _ in 0..<5 {
            _ = try await cache.credentials()
            clock.advance(86_400)
        }
        #expect(fetches.withLockedValue { $0 } == 1)
    }

    @Test("concurrent callers share one fetch")
    func sharedFetch() async throws {
        let clock = ManualClock()
        let fetches = NIOLockedValueBox(0)
        let slow = numbered(clock, fetches)
        let cache = CredentialCache(timing: clock.timing) {
            try await Task.sleep(for: .milliseconds(50))
            return try await slow()
        }
        let keys = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<8 { group.addTask { try await cache.credentials().accessKeyId } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(keys == ["ASIA1"])
        #expect(fetches.withLockedValue { $0 } == 1)
    }

    @Test("a failed refresh keeps credentials that have not expired yet; expired ones give the error")
    func failedRefresh() async throws {
        struct Down: Error {}
        let clock = ManualClock()
        let fetches = NIOLockedValueBox(0)
        let first = numbered(clock, fetches)
        let cache = CredentialCache(timing: clock.timing) {
            if fetches.withLockedValue({ $0 }) >= 1 { throw Down() }
            return try await first()
        }
        _ = try await cache.credentials()
        clock.advance(3600 - 60)
        #expect(try await cache.credentials().accessKeyId == "ASIA1")
        clock.advance(120)
        await #expect(throws: Down.self) { try await cache.credentials() }
    }
}
