import Foundation
import PicolayerKit

/// The environment every credential test starts from: instance metadata switched off, so that no test reaches
/// 169.254.169.254, and a fixed PATH for the child processes of `credential_process`.
let quietEnvironment = ["AWS_EC2_METADATA_DISABLED": "true", "PATH": "/usr/local/bin:/usr/bin:/bin"]

/// A lookup over `home` with the fixed test clock (2023-11-14T22:13:20Z) and the real HTTP transport.
func credentialLookup(
    home: String, environment: [String: String], profile: String? = nil, timing: FakeTiming = FakeTiming()
) -> CredentialLookup {
    CredentialLookup(
        context: AWSConfigContext(
            environment: quietEnvironment.merging(environment) { $1 }, homeDirectory: home, explicitProfile: profile),
        transport: .live(), timing: timing.timing)
}

/// Writes `text` to `name` under `directory` and answers its path; `executable` sets mode 0755.
@discardableResult
func writeFile(_ text: String, named name: String, in directory: String, executable: Bool = false) throws -> String {
    let path = directory + "/" + name
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    if executable { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path) }
    return path
}

/// The message of the error `body` throws, `nil` when it throws nothing.
func errorMessage(_ body: () async throws -> Void) async -> String? {
    do {
        try await body()
        return nil
    } catch {
        return error.localizedDescription
    }
}
