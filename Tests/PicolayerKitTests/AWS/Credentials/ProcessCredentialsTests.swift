import Foundation
import Testing

@testable import PicolayerKit

@Suite("credential_process")
struct ProcessCredentialsTests {
    /// Echoes its two arguments into the session token and an environment variable into the account id.
    static let goodScript = """
        #!/bin/sh
        cat <<JSON
        {"Version": 1, "AccessKeyId": "AKIAPROC", "SecretAccessKey": "proc-secret", "SessionToken": "$1|$2",
         "Expiration": "2023-11-15T00:00:00Z", "AccountId": "$PICOLAYER_TEST_ACCOUNT"}
        JSON
        """

    static func config(_ command: String) -> String {
        """
        [profile tool]
        region = eu-west-1
        credential_process = \(command)
        """
    }

    @Test("a real script: arguments split like a shell, the lookup's environment passed, the JSON read")
    func runsScript() async throws {
        try await withAWSHome { home in
            try FileManager.default.createDirectory(atPath: home + "/my tools", withIntermediateDirectories: true)
            try writeFile(Self.goodScript, named: "creds.sh", in: home + "/my tools", executable: true)
            try writeFile(
                Self.config("\"\(home)/my tools/creds.sh\" 'one arg' two\\ words"), named: ".aws/config", in: home)
            let lookup = credentialLookup(
                home: home, environment: ["AWS_PROFILE": "tool", "PICOLAYER_TEST_ACCOUNT": "111122223333"])
            let credentials = try await CredentialResolver().resolve(lookup)
            #expect(credentials.accessKeyId == "AKIAPROC")
            #expect(credentials.secretAccessKey == "proc-secret")
            #expect(credentials.sessionToken == "one arg|two words")
            #expect(credentials.accountId == "111122223333")
            #expect(credentials.expiration == AWSDate.parse("2023-11-15T00:00:00Z"))
            #expect(credentials.source.hasPrefix("credential_process of profile tool"))
        }
    }

    @Test("a failing command: its exit status and stderr are in the message, with the profile")
    func failingCommand() async throws {
        try await withAWSHome { home in
            let script = try writeFile(
                "#!/bin/sh\necho 'token expired, run vault login' >&2\nexit 3\n", named: "fail.sh", in: home,
                executable: true)
            try writeFile(Self.config(script), named: ".aws/config", in: home)
            let message = await errorMessage {
                _ = try await CredentialResolver().resolve(
                    credentialLookup(home: home, environment: [:], profile: "tool"))
            }
            #expect(message?.contains("exited with status 3: token expired, run vault login") == true)
            #expect(message?.contains("profile tool") == true)
            #expect(message?.contains("Run it yourself") == true)
        }
    }

    @Test(
        "output that is not Version 1 credentials is refused",
        arguments: [
            (#"{"Version": 2, "AccessKeyId": "A", "SecretAccessKey": "S"}"#, "\"Version\": 1"),
            (#"{"Version": 1, "AccessKeyId": "A"}"#, "no SecretAccessKey"),
            (#"{"Version": 1, "AccessKeyId": "A", "SecretAccessKey": "S", "Expiration": "soon"}"#, "Expiration 'soon'"),
            ("not json at all", "not a JSON object"),
        ])
    func badOutput(output: String, expected: String) async throws {
        try await withAWSHome { home in
            try writeFile(output, named: "out.json", in: home)
            try writeFile(Self.config("/bin/cat \(home)/out.json"), named: ".aws/config", in: home)
            let message = await errorMessage {
                _ = try await CredentialProvider.process.search(
                    credentialLookup(home: home, environment: [:], profile: "tool"))
            }
            #expect(message?.contains(expected) == true)
            #expect(message?.contains("credential_process of profile tool") == true)
        }
    }

    @Test("a command that does not finish in time is killed and reported")
    func timeout() async throws {
        try await withAWSHome { home in
            let script = try writeFile("#!/bin/sh\nexec sleep 30\n", named: "hang.sh", in: home, executable: true)
            let message = await errorMessage {
                _ = try await ProcessCredentials.credentials(
                    command: script, label: "profile hang", lookup: credentialLookup(home: home, environment: [:]),
                    timeout: .milliseconds(300))
            }
            #expect(message?.contains("did not finish within") == true)
            #expect(message?.contains("was killed") == true)
        }
    }

    @Test("a missing program and an unclosed quote say what to fix")
    func unusableCommand() async throws {
        try await withAWSHome { home in
            let lookup = credentialLookup(home: home, environment: [:])
            let missing = await errorMessage {
                _ = try await ProcessCredentials.credentials(
                    command: "no-such-credential-helper --json", label: "profile x", lookup: lookup)
            }
            #expect(missing?.contains("no-such-credential-helper was not found on PATH") == true)
            let quote = await errorMessage {
                _ = try await ProcessCredentials.credentials(
                    command: "helper 'open", label: "profile x", lookup: lookup)
            }
            #expect(quote?.contains("unclosed single quote") == true)
        }
    }

    @Test("no credential_process in the profile: a note, not an error")
    func notConfigured() async throws {
        try await withAWSHome(config: "[default]\nregion = us-east-1\n") { home in
            let (credentials, note) = try await CredentialProvider.process.search(
                credentialLookup(home: home, environment: [:]))
            #expect(credentials == nil)
            #expect(note == "profile default in \(home)/.aws/config has no credential_process")
        }
    }

    @Test(
        "shell-like splitting without a shell",
        arguments: [
            ("a b  c", ["a", "b", "c"]),
            ("'/opt/my tool/bin' --x", ["/opt/my tool/bin", "--x"]),
            (#""say \"hi\" \\ \n" end"#, [#"say "hi" \ \n"#, "end"]),
            (#"a\ b 'c\d' e"f"g"#, ["a b", #"c\d"#, "efg"]),
            ("'' x", ["", "x"]),
            ("$HOME;rm -rf /", ["$HOME;rm", "-rf", "/"]),
        ])
    func split(command: String, expected: [String]) throws {
        #expect(try ProcessCredentials.split(command) == expected)
    }
}
