import Foundation
import Testing

@testable import PicolayerKit

@Suite("EC2 instance metadata credentials (IMDSv2)")
struct InstanceMetadataTests {
    static let sessionToken = "imds-session-token"

    /// IMDSv2: a token for a PUT with the TTL header; the metadata only with that token. `v1Only` refuses the PUT
    /// as an instance with IMDSv2 switched off does not (it answers 403/405 for the token route), `role` nil
    /// means no instance profile.
    static func imds(
        v1Only: Bool = false, role: String? = "picolayer-role", code: String = "Success"
    ) -> @Sendable (ScriptedServer.Received) -> ScriptedServer.Reply {
        { request in
            if request.uri == "/latest/api/token" {
                guard request.method == "PUT", !v1Only,
                    request.header("x-aws-ec2-metadata-token-ttl-seconds") == "21600"
                else { return .init(v1Only ? 403 : 400) }
                return .init(200, body: sessionToken)
            }
            guard request.method == "GET", request.header("x-aws-ec2-metadata-token") == sessionToken else {
                return .init(401)
            }
            switch request.uri {
            case "/latest/meta-data/iam/security-credentials/":
                return role.map { .init(200, body: "\($0)\n") } ?? .init(404)
            case "/latest/meta-data/iam/security-credentials/\(role ?? "")":
                return .init(
                    200,
                    body: """
                        {"Code":"\(code)","LastUpdated":"2023-11-14T22:00:00Z","Type":"AWS-HMAC",\
                        "AccessKeyId":"ASIAEC2","SecretAccessKey":"ec2-secret","Token":"ec2-token",\
                        "Expiration":"2023-11-15T04:00:00Z"}
                        """)
            default:
                return .init(404)
            }
        }
    }

    static func lookup(_ home: String, endpoint: String) -> CredentialLookup {
        credentialLookup(
            home: home,
            environment: ["AWS_EC2_METADATA_DISABLED": "false", "AWS_EC2_METADATA_SERVICE_ENDPOINT": endpoint])
    }

    @Test("token first, then the role name, then its credentials, each GET carrying the token")
    func imdsV2() async throws {
        try await ScriptedServer.with(route: Self.imds()) { server in
            try await withAWSHome { home in
                let credentials = try await CredentialResolver().resolve(Self.lookup(home, endpoint: server.endpoint))
                #expect(credentials.accessKeyId == "ASIAEC2")
                #expect(credentials.sessionToken == "ec2-token")
                #expect(credentials.expiration == AWSDate.parse("2023-11-15T04:00:00Z"))
                #expect(credentials.source == "EC2 instance metadata (\(server.endpoint), role picolayer-role)")
                #expect(server.received.map(\.method) == ["PUT", "GET", "GET"])
            }
        }
    }

    @Test("the test server itself refuses a GET without the token (so the test above can fail)")
    func serverChecksToken() async throws {
        try await ScriptedServer.with(route: Self.imds()) { server in
            let response = try await HTTPTransport.live().send(
                HTTPRequest(
                    endpoint: try AWSEndpoint(overrideURL: server.endpoint), method: "GET",
                    path: "/latest/meta-data/iam/security-credentials/", query: "", headers: [], body: .empty))
            #expect(response.status == 401)
        }
    }

    @Test("a refused token request means no IMDSv1 fallback: a note, and no GET is sent")
    func noV1Fallback() async throws {
        try await ScriptedServer.with(route: Self.imds(v1Only: true)) { server in
            try await withAWSHome { home in
                let (credentials, note) = try await CredentialProvider.instanceMetadata.search(
                    Self.lookup(home, endpoint: server.endpoint))
                #expect(credentials == nil)
                #expect(note.contains("refused the IMDSv2 token request (HTTP 403)"))
                #expect(note.contains("does not fall back to IMDSv1"))
                #expect(server.received.count == 1)
            }
        }
    }

    @Test("no instance profile: a note saying so")
    func noRole() async throws {
        try await ScriptedServer.with(route: Self.imds(role: nil)) { server in
            try await withAWSHome { home in
                let (credentials, note) = try await CredentialProvider.instanceMetadata.search(
                    Self.lookup(home, endpoint: server.endpoint))
                #expect(credentials == nil)
                #expect(note.contains("no IAM role is attached"))
            }
        }
    }

    @Test("a document whose Code is not Success is an error naming the code")
    func failedCode() async throws {
        try await ScriptedServer.with(route: Self.imds(code: "AssumeRoleUnauthorizedAccess")) { server in
            try await withAWSHome { home in
                let message = await errorMessage {
                    _ = try await CredentialProvider.instanceMetadata.search(
                        Self.lookup(home, endpoint: server.endpoint))
                }
                #expect(message?.contains("Code AssumeRoleUnauthorizedAccess") == true)
            }
        }
    }

    @Test("an endpoint that does not answer gives a note, not an error")
    func unreachable() async throws {
        try await ClosedPort.with { port in
            let closed = "http://127.0.0.1:\(port)"
            try await withAWSHome { home in
                let (credentials, note) = try await CredentialProvider.instanceMetadata.search(
                    Self.lookup(home, endpoint: closed))
                #expect(credentials == nil)
                #expect(note == "no answer from \(closed) (not on EC2, or the metadata service is unreachable)")
            }
        }
    }

    @Test(
        "the endpoint: the variable, else the IPv6 mode, else 169.254.169.254",
        arguments: [
            ([:], "http://169.254.169.254"),
            (["AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": "IPv6"], "http://[fd00:ec2::254]"),
            (["AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://[fd00:ec2::254]:80/"], "http://[fd00:ec2::254]"),
            (["AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:1338"], "http://127.0.0.1:1338"),
        ])
    func endpoint(environment: [String: String], expected: String) throws {
        let context = AWSConfigContext(environment: environment, homeDirectory: "/nonexistent")
        #expect(try InstanceMetadataCredentials.endpoint(context).description == expected)
    }

    @Test("nothing anywhere: the error lists every source tried, IMDS last")
    func nothingFound() async throws {
        try await withAWSHome { home in
            let message = await errorMessage {
                _ = try await CredentialResolver().resolve(credentialLookup(home: home, environment: [:]))
            }
            let text = try #require(message)
            #expect(text.hasPrefix("no AWS credentials found. Searched:"))
            for expected in [
                "web identity: AWS_WEB_IDENTITY_TOKEN_FILE is not set",
                "IAM Identity Center (SSO): ", "credential_process: ",
                "container credentials: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and",
                "EC2 instance metadata (IMDSv2): switched off by AWS_EC2_METADATA_DISABLED=true",
            ] {
                #expect(text.contains(expected), "\(expected)")
            }
            #expect(text.contains("see docs/credentials.md"))
        }
    }
}
