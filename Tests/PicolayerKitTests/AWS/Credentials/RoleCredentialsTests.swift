import Foundation
import NIOConcurrencyHelpers
import PicolayerKit
import Testing

/// The profiles the moto role tests use: `base` holds moto's IAM user keys; `deployer` and `chained` are roles.
func roleProfiles(_ moto: MotoServer) -> (credentials: String, config: String) {
    let credentials = """
        [base]
        aws_access_key_id = \(moto.credentials.accessKeyId)
        aws_secret_access_key = \(moto.credentials.secretAccessKey)
        """
    let config = """
        [profile deployer]
        role_arn = \(MotoServer.deployerRoleArn)
        source_profile = base
        role_session_name = ci-run
        region = us-east-1

        [profile chained]
        role_arn = \(MotoServer.deployerRoleArn)
        source_profile = deployer
        role_session_name = second-hop

        [profile short]
        role_arn = \(MotoServer.deployerRoleArn)
        source_profile = base
        duration_seconds = 900

        [profile from-env]
        role_arn = \(MotoServer.deployerRoleArn)
        credential_source = Environment
        """
    return (credentials, config)
}

/// Counts the STS actions a transport carries, passing every request on to `inner`.
final class STSActionCounter: Sendable {
    let counts = NIOLockedValueBox<[String: Int]>([:])

    func wrapping(_ inner: HTTPTransport) -> HTTPTransport {
        HTTPTransport { [counts] request in
            let body = String(decoding: request.body.literalBytes ?? [], as: UTF8.self)
            if let action = body.split(separator: "&").first(where: { $0.hasPrefix("Action=") }) {
                counts.withLockedValue { $0[String(action.dropFirst(7)), default: 0] += 1 }
            }
            return try await inner.send(request)
        }
    }

    func count(_ action: String) -> Int { counts.withLockedValue { $0[action, default: 0] } }
}

@Suite("Roles through STS AssumeRole against moto (signatures checked)")
struct RoleCredentialsTests {
    func lookup(home: String, profile: String?, moto: MotoServer, extra: [String: String] = [:]) -> CredentialLookup {
        let environment = ["AWS_ENDPOINT_URL_STS": moto.endpoint, "AWS_EC2_METADATA_DISABLED": "true"]
            .merging(extra) { $1 }
        return CredentialLookup(
            context: AWSConfigContext(environment: environment, homeDirectory: home, explicitProfile: profile),
            transport: .live())
    }

    @Test("source_profile: AssumeRole signed with the source keys; whoami shows the assumed role and the source")
    func sourceProfile() async throws {
        try await MotoServer.with(regions: ["us-east-1"]) { moto in
            let files = roleProfiles(moto)
            try await withAWSHome(credentials: files.credentials, config: files.config) { home in
                let lookup = lookup(home: home, profile: "deployer", moto: moto)
                let (source, first) = try await CredentialSource.resolvedNow(lookup)
                #expect(first.sessionToken != nil)
                #expect(first.expiration != nil)
                #expect(first.source.hasPrefix("assume role \(MotoServer.deployerRoleArn) (profile deployer, from "))
                #expect(first.source.contains(".aws/credentials [base]"))
                let report = try await WhoamiReport.fetch(
                    credentials: source, region: "us-east-1", endpointFlag: nil,
                    environment: lookup.context.environment, transport: .live())
                #expect(report.account == MotoServer.account)
                #expect(report.arn == "arn:aws:sts::\(MotoServer.account):assumed-role/picolayer-deployer/ci-run")
                #expect(report.source == first.source)
            }
        }
    }

    @Test("a chain of two roles: the second AssumeRole is signed with the first role's temporary keys")
    func chained() async throws {
        try await MotoServer.with(regions: ["us-east-1"]) { moto in
            let files = roleProfiles(moto)
            try await withAWSHome(credentials: files.credentials, config: files.config) { home in
                let counter = STSActionCounter()
                var lookup = lookup(home: home, profile: "chained", moto: moto)
                lookup.transport = counter.wrapping(.live())
                let (source, first) = try await CredentialSource.resolvedNow(lookup)
                #expect(counter.count("AssumeRole") == 2)
                #expect(first.source.contains("from assume role \(MotoServer.deployerRoleArn) (profile deployer"))
                let report = try await WhoamiReport.fetch(
                    credentials: source, region: "us-east-1", endpointFlag: nil,
                    environment: lookup.context.environment, transport: .live())
                #expect(report.arn.hasSuffix("assumed-role/picolayer-deployer/second-hop"))
            }
        }
    }

    @Test("credential_source = Environment under --profile; a wrong source key fails with AssumeRole's error")
    func credentialSourceEnvironment() async throws {
        try await MotoServer.with(regions: ["us-east-1"]) { moto in
            let files = roleProfiles(moto)
            try await withAWSHome(config: files.config) { home in
                let keys = [
                    "AWS_ACCESS_KEY_ID": moto.credentials.accessKeyId,
                    "AWS_SECRET_ACCESS_KEY": moto.credentials.secretAccessKey,
                ]
                let good = try await CredentialResolver().resolve(
                    lookup(home: home, profile: "from-env", moto: moto, extra: keys))
                #expect(good.source.hasSuffix("from environment)"))

                var wrong = keys
                wrong["AWS_SECRET_ACCESS_KEY"] = moto.credentials.secretAccessKey + "x"
                let error = await #expect(throws: AWSError.self) {
                    try await CredentialResolver().resolve(
                        lookup(home: home, profile: "from-env", moto: moto, extra: wrong))
                }
                let text = error?.localizedDescription ?? ""
                #expect(text.contains("AssumeRole \(MotoServer.deployerRoleArn) failed"))
                #expect(text.contains("SignatureDoesNotMatch"))
                #expect(!text.contains(wrong["AWS_SECRET_ACCESS_KEY"] ?? "?"))
            }
        }
    }

    @Test("an SSO profile as source_profile: portal credentials, then AssumeRole with them (aws-cdk#19897)")
    func ssoAsSource() async throws {
        try await MotoServer.with(regions: ["us-east-1"]) { moto in
            let portal: @Sendable (ScriptedServer.Received) -> ScriptedServer.Reply = { request in
                guard request.header("x-amz-sso_bearer_token") == "cached-token" else {
                    return .init(401, body: #"{"message":"Session token not found or invalid"}"#)
                }
                return .init(
                    200, headers: [("Content-Type", "application/json")],
                    body: """
                        {"roleCredentials":{"accessKeyId":"\(moto.credentials.accessKeyId)",\
                        "secretAccessKey":"\(moto.credentials.secretAccessKey)","expiration":4102444800000}}
                        """)
            }
            let config = """
                [profile sso-dev]
                sso_session = corp
                sso_account_id = \(MotoServer.account)
                sso_role_name = Developer

                [sso-session corp]
                sso_start_url = https://d-0000000000.awsapps.com/start
                sso_region = eu-central-1

                [profile release]
                role_arn = \(MotoServer.deployerRoleArn)
                source_profile = sso-dev
                role_session_name = from-sso
                """
            try await ScriptedServer.with(route: portal) { server in
                try await withAWSHome(config: config) { home in
                    // `aws sso login --sso-session corp` caches the token under SHA-1("corp") (`printf corp | sha1sum`).
                    let cache = home + "/.aws/sso/cache"
                    try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
                    try #"{"accessToken": "cached-token", "expiresAt": "2099-01-01T00:00:00Z"}"#.write(
                        toFile: cache + "/ee0bfd2552fbd840c02cc48b6e823320543c450f.json", atomically: true,
                        encoding: .utf8)
                    let lookup = lookup(
                        home: home, profile: "release", moto: moto, extra: ["AWS_ENDPOINT_URL_SSO": server.endpoint])
                    let (source, first) = try await CredentialSource.resolvedNow(lookup)
                    #expect(first.source.contains("from SSO profile sso-dev"))
                    let report = try await WhoamiReport.fetch(
                        credentials: source, region: "us-east-1", endpointFlag: nil,
                        environment: lookup.context.environment, transport: .live())
                    #expect(report.arn.hasSuffix("assumed-role/picolayer-deployer/from-sso"))
                    #expect(server.received.count == 1)
                }
            }
        }
    }

    @Test("temporary credentials are refreshed during a multi-region publish once they near expiry")
    func refreshDuringPublish() async throws {
        let regions = ["us-east-1", "eu-west-1", "ap-south-1"]
        try await MotoServer.with(regions: regions) { moto in
            let files = roleProfiles(moto)
            try await withAWSHome(credentials: files.credentials, config: files.config) { home in
                try await withLayerFile(size: 10_000) { zipPath in
                    // The credential clock moves three minutes each time it is read: the 15-minute role
                    // credentials reach the five-minute refresh margin after a few requests.
                    let ticks = NIOLockedValueBox(0)
                    let start = Date()
                    let clock = AWSTiming(
                        now: {
                            start.addingTimeInterval(
                                180
                                    * Double(
                                        ticks.withLockedValue {
                                            $0 += 1; return $0
                                        }))
                        },
                        sleep: { try await Task.sleep(for: $0) }, random: { 0.5 })
                    let counter = STSActionCounter()
                    var lookup = lookup(home: home, profile: "short", moto: moto)
                    lookup.transport = counter.wrapping(.live())
                    lookup.timing = clock
                    let credentials = CredentialSource.resolving(lookup)
                    let configuration = PublishConfiguration(
                        zipPath: zipPath, layerName: "refreshing", regions: regions, architecture: "x86_64",
                        endpointURL: moto.endpoint, maxConcurrency: 1)
                    let report = try await Publisher(
                        configuration: configuration, credentials: credentials, environment: [:], transport: .live()
                    ).run()
                    #expect(report.results.map(\.status) == [.published, .published, .published])
                    #expect(counter.count("AssumeRole") >= 2, "credentials were never refreshed")
                    for region in regions {
                        #expect(try moto.state(region: region, layer: "refreshing").versions.count == 1)
                    }
                }
            }
        }
    }

    @Test("picolayer whoami through a role profile, as text and JSON; no credentials exits 1 with the list")
    func whoamiCommand() async throws {
        try await MotoServer.with(regions: ["us-east-1"]) { moto in
            let files = roleProfiles(moto)
            try await withAWSHome(credentials: files.credentials, config: files.config) { home in
                let environment = [
                    "HOME": home, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
                    "AWS_ENDPOINT_URL": moto.endpoint, "AWS_EC2_METADATA_DISABLED": "true",
                ]
                let binary = try picolayerExecutable()
                let text = try await MotoServer.runCapturingFiles(
                    [binary, "whoami", "--profile", "deployer"], environment: environment)
                #expect(text.status == 0, "\(text.stderr)")
                #expect(text.stdout.contains("Account: \(MotoServer.account)"))
                #expect(text.stdout.contains("assumed-role/picolayer-deployer/ci-run"))
                #expect(text.stdout.contains("Source:  assume role \(MotoServer.deployerRoleArn) (profile deployer"))
                #expect(text.stdout.contains("Expires: "))

                let json = try await MotoServer.runCapturingFiles(
                    [binary, "whoami", "--profile", "chained", "--json"], environment: environment)
                #expect(json.status == 0, "\(json.stderr)")
                let decoded = try JSONDecoder().decode(WhoamiReport.self, from: Data(json.stdout.utf8))
                #expect(decoded.arn.hasSuffix("assumed-role/picolayer-deployer/second-hop"))
                #expect(decoded.account == MotoServer.account)

                let missing = try await MotoServer.runCapturingFiles(
                    [binary, "whoami", "--profile", "nobody"], environment: environment)
                #expect(missing.status == 1)
                #expect(missing.stderr.contains("no AWS credentials found"))
                #expect(missing.stderr.contains("assume role: "))
                #expect(missing.stderr.contains("EC2 instance metadata"))
            }
        }
    }
}
