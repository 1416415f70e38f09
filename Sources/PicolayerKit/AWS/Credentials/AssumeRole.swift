import Foundation

extension CredentialProvider {
    /// `role_arn` with `source_profile` or `credential_source` in the profile: STS AssumeRole. (issue 7: to do)
    public static let assumeRole = CredentialProvider(name: "assume role") { _ in (nil, "not implemented yet") }
}
