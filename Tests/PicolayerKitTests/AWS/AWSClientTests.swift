import Foundation
import NIOConcurrencyHelpers
import PicolayerKit
import Testing

/// Records requested sleeps instead of sleeping; the clock stands still at `now`.
final class FakeTiming: Sendable {
    let sleeps = NIOLockedValueBox<[Duration]>([])
    let now: Date

    init(now: Date = Date(timeIntervalSince1970: 1_700_000_000)) { self.now = now }

    var timing: AWSTiming {
        AWSTiming(
            now: { [now] in now }, sleep: { [sleeps] duration in sleeps.withLockedValue { $0.append(duration) } },
            random: { 0.5 })
    }
}

let testCredentials = AWSCredentials(
    accessKeyId: "AKIATESTKEY", secretAccessKey: "test-secret-never-shown", source: "test")

func lambdaClient(_ server: ScriptedServer, _ fake: FakeTiming) throws -> LambdaClient {
    LambdaClient(
        client: AWSClient(
            service: .lambda, region: "us-east-1", endpoint: try AWSEndpoint(overrideURL: server.endpoint),
            credentials: testCredentials, transport: .live(), timing: fake.timing))
}

@Suite("AWS HTTP behaviour against a scripted server")
struct AWSClientTests {
    static let layerJSON = """
        {"LayerArn":"arn:aws:lambda:us-east-1:123456789012:layer:demo","LayerVersionArn":"arn:aws:lambda:us-east-1:123456789012:layer:demo:7","Version":7,"Content":{"CodeSha256":"abc=","CodeSize":3}}
        """

    @Test("a JSON error with x-amzn-ErrorType and lower-case message becomes one readable line")
    func jsonErrorLowercase() async throws {
        let reply = ScriptedServer.Reply(
            400,
            headers: [
                ("x-amzn-ErrorType", "InvalidParameterValueException:http://internal.amazon.com/coral/"),
                ("x-amzn-RequestId", "req-123"), ("Content-Type", "application/json"),
            ],
            body: #"{"Type":"User","message":"Layer name is too long"}"#)
        try await ScriptedServer.with(replies: [reply]) { server in
            let fake = FakeTiming()
            let error = await #expect(throws: AWSError.self) {
                try await lambdaClient(server, fake).getLayerVersion(layerName: "demo", version: 1)
            }
            #expect(
                error?.localizedDescription
                    == "GetLayerVersion failed: InvalidParameterValueException (HTTP 400): Layer name is too long (request id req-123)"
            )
            #expect(server.received.count == 1)
            #expect(fake.sleeps.withLockedValue { $0 }.isEmpty)
        }
    }

    @Test("a JSON error with Message and the code only in __type is read too")
    func jsonErrorCapitalMessage() async throws {
        let reply = ScriptedServer.Reply(
            404, body: #"{"__type":"com.amazon#ResourceNotFoundException","Message":"Function not found: f"}"#)
        try await ScriptedServer.with(replies: [reply]) { server in
            let error = await #expect(throws: AWSError.self) {
                try await lambdaClient(server, FakeTiming()).getFunctionConfiguration(functionName: "f")
            }
            #expect(error?.serviceCode == "ResourceNotFoundException")
            #expect(error?.localizedDescription.contains("Function not found: f") == true)
        }
    }

    @Test("S3 XML errors and moto's XML ErrorResponse are parsed")
    func xmlErrors() {
        let s3 = Array(
            "<?xml version=\"1.0\"?><Error><Code>NoSuchBucket</Code><Message>The bucket &lt;b&gt; does not exist</Message></Error>"
                .utf8)
        let parsedS3 = AWSErrorParser.parse(status: 404, headers: [], body: s3)
        #expect(parsedS3.code == "NoSuchBucket")
        #expect(parsedS3.message == "The bucket <b> does not exist")
        let moto = Array(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><ErrorResponse><Errors><Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match</Message><Type>Sender</Type></Error></Errors></ErrorResponse>"
                .utf8)
        let parsedMoto = AWSErrorParser.parse(
            status: 403, headers: [(name: "Content-Type", value: "text/html")], body: moto)
        #expect(parsedMoto.code == "SignatureDoesNotMatch")
        #expect(parsedMoto.message == "The request signature we calculated does not match")
        let empty = AWSErrorParser.parse(status: 503, headers: [], body: [])
        #expect(empty.code == "ServiceUnavailable")
    }

    @Test("throttling with Retry-After waits that long, re-signs and succeeds")
    func throttlingRetryAfter() async throws {
        let throttled = ScriptedServer.Reply(
            429, headers: [("x-amzn-ErrorType", "TooManyRequestsException"), ("Retry-After", "2")],
            body: #"{"message":"Rate exceeded","Reason":"CallerRateLimitExceeded"}"#)
        try await ScriptedServer.with(replies: [throttled, .init(200, body: Self.layerJSON)]) { server in
            let fake = FakeTiming()
            let layer = try await lambdaClient(server, fake).getLayerVersion(layerName: "demo", version: 7)
            #expect(layer.version == 7)
            #expect(fake.sleeps.withLockedValue { $0 } == [.seconds(2)])
            #expect(server.received.count == 2)
            #expect(server.received.allSatisfy { $0.header("Authorization")?.hasPrefix("AWS4-HMAC-SHA256 ") == true })
        }
    }

    @Test("5xx answers are retried with jittered exponential backoff, at most 3 attempts")
    func serverErrorsRetried() async throws {
        let replies: [ScriptedServer.Reply] = [.init(503), .init(502), .init(200, body: Self.layerJSON)]
        try await ScriptedServer.with(replies: replies) { server in
            let fake = FakeTiming()
            _ = try await lambdaClient(server, fake).getLayerVersion(layerName: "demo", version: 7)
            // random() is 0.5: 0.5 * min(2^0, 20) s, then 0.5 * min(2^1, 20) s.
            #expect(fake.sleeps.withLockedValue { $0 } == [.milliseconds(500), .seconds(1)])
        }
        let failing: [ScriptedServer.Reply] = [.init(500), .init(504), .init(503), .init(200, body: Self.layerJSON)]
        try await ScriptedServer.with(replies: failing) { server in
            let fake = FakeTiming()
            let error = await #expect(throws: AWSError.self) {
                try await lambdaClient(server, fake).getLayerVersion(layerName: "demo", version: 7)
            }
            #expect(error?.localizedDescription.contains("ServiceUnavailable (HTTP 503)") == true)
            #expect(server.received.count == 3)
        }
    }

    @Test("a client error is not retried")
    func clientErrorNotRetried() async throws {
        let reply = ScriptedServer.Reply(
            403, headers: [("x-amzn-ErrorType", "AccessDeniedException")], body: #"{"Message":"not allowed"}"#)
        try await ScriptedServer.with(replies: [reply, .init(200, body: Self.layerJSON)]) { server in
            await #expect(throws: AWSError.self) {
                try await lambdaClient(server, FakeTiming()).getLayerVersion(layerName: "demo", version: 7)
            }
            #expect(server.received.count == 1)
        }
    }

    @Test("AddLayerVersionPermission: 409 for an existing statement counts as done, without retry")
    func permissionConflict() async throws {
        let conflict = ScriptedServer.Reply(
            409, headers: [("x-amzn-ErrorType", "ResourceConflictException")],
            body: #"{"Type":"User","message":"The statement id (picolayer-public) provided already exists."}"#)
        let created = ScriptedServer.Reply(201, body: #"{"Statement":"{}","RevisionId":"r1"}"#)
        try await ScriptedServer.with(replies: [created, conflict]) { server in
            let lambda = try lambdaClient(server, FakeTiming())
            let first = try await lambda.addLayerVersionPermission(
                layerName: "demo", version: 3, statementId: "picolayer-public", principal: "*", organizationId: nil)
            let second = try await lambda.addLayerVersionPermission(
                layerName: "demo", version: 3, statementId: "picolayer-public", principal: "*", organizationId: nil)
            #expect(first && !second)
            #expect(server.received.count == 2)
            #expect(server.received.first?.uri == "/2018-10-31/layers/demo/versions/3/policy")
            let body = try #require(
                try JSONSerialization.jsonObject(with: Data(server.received.first?.body ?? [])) as? [String: String])
            #expect(body == ["StatementId": "picolayer-public", "Action": "lambda:GetLayerVersion", "Principal": "*"])
        }
    }

    @Test("a clock-skew answer is retried once, signed with the server's Date")
    func clockSkewCorrected() async throws {
        let skew = ScriptedServer.Reply(
            403,
            headers: [("x-amzn-ErrorType", "InvalidSignatureException"), ("Date", "Tue, 24 Nov 2026 18:00:00 GMT")],
            body:
                #"{"message":"Signature expired: 20231114T221320Z is now earlier than 20261124T175500Z (20261124T180000Z - 5 min.)"}"#
        )
        try await ScriptedServer.with(replies: [skew, skew, .init(200, body: Self.layerJSON)]) { server in
            let fake = FakeTiming()  // our clock says 2023-11-14T22:13:20Z
            let client = try lambdaClient(server, fake)
            let error = await #expect(throws: AWSError.self) {
                try await client.getLayerVersion(layerName: "demo", version: 7)
            }
            // One correction only: the second skew answer is reported, not retried again.
            #expect(error?.serviceCode == "InvalidSignatureException")
            #expect(server.received.map { $0.header("X-Amz-Date") } == ["20231114T221320Z", "20261124T180000Z"])
            #expect(fake.sleeps.withLockedValue { $0 }.isEmpty)
            // The learnt offset stays for the next call.
            _ = try await client.getLayerVersion(layerName: "demo", version: 7)
            #expect(server.received.last?.header("X-Amz-Date") == "20261124T180000Z")
        }
    }

    @Test("connection errors are retried and then reported with the endpoint")
    func connectionRefused() async throws {
        try await ClosedPort.with { port in
            let fake = FakeTiming()
            let endpoint = try AWSEndpoint(overrideURL: "http://127.0.0.1:\(port)")
            let error = await #expect(throws: AWSError.self) {
                try await HTTPTransport.withLive { transport in
                    let client = LambdaClient(
                        client: AWSClient(
                            service: .lambda, region: "us-east-1", endpoint: endpoint, credentials: testCredentials,
                            transport: transport, timing: fake.timing))
                    return try await client.getLayerVersion(layerName: "demo", version: 1)
                }
            }
            #expect(error?.localizedDescription.contains("no answer from http://127.0.0.1:\(port)") == true)
            #expect(fake.sleeps.withLockedValue { $0 }.count == 2)
        }
    }

    @Test("the wire path is sent exactly as signed, %3A included, and the inline zip body streams as base64 JSON")
    func exactPathAndStreamedBody() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("picolayer-body-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("layer.zip")
        let content = (0..<100_003).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        try Data(content).write(to: file)
        let arn = "arn:aws:lambda:us-east-1:123456789012:layer:demo"
        try await ScriptedServer.with(replies: [.init(201, body: Self.layerJSON)]) { server in
            let fake = FakeTiming()
            let lambda = try lambdaClient(server, fake)
            let input = LambdaClient.PublishInput(
                layerName: arn, content: .zipFile(path: file.path, size: Int64(content.count)), description: "d",
                licenseInfo: "MIT", compatibleRuntimes: ["provided.al2023"], compatibleArchitectures: ["x86_64"])
            // A small chunk size forces many chunks; their base64 must concatenate to the whole file's base64.
            var request = try LambdaClient.publishRequest(input)
            request.body.chunkSize = 3 * 1000
            _ = try await lambda.client.send(request)
            let received = try #require(server.received.first)
            #expect(
                received.uri
                    == "/2018-10-31/layers/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Alayer%3Ademo/versions")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(received.body)) as? [String: Any])
            let zip = (json["Content"] as? [String: Any])?["ZipFile"] as? String
            #expect(zip.flatMap { Data(base64Encoded: $0) } == Data(content))
            #expect(json["CompatibleArchitectures"] as? [String] == ["x86_64"])
            #expect(Int64(received.body.count) == request.body.length)
            #expect(received.header("x-amz-content-sha256") == SigV4Signer.hexSHA256(received.body))
            // The signature the server got is the one our signer computes for what the server received.
            let signer = SigV4Signer(credentials: testCredentials, region: "us-east-1", service: "lambda")
            let signedHeaderNames =
                received.header("Authorization")?.components(separatedBy: "SignedHeaders=").last?
                .components(separatedBy: ",").first?.split(separator: ";").map(String.init) ?? []
            let resigned = signer.sign(
                SignableRequest(
                    method: "POST", path: received.uri,
                    headers: received.headers.filter { signedHeaderNames.contains($0.0.lowercased()) }.map {
                        (name: $0.0, value: $0.1)
                    }),
                payloadHash: SigV4Signer.hexSHA256(received.body), at: fake.now)
            #expect(resigned.authorization == received.header("Authorization"))
            #expect(!(received.header("Authorization") ?? "").contains(testCredentials.secretAccessKey))
        }
    }
}
