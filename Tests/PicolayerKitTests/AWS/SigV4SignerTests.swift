import Crypto
import Foundation
import PicolayerKit
import Testing

@Suite("SigV4 signer against AWS's test vectors")
struct SigV4SignerTests {
    @Test("the vector folders are present and complete")
    func vectorsPresent() throws {
        let root = try #require(SigV4TestData.root, Comment(rawValue: SigV4TestData.missingMessage))
        #expect(
            FileManager.default.fileExists(atPath: root.appendingPathComponent("SOURCE.md").path),
            Comment(rawValue: SigV4TestData.missingMessage))
        #expect(SigV4TestData.classicCases.count == 34, Comment(rawValue: SigV4TestData.missingMessage))
        #expect(SigV4TestData.v4Cases.count == 38, Comment(rawValue: SigV4TestData.missingMessage))
    }

    @Test("classic suite: canonical request, string to sign and Authorization", arguments: SigV4TestData.classicCases)
    func classic(_ folder: String) throws {
        let name = (folder as NSString).lastPathComponent
        let base = "classic/\(folder)/\(name)"
        let raw = SigV4TestData.RawRequest(try SigV4TestData.text("\(base).req"))
        var credentials = SigV4TestData.suiteCredentials
        if name == "get-vanilla-with-session-token" {
            credentials.sessionToken = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"
        }
        let signer = SigV4Signer(
            credentials: credentials, region: "us-east-1", service: "service", pathRule: .encodeAgain(normalize: true),
            signsPayloadHeader: false)
        let signed = signer.sign(
            raw.signable, payloadHash: SigV4Signer.hexSHA256(raw.body), at: SigV4TestData.suiteDate)
        #expect(signed.canonicalRequest == (try SigV4TestData.text("\(base).creq")))
        #expect(signed.stringToSign == (try SigV4TestData.text("\(base).sts")))
        #expect(signed.authorization == (try SigV4TestData.text("\(base).authz")))
    }

    struct V4Context: Decodable {
        struct Credentials: Decodable {
            var access_key_id: String
            var secret_access_key: String
            var token: String?
        }
        var credentials: Credentials
        var normalize: Bool
        var region: String
        var service: String
        var sign_body: Bool
        var timestamp: String
        var omit_session_token: Bool?
    }

    @Test("aws-c-auth v4 suite: header signing with its context", arguments: SigV4TestData.v4Cases)
    func v4(_ name: String) throws {
        let base = "v4/\(name)"
        let context = try JSONDecoder().decode(
            V4Context.self, from: Data(try SigV4TestData.text("\(base)/context.json").utf8))
        let raw = SigV4TestData.RawRequest(try SigV4TestData.text("\(base)/request.txt"))
        let date = try #require(ISO8601DateFormatter().date(from: context.timestamp))
        let signer = SigV4Signer(
            credentials: AWSCredentials(
                accessKeyId: context.credentials.access_key_id, secretAccessKey: context.credentials.secret_access_key,
                sessionToken: context.credentials.token),
            region: context.region, service: context.service, pathRule: .encodeAgain(normalize: context.normalize),
            signsPayloadHeader: context.sign_body, signsSessionToken: !(context.omit_session_token ?? false))
        let signed = signer.sign(raw.signable, payloadHash: SigV4Signer.hexSHA256(raw.body), at: date)
        #expect(signed.canonicalRequest == (try SigV4TestData.text("\(base)/header-canonical-request.txt")))
        #expect(signed.stringToSign == (try SigV4TestData.text("\(base)/header-string-to-sign.txt")))
        #expect(signed.signature == (try SigV4TestData.text("\(base)/header-signature.txt")))
        let expected = try SigV4TestData.text("\(base)/header-signed-request.txt")
            .split(separator: "\n").first { $0.hasPrefix("Authorization:") }
        #expect(
            expected.map { $0.dropFirst("Authorization:".count).trimmingCharacters(in: .whitespaces) }
                == signed.authorization)
        if let token = context.credentials.token {
            #expect(signed.request.values(of: "X-Amz-Security-Token") == [token])
        }
    }

    @Test("Lambda path is encoded twice (v4-extra/double-url-encode)")
    func lambdaDoubleEncoding() throws {
        let base = "v4-extra/double-url-encode"
        let raw = SigV4TestData.RawRequest(try SigV4TestData.text("\(base)/request.txt"))
        let signer = SigV4Signer(
            credentials: SigV4TestData.suiteCredentials, region: "us-east-2", service: "lambda",
            signsPayloadHeader: false)
        let date = Date(timeIntervalSince1970: 1_620_747_645)  // 2021-05-11T15:40:45Z
        let signed = signer.sign(raw.signable, payloadHash: SigV4Signer.hexSHA256(raw.body), at: date)
        #expect(signed.canonicalRequest == (try SigV4TestData.text("\(base)/header-canonical-request.txt")))
        let sts = try SigV4TestData.text("\(base)/header-string-to-sign.txt")
        #expect(signed.stringToSign == sts.trimmingCharacters(in: .newlines))
        let expected = try SigV4TestData.text("\(base)/header-signed-request.txt")
            .split(separator: "\n").first { $0.hasPrefix("Authorization:") }
        #expect(
            expected.map { $0.dropFirst("Authorization:".count).trimmingCharacters(in: .whitespaces) }
                == signed.authorization)
        // The wire path is not touched: only the canonical form carries %253A.
        #expect(signed.request.path.contains("arn%3Aaws%3Alambda"))
    }

    struct S3Examples: Decodable {
        struct Example: Decodable {
            var name: String
            var method: String
            var path: String
            var query: String
            var headers: [[String]]
            var body: String
            var canonical_request: String
            var string_to_sign: String
            var signature: String
        }
        var access_key_id: String
        var secret_access_key: String
        var header_auth: [Example]
    }

    static let s3ExampleNames = ["get-object", "put-object", "get-bucket-lifecycle", "list-objects"]

    @Test("S3 documentation examples: single encoding and x-amz-content-sha256", arguments: s3ExampleNames)
    func s3(_ name: String) throws {
        let examples = try JSONDecoder().decode(
            S3Examples.self, from: Data(try SigV4TestData.text("s3-docs/s3-docs-examples.json").utf8))
        let example = try #require(examples.header_auth.first { $0.name == name })
        let signer = SigV4Signer(
            credentials: AWSCredentials(
                accessKeyId: examples.access_key_id, secretAccessKey: examples.secret_access_key),
            region: "us-east-1", service: "s3", pathRule: .s3, signsPayloadHeader: true)
        let request = SignableRequest(
            method: example.method, path: example.path, query: SigV4Signer.parseQuery(example.query),
            headers: example.headers.map { (name: $0[0], value: $0[1]) })
        let date = Date(timeIntervalSince1970: 1_369_353_600)  // 2013-05-24T00:00:00Z
        let signed = signer.sign(request, payloadHash: SigV4Signer.hexSHA256(Array(example.body.utf8)), at: date)
        #expect(signed.canonicalRequest == example.canonical_request)
        #expect(signed.stringToSign == example.string_to_sign)
        #expect(signed.signature == example.signature)
    }

    @Test("S3 canonical URI is the wire path; other services normalise and encode again")
    func pathRules() {
        let credentials = SigV4TestData.suiteCredentials
        let s3 = SigV4Signer(credentials: credentials, region: "us-east-1", service: "s3", pathRule: .s3)
        let lambda = SigV4Signer(credentials: credentials, region: "us-east-1", service: "lambda")
        #expect(s3.canonicalURI("/my-object//example//photo.user") == "/my-object//example//photo.user")
        #expect(s3.canonicalURI("/layers/a%20b%2Bc.zip") == "/layers/a%20b%2Bc.zip")
        #expect(lambda.canonicalURI("/a/./b/../c//d/") == "/a/c/d/")
        #expect(lambda.canonicalURI("/x/arn%3Aaws") == "/x/arn%253Aaws")
        #expect(SigV4Signer.uriEncode("a b+c/é~", keepSlash: false) == "a%20b%2Bc%2F%C3%A9~")
    }

    @Test("the Authorization header and the description never show the secret or the token")
    func noSecretsShown() {
        let credentials = AWSCredentials(
            accessKeyId: "AKIDEXAMPLE", secretAccessKey: "SECRET-VALUE-123", sessionToken: "TOKEN-VALUE-456",
            source: "test")
        let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "lambda")
        let signed = signer.sign(
            SignableRequest(method: "GET", path: "/", headers: [(name: "Host", value: "h")]),
            payloadHash: SigV4Signer.emptyPayloadHash, at: SigV4TestData.suiteDate)
        #expect(!signed.authorization.contains("SECRET-VALUE-123"))
        #expect(!signed.canonicalRequest.contains("SECRET-VALUE-123"))
        #expect(!"\(credentials)".contains("SECRET-VALUE-123"))
        #expect(!"\(credentials)".contains("TOKEN-VALUE-456"))
        #expect("\(credentials)".contains("AKIDEXAMPLE"))
    }
}
