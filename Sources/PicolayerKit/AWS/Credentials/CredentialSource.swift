import FoundationEssentials

/// Where an `AWSClient` gets the credentials for each request. Asked once per attempt, so that temporary
/// credentials are refreshed in the middle of a long multi-region publish.
public struct CredentialSource: Sendable {
    public var current: @Sendable () async throws -> AWSCredentials

    public init(current: @escaping @Sendable () async throws -> AWSCredentials) {
        self.current = current
    }

    /// Always the same credentials (long-term keys, or tests).
    public static func fixed(_ credentials: AWSCredentials) -> CredentialSource {
        CredentialSource { credentials }
    }

    /// The chain resolved once and cached until five minutes before the credentials expire, then resolved again.
    public static func resolving(
        _ lookup: CredentialLookup, resolver: CredentialResolver = CredentialResolver()
    ) -> CredentialSource {
        let cache = CredentialCache(timing: lookup.timing) { try await resolver.resolve(lookup) }
        return CredentialSource { try await cache.credentials() }
    }

    /// Like `resolving`, but resolves at once, so that missing credentials fail before any work starts; answers
    /// the first credentials too (their `source` says which provider won).
    public static func resolvedNow(
        _ lookup: CredentialLookup, resolver: CredentialResolver = CredentialResolver()
    ) async throws -> (source: CredentialSource, first: AWSCredentials) {
        let source = resolving(lookup, resolver: resolver)
        return (source, try await source.current())
    }
}

/// Holds the last credentials fetched and fetches again once they are within `refreshMargin` of expiring.
/// Concurrent callers share one fetch. When a refresh fails but the old credentials have not expired yet, those
/// are used (the AWS SDKs do the same in their advisory refresh window).
public actor CredentialCache {
    /// Refresh this long before expiry (the AWS CLI's mandatory refresh window is 10 minutes before; its
    /// advisory one 15; picolayer's calls are short, so five minutes leaves ample room).
    public static let refreshMargin: TimeInterval = 300

    let timing: AWSTiming
    let fetch: @Sendable () async throws -> AWSCredentials
    var cached: AWSCredentials?
    var inFlight: Task<AWSCredentials, Error>?

    public init(timing: AWSTiming = .live, fetch: @escaping @Sendable () async throws -> AWSCredentials) {
        self.timing = timing
        self.fetch = fetch
    }

    public func credentials() async throws -> AWSCredentials {
        let now = timing.now()
        if let cached, !cached.expires(within: Self.refreshMargin, of: now) { return cached }
        if let inFlight { return try await inFlight.value }
        let task = Task { try await fetch() }
        inFlight = task
        defer { inFlight = nil }
        do {
            let fresh = try await task.value
            cached = fresh
            return fresh
        } catch {
            if let cached, !cached.expires(within: 0, of: timing.now()) { return cached }
            throw error
        }
    }
}

/// The time formats AWS credential sources use.
public enum AWSDate {
    /// ISO 8601 / RFC 3339 with or without fractional seconds, `Z` or an offset (`2026-11-24T12:00:00Z`,
    /// `2026-11-24T12:00:00.123+00:00`); also the `UTC` suffix that `aws sso login` writes in its cache.
    public static func parse(_ text: String) -> Date? {
        var value = text.trimmingWhitespace()
        if value.hasSuffix("UTC") { value = value.dropLast(3).trimmingWhitespace() + "Z" }
        for fractional in [false, true] {
            let style = Date.ISO8601FormatStyle(includingFractionalSeconds: fractional)
            if let date = try? style.parse(value) { return date }
        }
        return nil
    }

    /// `2026-11-24T12:00:00Z`.
    public static func format(_ date: Date) -> String {
        date.ISO8601Format(Date.ISO8601FormatStyle())
    }
}
