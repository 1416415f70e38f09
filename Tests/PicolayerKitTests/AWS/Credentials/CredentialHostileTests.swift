import Foundation
import NIOConcurrencyHelpers
import Testing

@testable import PicolayerKit

/// A transport that refuses to send anywhere but 127.0.0.1, so that a call leaking to a public host fails the
/// test instead of leaving the machine.
func loopbackOnly(_ inner: HTTPTransport = .live()) -> HTTPTransport {
    HTTPTransport { request in
        guard request.endpoint.host == "127.0.0.1" else {
            throw AWSError.transport(
                operation: "test", endpoint: request.endpoint.description, reason: "left the machine")
        }
        return try await inner.send(request)
    }
}

@Suite("credential files and settings that are hostile or broken")
struct CredentialHostileTests {
    @Test("an --env-file line that is not KEY=VALUE names the file and line, never what the line holds")
    func envFileSecretNotEchoed() {
        let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
        do {
            _ = try EnvironmentFile.parse("A=1\n\(secret)\n", file: "prod.env")
            Issue.record("the line was accepted")
        } catch {
            let message = error.localizedDescription
            #expect(message.contains("prod.env:2"))
            #expect(!message.contains(secret))
            #expect(!message.contains("wJalr"))
        }
    }

    @Test("garbage lines in ~/.aws/credentials are warned about once, by file and line, without their text")
    func garbageLinesWarned() async throws {
        let secret = "AKIAGARBAGE wJalrXUtnFEMI-pasted-without-key"
        try await withAWSHome(
            credentials: "stray = before any section\n[default]\naws_access_key_id = AKIAOK\n\(secret)\n"
                + "aws_secret_access_key = s\n"
        ) { home in
            let path = home + "/.aws/credentials"
            let warnings = NIOLockedValueBox<[String]>([])
            let cache = AWSConfigFileCache { line in warnings.withLockedValue { $0.append(line) } }
            let file = try cache.file(at: path)
            _ = try cache.file(at: path)
            #expect(file.sections["default"]?["aws_secret_access_key"] == "s")
            #expect(file.ignoredLines.map(\.line) == [1, 4])
            let lines = warnings.withLockedValue { $0 }
            #expect(lines.count == 2)
            #expect(lines.first?.contains("\(path):1: a setting before any [section]") == true)
            #expect(lines.last?.contains("\(path):4: not `[section]`, `key = value` or a comment") == true)
            #expect(lines.allSatisfy { !$0.contains("AKIAGARBAGE") && !$0.contains("before any section") })
        }
    }

    @Test("picolayer whoami warns on stderr about a garbage line of ~/.aws/credentials, naming file and line")
    func garbageLineWarnedByTheCommand() async throws {
        let answer: @Sendable (ScriptedServer.Received) -> ScriptedServer.Reply = { _ in
            .init(
                200,
                body: "<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::111122223333:user/t</Arn>"
                    + "<UserId>AIDA</UserId><Account>111122223333</Account></GetCallerIdentityResult>"
                    + "</GetCallerIdentityResponse>")
        }
        try await ScriptedServer.with(route: answer) { server in
            try await withAWSHome(
                credentials: "[default]\naws_access_key_id = AKIAOK\nsecret-pasted-alone\naws_secret_access_key = s\n"
            ) { home in
                let run = try await runTool(
                    [try picolayerExecutable(), "whoami", "--endpoint-url", server.endpoint],
                    environment: ["PATH": "/usr/bin:/bin", "HOME": home, "AWS_EC2_METADATA_DISABLED": "true"])
                #expect(run.status == 0, "\(run.stderr)")
                #expect(run.stdout.contains("111122223333"))
                #expect(run.stderr.contains("warning: \(home)/.aws/credentials:3: not `[section]`"), "\(run.stderr)")
                #expect(!run.stderr.contains("secret-pasted-alone"))
            }
        }
    }

    @Test("a 600-deep source_profile chain stops at the depth limit quickly, naming the limit")
    func deepChain() async throws {
        var config = ""
        for index in 0..<600 {
            config += "[profile p\(index)]\nrole_arn = arn:aws:iam::111122223333:role/r\(index)\n"
            config += "source_profile = p\(index + 1)\n\n"
        }
        config += "[profile p600]\naws_access_key_id = AKIABASE\naws_secret_access_key = s\n"
        try await withAWSHome(config: config) { home in
            var lookup = credentialLookup(home: home, environment: [:], profile: "p0")
            lookup.transport = loopbackOnly(stsStandIn)
            let started = ContinuousClock.now
            let message = await errorMessage { _ = try await CredentialResolver().resolve(lookup) }
            #expect(ContinuousClock.now - started < .seconds(5))
            #expect(message?.contains("more than \(CredentialLookup.maxSourceProfileDepth) profiles deep") == true)
            #expect(message?.contains("profile p0") == true)
        }
    }

    @Test("AssumeRole goes to --endpoint-url (and AWS_ENDPOINT_URL_STS), never to the public STS host")
    func assumeRoleEndpoint() async throws {
        let config = """
            [profile base]
            aws_access_key_id = AKIABASE
            aws_secret_access_key = base-secret

            [profile deployer]
            role_arn = arn:aws:iam::111122223333:role/deployer
            source_profile = base
            region = eu-west-1
            """
        let answer: @Sendable (ScriptedServer.Received) -> ScriptedServer.Reply = { request in
            let form = String(decoding: request.body, as: UTF8.self)
            guard form.contains("Action=AssumeRole") else { return .init(400, body: "unexpected \(form)") }
            return .init(
                200,
                body: """
                    <AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIALOCAL</AccessKeyId>\
                    <SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken>\
                    <Expiration>2030-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>
                    """)
        }
        try await ScriptedServer.with(route: answer) { server in
            try await withAWSHome(config: config) { home in
                for useFlag in [true, false] {
                    var lookup = credentialLookup(
                        home: home, environment: useFlag ? [:] : ["AWS_ENDPOINT_URL_STS": server.endpoint],
                        profile: "deployer")
                    lookup.transport = loopbackOnly()
                    if useFlag { lookup.endpointURL = server.endpoint }
                    let credentials = try await CredentialResolver().resolve(lookup)
                    #expect(credentials.accessKeyId == "ASIALOCAL")
                }
                #expect(server.received.count == 2)
                #expect(server.received.allSatisfy { $0.header("Authorization")?.contains("AKIABASE/") == true })
            }
        }
    }
}
