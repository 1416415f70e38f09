import Foundation
import PicolayerKit
import Testing

/// One row of the precedence table: made-up files and environment, and which source must win.
struct PrecedenceCase: Sendable, CustomTestStringConvertible {
    var name: String
    var credentials: String? = nil
    var config: String? = nil
    var environment: [String: String] = [:]
    var profile: String? = nil
    /// The access key id that must come out, or `nil` when resolution must fail.
    var expectedKey: String?
    /// A piece of the winning `source` (or of the error message when `expectedKey` is nil).
    var expectedSource: String

    var testDescription: String { name }
}

/// Answers STS AssumeRole the way STS does, with a key that names the role and the key it was signed with, so
/// the table can see which source fed which role. Only for the precedence table; real STS behaviour is tested
/// against moto in RoleCredentialsTests.
let stsStandIn = HTTPTransport { request in
    let form = String(decoding: request.body.literalBytes ?? [], as: UTF8.self)
    let fields = Dictionary(
        form.split(separator: "&").map { pair -> (String, String) in
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? "" }
            return (parts[0], parts.count > 1 ? parts[1] : "")
        }, uniquingKeysWith: { first, _ in first })
    let authorization = request.headers.first { $0.name.lowercased() == "authorization" }?.value ?? ""
    let signer = authorization.components(separatedBy: "Credential=").last?.split(separator: "/").first ?? "none"
    let role = fields["RoleArn"]?.split(separator: "/").last ?? "?"
    let xml = """
        <AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIA-\(role)-via-\(signer)</AccessKeyId>\
        <SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken>\
        <Expiration>2030-01-01T00:00:00Z</Expiration></Credentials><AssumedRoleUser>\
        <Arn>arn:aws:sts::111122223333:assumed-role/\(role)/x</Arn></AssumedRoleUser></AssumeRoleResult>\
        </AssumeRoleResponse>
        """
    return HTTPResponse(status: 200, headers: [], body: Array(xml.utf8))
}

@Suite("Credential precedence over made-up config and credentials files")
struct CredentialPrecedenceTests {
    static let credentialsFile = """
        # keys per profile; the credentials file has no "profile " prefix
        [default]
        aws_access_key_id = AKIADEFAULT
        aws_secret_access_key = default-secret

        ; a semicolon comment
        [dev]
        AWS_ACCESS_KEY_ID=AKIADEV
        aws_secret_access_key   =   dev-secret	
        aws_session_token = dev-token

        [base]
        aws_access_key_id = AKIABASE
        aws_secret_access_key = base-secret

        [selfish]
        aws_access_key_id = AKIASELFISH
        aws_secret_access_key = selfish-secret

        [profile dev]
        aws_access_key_id = AKIANOTAPROFILE
        aws_secret_access_key = not-a-profile-in-this-file
        """

    static let configFile = """
        [default]
        region = eu-west-1

        [profile dev]
        region = eu-central-1
        aws_access_key_id = AKIACONFIGDEV
        aws_secret_access_key = config-dev-secret

        [profile   spaced   ]
        aws_access_key_id = AKIASPACED
        aws_secret_access_key = spaced-secret

        [cfgonly]
        aws_access_key_id = AKIABARESECTION
        aws_secret_access_key = bare-section-is-no-profile

        [profile deployer]
        role_arn = arn:aws:iam::111122223333:role/deployer
        source_profile = base

        [profile chained]
        role_arn = arn:aws:iam::111122223333:role/second
        source_profile = deployer

        [profile from-env]
        role_arn = arn:aws:iam::111122223333:role/envrole
        credential_source = Environment

        [profile selfish]
        role_arn = arn:aws:iam::111122223333:role/selfrole
        source_profile = selfish

        [profile loop-a]
        role_arn = arn:aws:iam::111122223333:role/a
        source_profile = loop-b

        [profile loop-b]
        role_arn = arn:aws:iam::111122223333:role/b
        source_profile = loop-a

        [profile both]
        role_arn = arn:aws:iam::111122223333:role/both
        source_profile = base
        credential_source = Environment

        [profile dangling]
        role_arn = arn:aws:iam::111122223333:role/dangling
        source_profile = nowhere

        [profile badsource]
        role_arn = arn:aws:iam::111122223333:role/bad
        credential_source = Laptop

        [profile mfa]
        role_arn = arn:aws:iam::111122223333:role/mfa
        source_profile = base
        mfa_serial = arn:aws:iam::111122223333:mfa/me

        [profile empty-source]
        role_arn = arn:aws:iam::111122223333:role/empty
        source_profile = keyless

        [profile keyless]
        region = us-west-2

        [sso-session corp]
        sso_start_url = https://corp.awsapps.com/start
        sso_region = eu-west-1
        """

    static let envKeys = ["AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "env-secret"]

    static let cases: [PrecedenceCase] = [
        PrecedenceCase(
            name: "environment keys beat AWS_PROFILE's keys",
            environment: envKeys.merging(["AWS_PROFILE": "dev"]) {
                $1
            }, expectedKey: "AKIAENV", expectedSource: "environment"),
        PrecedenceCase(
            name: "--profile switches the environment keys off", environment: envKeys, profile: "dev",
            expectedKey: "AKIADEV", expectedSource: "credentials [dev]"),
        PrecedenceCase(
            name: "no profile set: [default] of the credentials file", expectedKey: "AKIADEFAULT",
            expectedSource: "credentials [default]"),
        PrecedenceCase(
            name: "AWS_PROFILE beats AWS_DEFAULT_PROFILE",
            environment: ["AWS_PROFILE": "dev", "AWS_DEFAULT_PROFILE": "base"],
            expectedKey: "AKIADEV", expectedSource: "credentials [dev]"),
        PrecedenceCase(
            name: "AWS_DEFAULT_PROFILE alone selects the profile", environment: ["AWS_DEFAULT_PROFILE": "base"],
            expectedKey: "AKIABASE", expectedSource: "credentials [base]"),
        PrecedenceCase(
            name: "upper-case key names and odd spacing are read", profile: "dev", expectedKey: "AKIADEV",
            expectedSource: "credentials [dev]"),
        PrecedenceCase(
            name: "[profile   spaced   ] in the config file is profile spaced", profile: "spaced",
            expectedKey: "AKIASPACED", expectedSource: "config [spaced]"),
        PrecedenceCase(
            name: "a bare [name] in the config file is not a profile", profile: "cfgonly", expectedKey: nil,
            expectedSource: "has no [profile cfgonly] section"),
        PrecedenceCase(
            name: "role_arn + source_profile: AssumeRole signed with the source's keys", profile: "deployer",
            expectedKey: "ASIA-deployer-via-AKIABASE",
            expectedSource: "assume role arn:aws:iam::111122223333:role/deployer"),
        PrecedenceCase(
            name: "a chain of two roles", profile: "chained", expectedKey: "ASIA-second-via-ASIA-deployer-via-AKIABASE",
            expectedSource: "role/second (profile chained, from assume role"),
        PrecedenceCase(
            name: "credential_source = Environment reads the keys even under --profile", environment: envKeys,
            profile: "from-env", expectedKey: "ASIA-envrole-via-AKIAENV", expectedSource: "from environment"),
        PrecedenceCase(
            name: "a role beats static keys in the same profile; a self-source uses those keys", profile: "selfish",
            expectedKey: "ASIA-selfrole-via-AKIASELFISH", expectedSource: "profile selfish"),
        PrecedenceCase(
            name: "a source_profile loop is an error naming the loop", profile: "loop-a", expectedKey: nil,
            expectedSource: "loop-a -> loop-b -> loop-a"),
        PrecedenceCase(
            name: "source_profile and credential_source together is an error", profile: "both", expectedKey: nil,
            expectedSource: "both source_profile and credential_source"),
        PrecedenceCase(
            name: "a source_profile that does not exist is an error", profile: "dangling", expectedKey: nil,
            expectedSource: "source_profile nowhere is in neither"),
        PrecedenceCase(
            name: "an unknown credential_source is an error listing the valid ones", profile: "badsource",
            expectedKey: nil, expectedSource: "Environment, EcsContainer, Ec2InstanceMetadata"),
        PrecedenceCase(
            name: "mfa_serial says picolayer cannot prompt and what to run instead", profile: "mfa", expectedKey: nil,
            expectedSource: "aws configure export-credentials --profile mfa"),
        PrecedenceCase(
            name: "a source_profile without credentials lists what was searched in it", profile: "empty-source",
            expectedKey: nil,
            expectedSource: "it has no credentials. Searched:\n  - assume role: profile keyless has no role_arn"),
        PrecedenceCase(
            name: "an unknown profile lists every source searched", profile: "ghost", expectedKey: nil,
            expectedSource: "has no [profile ghost] section"),
    ]

    @Test("which source wins", arguments: cases)
    func precedence(_ row: PrecedenceCase) async throws {
        try await withAWSHome(credentials: Self.credentialsFile, config: Self.configFile) { home in
            var environment = row.environment
            environment["AWS_EC2_METADATA_DISABLED"] = "true"
            let lookup = CredentialLookup(
                context: AWSConfigContext(environment: environment, homeDirectory: home, explicitProfile: row.profile),
                transport: stsStandIn, timing: FakeTiming().timing)
            if let key = row.expectedKey {
                let found = try await CredentialResolver().resolve(lookup)
                #expect(found.accessKeyId == key)
                #expect(found.source.contains(row.expectedSource), "source was: \(found.source)")
            } else {
                let error = await #expect(throws: AWSError.self) { try await CredentialResolver().resolve(lookup) }
                let text = error?.localizedDescription ?? ""
                #expect(text.contains(row.expectedSource), "message was: \(text)")
                #expect(!text.contains("-secret"))
            }
        }
    }

    @Test("the missing-credentials message lists every provider of the chain, in order")
    func missingListsEverything() async throws {
        try await withAWSHome(config: "[profile other]\nregion = us-east-1\n") { home in
            let lookup = CredentialLookup(
                context: AWSConfigContext(
                    environment: ["AWS_EC2_METADATA_DISABLED": "true"], homeDirectory: home, explicitProfile: "nobody"),
                transport: stsStandIn, timing: FakeTiming().timing)
            let error = await #expect(throws: AWSError.self) { try await CredentialResolver().resolve(lookup) }
            let text = error?.localizedDescription ?? ""
            var position = text.startIndex
            for provider in CredentialResolver.standardProviders {
                let found = text.range(of: "- \(provider.name): ", range: position..<text.endIndex)
                #expect(found != nil, "\(provider.name) missing or out of order in:\n\(text)")
                position = found?.upperBound ?? position
            }
            #expect(text.contains("docs/credentials.md"))
        }
    }
}
