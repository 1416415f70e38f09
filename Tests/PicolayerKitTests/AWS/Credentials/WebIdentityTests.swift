import Foundation
import Testing

@testable import PicolayerKit

@Suite("Web identity credentials")
struct WebIdentityTests {
    static func stsReply(keyId: String = "ASIAWEB") -> ScriptedServer.Reply {
        ScriptedServer.Reply(
            200, headers: [("Content-Type", "text/xml")],
            body: """
                <AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>\
                <AccessKeyId>\(keyId)</AccessKeyId><SecretAccessKey>web-secret</SecretAccessKey>\
                <SessionToken>web-token</SessionToken><Expiration>2023-11-14T23:13:20Z</Expiration></Credentials>\
                <AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/ci/s</Arn></AssumedRoleUser>\
                </AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>
                """)
    }

    /// The form fields of an STS request body.
    static func form(_ body: [UInt8]) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? "" }
            if parts.count == 2 { fields[parts[0]] = parts[1] }
        }
        return fields
    }

    @Test("real moto: the token is exchanged unsigned and the credentials it gives pass moto's signature check")
    func motoRoundTrip() async throws {
        try await MotoServer.with(regions: ["us-east-1"]) { moto in
            try await withAWSHome { home in
                try moto.allowUnsignedRequests(1)
                let tokenFile = try writeFile("header.payload.signature", named: "oidc-token", in: home)
                let env = [
                    "AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile, "AWS_ROLE_ARN": MotoServer.deployerRoleArn,
                    "AWS_ENDPOINT_URL_STS": moto.endpoint, "AWS_REGION": "us-east-1",
                ]
                var lookup = credentialLookup(home: home, environment: env)
                lookup.timing = .live
                let credentials = try await CredentialResolver().resolve(lookup)
                #expect(credentials.source.hasPrefix("web identity (\(MotoServer.deployerRoleArn)"))
                #expect(credentials.sessionToken != nil)
                #expect(credentials.expiration != nil)

                let sts = try STSClient.regional(
                    region: "us-east-1", credentials: .fixed(credentials), environment: lookup.context.environment,
                    transport: .live())
                let identity = try await sts.getCallerIdentity()
                #expect(identity.arn.contains("assumed-role/picolayer-deployer"))
                #expect(identity.account == MotoServer.account)
            }
        }
    }

    @Test("the request is unsigned, the session name defaults to picolayer-<clock>, the token file is re-read")
    func rereadsTokenFile() async throws {
        try await ScriptedServer.with(replies: [Self.stsReply(), Self.stsReply(keyId: "ASIASECOND")]) { server in
            try await withAWSHome { home in
                let tokenFile = try writeFile("first-token\n", named: "token", in: home)
                let env = [
                    "AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile, "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/ci",
                    "AWS_ENDPOINT_URL_STS": server.endpoint,
                ]
                let lookup = credentialLookup(home: home, environment: env)
                let (first, _) = try await CredentialProvider.webIdentity.search(lookup)
                try writeFile("second-token", named: "token", in: home)
                let (second, _) = try await CredentialProvider.webIdentity.search(lookup)

                #expect(first?.accessKeyId == "ASIAWEB")
                #expect(second?.accessKeyId == "ASIASECOND")
                #expect(first?.expiration == Date(timeIntervalSince1970: 1_700_003_600))
                #expect(first?.accountId == "123456789012")
                let requests = server.received
                try #require(requests.count == 2)
                #expect(requests[0].header("Authorization") == nil)
                let fields = requests.map { Self.form($0.body) }
                #expect(fields[0]["Action"] == "AssumeRoleWithWebIdentity")
                #expect(fields[0]["WebIdentityToken"] == "first-token")
                #expect(fields[1]["WebIdentityToken"] == "second-token")
                #expect(fields[0]["RoleSessionName"] == "picolayer-1700000000")
                #expect(fields[0]["RoleArn"] == "arn:aws:iam::123456789012:role/ci")
            }
        }
    }

    struct PrecedenceCase: Sendable, CustomTestStringConvertible {
        var name: String
        var environment: [String: String]
        var config: String
        var explicitProfile: String?
        /// Expected role ARN, session name and token ("" when the provider must not call STS).
        var roleArn: String
        var sessionName: String
        var token: String
        var testDescription: String { name }
    }

    static let precedence: [PrecedenceCase] = [
        PrecedenceCase(
            name: "environment only", environment: ["AWS_ROLE_ARN": "arn:env", "AWS_ROLE_SESSION_NAME": "env-session"],
            config: "", roleArn: "arn:env", sessionName: "env-session", token: "env-token"),
        PrecedenceCase(
            name: "profile only, oddly spaced", environment: ["AWS_WEB_IDENTITY_TOKEN_FILE": ""],
            config: """
                # comment
                [default]
                  Web_Identity_Token_File =   {HOME}/profile-token
                role_arn=arn:profile
                role_session_name = profile-session
                """, roleArn: "arn:profile", sessionName: "profile-session", token: "profile-token"),
        PrecedenceCase(
            name: "env token file with the profile's role", environment: [:],
            config: """
                [default]
                role_arn = arn:profile
                """, roleArn: "arn:profile", sessionName: "picolayer-1700000000", token: "env-token"),
        PrecedenceCase(
            name: "env role beats the profile's, one key at a time", environment: ["AWS_ROLE_ARN": "arn:env"],
            config: """
                [default]
                web_identity_token_file = {HOME}/profile-token
                role_arn = arn:profile
                role_session_name = profile-session
                """, roleArn: "arn:env", sessionName: "profile-session", token: "env-token"),
        PrecedenceCase(
            name: "--profile switches the environment off", environment: ["AWS_ROLE_ARN": "arn:env"],
            config: """
                [profile ci]
                web_identity_token_file = {HOME}/profile-token
                role_arn = arn:ci
                """, explicitProfile: "ci", roleArn: "arn:ci", sessionName: "picolayer-1700000000",
            token: "profile-token"),
        PrecedenceCase(
            name: "AWS_PROFILE does not switch the environment off",
            environment: ["AWS_PROFILE": "ci", "AWS_ROLE_ARN": "arn:env"],
            config: """
                [profile ci]
                role_arn = arn:ci
                """, roleArn: "arn:env", sessionName: "picolayer-1700000000", token: "env-token"),
        PrecedenceCase(
            name: "role_arn with source_profile is the assume role provider's", environment: [:],
            config: """
                [default]
                role_arn = arn:chained
                source_profile = base
                """, roleArn: "", sessionName: "", token: ""),
    ]

    @Test("environment and profile keys combine as the AWS CLI does", arguments: precedence)
    func precedenceTable(_ entry: PrecedenceCase) async throws {
        try await ScriptedServer.with(replies: [Self.stsReply()]) { server in
            try await withAWSHome(config: nil) { home in
                let envToken = try writeFile("env-token", named: "env-token", in: home)
                try writeFile("profile-token", named: "profile-token", in: home)
                try writeFile(
                    entry.config.replacingOccurrences(of: "{HOME}", with: home), named: ".aws/config", in: home)
                var env = ["AWS_WEB_IDENTITY_TOKEN_FILE": envToken, "AWS_ENDPOINT_URL_STS": server.endpoint]
                env.merge(entry.environment) { $1 }
                let lookup = credentialLookup(home: home, environment: env, profile: entry.explicitProfile)
                let (credentials, note) = try await CredentialProvider.webIdentity.search(lookup)
                if entry.roleArn.isEmpty {
                    #expect(credentials == nil)
                    #expect(note.contains("source_profile"))
                    #expect(server.received.isEmpty)
                    return
                }
                #expect(credentials?.accessKeyId == "ASIAWEB")
                let fields = Self.form(try #require(server.received.first).body)
                #expect(fields["RoleArn"] == entry.roleArn)
                #expect(fields["RoleSessionName"] == entry.sessionName)
                #expect(fields["WebIdentityToken"] == entry.token)
            }
        }
    }

    @Test("a source profile's own web identity keys feed its role; the environment's variables do not apply")
    func sourceProfile() async throws {
        let replies = [Self.stsReply(), Self.stsReply(keyId: "ASIAOUTER")]
        try await ScriptedServer.with(replies: replies) { server in
            try await withAWSHome { home in
                let token = try writeFile("base-token", named: "token", in: home)
                try writeFile(
                    """
                    [profile base]
                    web_identity_token_file = \(token)
                    role_arn = arn:base

                    [profile outer]
                    role_arn = arn:outer
                    source_profile = base
                    """, named: ".aws/config", in: home)
                // Neither variable may be used for the source profile: the token file named here does not exist.
                let lookup = credentialLookup(
                    home: home,
                    environment: [
                        "AWS_ENDPOINT_URL_STS": server.endpoint, "AWS_ROLE_ARN": "arn:env",
                        "AWS_WEB_IDENTITY_TOKEN_FILE": home + "/no-such-token",
                    ],
                    profile: "outer")
                let credentials = try await CredentialResolver().resolve(lookup)
                #expect(credentials.accessKeyId == "ASIAOUTER")
                #expect(server.received.count == 2)
                let web = Self.form(try #require(server.received.first).body)
                #expect(web["Action"] == "AssumeRoleWithWebIdentity")
                #expect(web["RoleArn"] == "arn:base")
                #expect(web["WebIdentityToken"] == "base-token")
                let outer = try #require(server.received.last)
                #expect(Self.form(outer.body)["RoleArn"] == "arn:outer")
                #expect(outer.header("Authorization")?.contains("Credential=ASIAWEB/") == true)
            }
        }
    }

    @Test("nothing configured: the note names both the variables and the profile key")
    func notConfigured() async throws {
        try await withAWSHome { home in
            let (credentials, note) = try await CredentialProvider.webIdentity.search(
                credentialLookup(home: home, environment: ["AWS_ROLE_ARN": "arn:alone"]))
            #expect(credentials == nil)
            #expect(note.contains("AWS_WEB_IDENTITY_TOKEN_FILE is not set"))
            #expect(note.contains("web_identity_token_file"))
        }
    }

    @Test("misconfigurations fail with what was tried and what to do")
    func failures() async throws {
        try await ScriptedServer.with(
            replies: [
                ScriptedServer.Reply(
                    400, headers: [("Content-Type", "text/xml")],
                    body: "<ErrorResponse><Error><Code>InvalidIdentityToken</Code>"
                        + "<Message>Token audience mismatch</Message></Error></ErrorResponse>")
            ]
        ) { server in
            try await withAWSHome { home in
                let token = try writeFile("some-token", named: "token", in: home)
                let noRole = await errorMessage {
                    _ = try await CredentialProvider.webIdentity.search(
                        credentialLookup(home: home, environment: ["AWS_WEB_IDENTITY_TOKEN_FILE": token]))
                }
                #expect(noRole?.contains("set AWS_ROLE_ARN or role_arn") == true)

                let missing = home + "/no-such-token"
                let unreadable = await errorMessage {
                    _ = try await CredentialProvider.webIdentity.search(
                        credentialLookup(
                            home: home,
                            environment: ["AWS_WEB_IDENTITY_TOKEN_FILE": missing, "AWS_ROLE_ARN": "arn:r"]))
                }
                #expect(unreadable?.contains(missing) == true)
                #expect(unreadable?.contains("cannot read the token file") == true)

                let refused = await errorMessage {
                    _ = try await CredentialProvider.webIdentity.search(
                        credentialLookup(
                            home: home,
                            environment: [
                                "AWS_WEB_IDENTITY_TOKEN_FILE": token, "AWS_ROLE_ARN": "arn:r",
                                "AWS_ENDPOINT_URL_STS": server.endpoint,
                            ]))
                }
                #expect(refused?.contains("InvalidIdentityToken") == true)
                #expect(refused?.contains("Token audience mismatch") == true)
                #expect(refused?.contains("trust policy") == true)
                #expect(refused?.contains("some-token") == false)
            }
        }
    }
}
