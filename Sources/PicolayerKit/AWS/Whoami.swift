import FoundationEssentials
import Logging

/// What `picolayer whoami` prints: who STS says the credentials belong to, and where the chain found them.
public struct WhoamiReport: Sendable, Codable, Equatable {
    public var account: String
    public var arn: String
    public var userId: String
    /// The provider of the chain that answered, and where it looked (e.g. `environment`,
    /// `assume role arn:aws:iam::…:role/x (profile dev, from /home/u/.aws/credentials [base])`).
    public var source: String
    /// ISO 8601 expiry of temporary credentials, absent for long-term keys.
    public var expiration: String?
    public var region: String

    /// Calls STS GetCallerIdentity with `credentials` (signed; the call needs no permission).
    public static func fetch(
        credentials: CredentialSource, region: String, endpointFlag: String?, environment: [String: String],
        transport: HTTPTransport, timing: AWSTiming = .live, logger: Logger = .silent
    ) async throws -> WhoamiReport {
        let current = try await credentials.current()
        let context = AWSServiceContext(
            credentials: .fixed(current), environment: environment, endpointFlag: endpointFlag, transport: transport,
            timing: timing, logger: logger)
        let sts = STSClient(client: try context.client(for: .sts, region: region))
        let identity = try await sts.getCallerIdentity()
        return WhoamiReport(
            account: identity.account, arn: identity.arn, userId: identity.userId, source: current.source,
            expiration: current.expiration.map(AWSDate.format), region: region)
    }

    /// `Account`, `Arn`, `UserId`, `Source`, `Expires` lines, aligned.
    public func text(now: Date) -> String {
        var rows = [("Account", account), ("Arn", arn), ("UserId", userId), ("Source", source), ("Region", region)]
        if let expiration, let date = AWSDate.parse(expiration) {
            let minutes = Int(date.timeIntervalSince(now) / 60)
            rows.append(("Expires", "\(expiration) (\(minutes >= 0 ? "in \(minutes) min" : "expired"))"))
        }
        return rows.map { ($0.0 + ":").rightPadded(9) + $0.1 }
            .joined(separator: "\n")
    }

    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
