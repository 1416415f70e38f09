import Foundation

extension CredentialProvider {
    /// Stand-in until the provider lands (issue 7).
    public static let webIdentity = CredentialProvider(name: "web identity") { _ in (nil, "not implemented yet") }
}
