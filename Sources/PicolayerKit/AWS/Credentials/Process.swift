import Foundation

extension CredentialProvider {
    /// Stand-in until the provider lands (issue 7).
    public static let process = CredentialProvider(name: "credential_process") { _ in (nil, "not implemented yet") }
}
