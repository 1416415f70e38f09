import Foundation
import NIOConcurrencyHelpers
import Testing

@testable import PicolayerKit

@Suite("Container credentials")
struct ContainerCredentialsTests {
    static let document = """
        {"AccessKeyId":"ASIATASK","SecretAccessKey":"task-secret","Token":"task-token",\
        "Expiration":"2023-11-15T00:00:00Z","RoleArn":"arn:aws:iam::123456789012:role/task"}
        """

    /// The endpoint: credentials at `/v2/credentials/abc` for the Authorization `secret-auth`, else 401.
    static func endpoint(_ request: ScriptedServer.Received) -> ScriptedServer.Reply {
        guard request.method == "GET", request.uri == "/v2/credentials/abc?id=1" else { return .init(404) }
        guard request.header("Authorization") == "secret-auth" else {
            return .init(401, body: "missing or wrong authorization")
        }
        return .init(200, headers: [("Content-Type", "application/json")], body: document)
    }

    @Test("FULL_URI on loopback with the token file: credentials read, the token sent as Authorization")
    func fullURIWithTokenFile() async throws {
        try await ScriptedServer.with(route: { Self.endpoint($0) }) { server in
            try await withAWSHome { home in
                let tokenFile = try writeFile("secret-auth", named: "auth", in: home)
                let env = [
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI": server.endpoint + "/v2/credentials/abc?id=1",
                    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": tokenFile,
                    // The file wins over the variable.
                    "AWS_CONTAINER_AUTHORIZATION_TOKEN": "wrong",
                ]
                let credentials = try await CredentialResolver().resolve(
                    credentialLookup(home: home, environment: env))
                #expect(credentials.accessKeyId == "ASIATASK")
                #expect(credentials.sessionToken == "task-token")
                #expect(credentials.expiration == AWSDate.parse("2023-11-15T00:00:00Z"))
                #expect(credentials.source.hasPrefix("container credentials (http://127.0.0.1:"))
                #expect(server.received.count == 1)
            }
        }
    }

    @Test("the token variable is used when there is no file; a wrong token fails after three attempts")
    func tokenVariableAndRetries() async throws {
        try await ScriptedServer.with(route: { Self.endpoint($0) }) { server in
            try await withAWSHome { home in
                let url = server.endpoint + "/v2/credentials/abc?id=1"
                let good = try await CredentialProvider.container.search(
                    credentialLookup(
                        home: home,
                        environment: [
                            "AWS_CONTAINER_CREDENTIALS_FULL_URI": url,
                            "AWS_CONTAINER_AUTHORIZATION_TOKEN": "secret-auth",
                        ]))
                #expect(good.0?.accessKeyId == "ASIATASK")

                let fake = FakeTiming()
                let message = await errorMessage {
                    _ = try await CredentialProvider.container.search(
                        credentialLookup(
                            home: home,
                            environment: [
                                "AWS_CONTAINER_CREDENTIALS_FULL_URI": url, "AWS_CONTAINER_AUTHORIZATION_TOKEN": "nope",
                            ], timing: fake))
                }
                #expect(message?.contains("3 attempts failed, the last with HTTP 401") == true)
                #expect(message?.contains("AWS_CONTAINER_CREDENTIALS_FULL_URI") == true)
                #expect(message?.contains("nope") == false)
                #expect(fake.sleeps.withLockedValue { $0 } == [.seconds(1), .seconds(1)])
                #expect(server.received.count == 4)
            }
        }
    }

    @Test("a transient failure is retried after a pause")
    func retriesThenSucceeds() async throws {
        let calls = NIOLockedValueBox(0)
        try await ScriptedServer.with(route: { _ in
            let call = calls.withLockedValue { count -> Int in
                count += 1
                return count
            }
            return call < 3 ? .init(503, body: "busy") : .init(200, body: Self.document)
        }) { server in
            try await withAWSHome { home in
                let fake = FakeTiming()
                let (credentials, _) = try await CredentialProvider.container.search(
                    credentialLookup(
                        home: home, environment: ["AWS_CONTAINER_CREDENTIALS_FULL_URI": server.endpoint + "/creds"],
                        timing: fake))
                #expect(credentials?.accessKeyId == "ASIATASK")
                #expect(server.received.count == 3)
                #expect(fake.sleeps.withLockedValue { $0 }.count == 2)
            }
        }
    }

    @Test(
        "plain http to another host, and a token with a line break, are refused before any request",
        arguments: [
            (["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://creds.example.com/v1"], "http is allowed only to loopback"),
            (["AWS_CONTAINER_CREDENTIALS_FULL_URI": "ftp://127.0.0.1/x"], "is not an http(s) URL"),
            (
                [
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:9/creds",
                    "AWS_CONTAINER_AUTHORIZATION_TOKEN": "abc\r\nX-Injected: 1",
                ], "contains a line break"
            ),
        ])
    func refused(environment: [String: String], expected: String) async throws {
        try await withAWSHome { home in
            let message = await errorMessage {
                _ = try await CredentialProvider.container.search(
                    credentialLookup(home: home, environment: environment))
            }
            #expect(message?.contains(expected) == true)
        }
    }

    @Test(
        "which full URIs are accepted",
        arguments: [
            ("https://creds.example.com/v1", true), ("http://localhost:8080/x", true), ("http://127.0.0.2/x", true),
            ("http://[::1]:8080/x", true), ("http://169.254.170.2/v2", true), ("http://169.254.170.23/v1", true),
            ("http://[fd00:ec2::23]/v1", true), ("http://169.254.169.254/x", false), ("http://10.0.0.1/x", false),
            ("http://127.evil.example/x", false), ("http://[::ffff:127.0.0.1]/x", true),
        ])
    func acceptedURIs(url: String, accepted: Bool) {
        let parsed = try? ContainerCredentials.parse(url, variable: "AWS_CONTAINER_CREDENTIALS_FULL_URI")
        #expect((parsed != nil) == accepted)
    }

    @Test("the relative URI is joined to 169.254.170.2 (shown by the URI check, no request made)")
    func relativeURI() throws {
        let target = try ContainerCredentials.parse(
            "http://\(ContainerCredentials.ecsHost)/v2/credentials/abc", variable: "X")
        #expect(target.endpoint.description == "http://169.254.170.2")
        #expect(target.path == "/v2/credentials/abc")
    }

    @Test("nothing set: a note naming both variables")
    func notConfigured() async throws {
        try await withAWSHome { home in
            let (credentials, note) = try await CredentialProvider.container.search(
                credentialLookup(home: home, environment: [:]))
            #expect(credentials == nil)
            #expect(note == "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and AWS_CONTAINER_CREDENTIALS_FULL_URI are not set")
        }
    }
}
