import Foundation
import PicolayerKit
import Testing

/// A temporary home directory with optional `.aws/credentials` and `.aws/config`, removed afterwards.
func withAWSHome<T>(
    credentials: String? = nil, config: String? = nil, _ body: (String) async throws -> T
) async throws -> T {
    let home = FileManager.default.temporaryDirectory.appendingPathComponent("picolayer-aws-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: home.appendingPathComponent(".aws"), withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: home) }
    if let credentials {
        try credentials.write(to: home.appendingPathComponent(".aws/credentials"), atomically: true, encoding: .utf8)
    }
    if let config {
        try config.write(to: home.appendingPathComponent(".aws/config"), atomically: true, encoding: .utf8)
    }
    return try await body(home.path)
}

@Suite("Credentials, region and endpoints")
struct CredentialsTests {
    let credentialsFile = """
        [default]
        aws_access_key_id = AKIADEFAULT
        aws_secret_access_key = default-secret

        # a comment
        [dev]
        aws_access_key_id=AKIADEV
        aws_secret_access_key=dev-secret
        aws_session_token = dev-token
        """
    let configFile = """
        [default]
        region = eu-west-1

        [profile dev]
        region = eu-central-1
        aws_access_key_id = AKIACONFIGDEV
        aws_secret_access_key = config-dev-secret

        [profile only-config]
        aws_access_key_id = AKIAONLYCONFIG
        aws_secret_access_key = only-config-secret
        region = ap-south-1
        s3 =
            addressing_style = path

        [ignored]
        region = us-west-2
        """

    @Test("AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE move the files")
    func fileOverrides() async throws {
        try await withAWSHome(credentials: credentialsFile, config: configFile) { home in
            let env = [
                "AWS_SHARED_CREDENTIALS_FILE": "\(home)/nowhere", "AWS_CONFIG_FILE": "\(home)/.aws/config",
                "AWS_PROFILE": "dev",
            ]
            let found = try await CredentialResolver().resolve(
                CredentialLookup(context: AWSConfigContext(environment: env, homeDirectory: home)))
            #expect(found.accessKeyId == "AKIACONFIGDEV")
        }
    }

    @Test("nothing found lists every place searched, and no secret")
    func nothingFound() async throws {
        try await withAWSHome(config: configFile) { home in
            let context = AWSConfigContext(environment: ["AWS_PROFILE": "ignored"], homeDirectory: home)
            let error = await #expect(throws: AWSError.self) {
                try await CredentialResolver().resolve(CredentialLookup(context: context))
            }
            let text = error?.localizedDescription ?? ""
            #expect(text.contains("AWS_ACCESS_KEY_ID"))
            #expect(text.contains("\(home)/.aws/credentials does not exist"))
            #expect(text.contains("has no [profile ignored] section"))
            #expect(text.contains("--profile"))
        }
    }

    @Test("an access key without its secret is an error, not a fall-through")
    func partialEnvironment() async throws {
        let context = AWSConfigContext(environment: ["AWS_ACCESS_KEY_ID": "AKIAENV"], homeDirectory: "/nonexistent")
        await #expect(throws: AWSError.partialCredentials(source: "environment", missing: "AWS_SECRET_ACCESS_KEY")) {
            try await CredentialResolver().resolve(CredentialLookup(context: context))
        }
    }

    @Test("providers can be appended and report what they searched")
    func appendedProvider() async throws {
        let later = CredentialProvider(name: "imds") { _ in (nil, "no instance metadata service configured") }
        let resolver = CredentialResolver(providers: CredentialResolver.standardProviders + [later])
        let error = await #expect(throws: AWSError.self) {
            try await resolver.resolve(
                CredentialLookup(context: AWSConfigContext(environment: [:], homeDirectory: "/nonexistent")))
        }
        #expect(error?.localizedDescription.contains("imds: no instance metadata service configured") == true)
    }

    @Test("region: flag, AWS_REGION, AWS_DEFAULT_REGION, then the profile; bare [name] in config is no profile")
    func regionOrder() async throws {
        try await withAWSHome(config: configFile) { home in
            func region(_ flag: String?, _ env: [String: String]) throws -> String {
                try RegionResolver.resolve(flag: flag, context: AWSConfigContext(environment: env, homeDirectory: home))
            }
            let both = ["AWS_REGION": "us-east-2", "AWS_DEFAULT_REGION": "us-west-1"]
            let found = [
                try region("sa-east-1", both), try region(nil, both),
                try region(nil, ["AWS_DEFAULT_REGION": "us-west-1"]),
                try region(nil, [:]), try region(nil, ["AWS_PROFILE": "dev"]),
            ]
            #expect(found == ["sa-east-1", "us-east-2", "us-west-1", "eu-west-1", "eu-central-1"])
            #expect(throws: AWSError.self) { try region(nil, ["AWS_PROFILE": "ignored"]) }
        }
    }

    @Test("endpoints follow the partition and the override variables")
    func endpoints() async throws {
        func host(_ service: AWSService, _ region: String, _ flag: String? = nil, _ env: [String: String] = [:]) throws
            -> String
        {
            try EndpointResolver.endpoint(for: service, region: region, flag: flag, environment: env).description
        }
        #expect(try host(.lambda, "eu-central-1") == "https://lambda.eu-central-1.amazonaws.com")
        #expect(try host(.lambda, "cn-north-1") == "https://lambda.cn-north-1.amazonaws.com.cn")
        #expect(try host(.s3, "us-gov-west-1") == "https://s3.us-gov-west-1.amazonaws.com")
        let env = ["AWS_ENDPOINT_URL": "http://127.0.0.1:4566", "AWS_ENDPOINT_URL_LAMBDA": "http://127.0.0.1:9001/"]
        #expect(try host(.lambda, "us-east-1", nil, env) == "http://127.0.0.1:9001")
        #expect(try host(.s3, "us-east-1", nil, env) == "http://127.0.0.1:4566")
        #expect(try host(.s3, "us-east-1", "https://example.test:8443", env) == "https://example.test:8443")
        #expect(throws: AWSError.invalidEndpoint("ftp://x")) { try host(.s3, "us-east-1", "ftp://x") }
    }
}
