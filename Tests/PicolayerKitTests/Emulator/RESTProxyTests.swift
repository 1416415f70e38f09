import Foundation
import Testing

@testable import PicolayerKit

@Suite("serve --http --http-payload 1.0: plain HTTP in and out as API Gateway's REST API proxy does")
struct RESTProxyTests {
    static let handler = """
        (de handler (Event Headers)
           (let Path (cdr (assoc "path" Event))
              (cond
                 ((= Path "/echo/deep")
                    (list
                       (cons "statusCode" 201)
                       (cons "headers" (list (cons "X-Got" "yes") (cons "Content-Type" "application/json")))
                       (cons "multiValueHeaders" (list (cons "Set-Cookie" (list T "a=1; Path=/" "b=2"))))
                       (cons "body" (jsonPack Event)) ) )
                 ((= Path "/binary")
                    (list
                       (cons "statusCode" 200)
                       (cons "headers" (list (cons "Content-Type" "application/octet-stream")))
                       (cons "isBase64Encoded" 'true)
                       (cons "body" (cdr (assoc "body" Event))) ) )
                 ((= Path "/fail") (/ 1 0))
                 ((= Path "/") (list (cons "statusCode" 204)))
                 (T (list (cons "plain" 'true))) ) ) )

        """

    private func withServer(_ body: (String) async throws -> Void) async throws {
        try await FunctionURLTests.withServer(handler: Self.handler, arguments: ["--http-payload", "1.0"], body)
    }

    @Test("curl: the event has REST's shape, field by field; the proxy response comes back as HTTP")
    func curlRoundTrip() async throws {
        try await withServer { url in
            let response = try await curl([
                "-X", "PUT", "-H", "Content-Type: text/plain", "-H", "Cookie: c1=v1", "-H", "X-Two: a",
                "-H", "X-Two: b", "--data-binary", "hello", url + "echo/deep?x=1&x=2&y=a%20b",
            ])
            #expect(response.status == 201)
            #expect(response.headers["x-got"] == "yes")
            let event = try jsonObject(response.body)
            #expect(event["resource"] as? String == "/{proxy+}")
            #expect(event["path"] as? String == "/echo/deep")
            #expect(event["httpMethod"] as? String == "PUT")
            #expect(event["pathParameters"] as? [String: String] == ["proxy": "echo/deep"])
            #expect(event["queryStringParameters"] as? [String: String] == ["x": "2", "y": "a b"])
            #expect(
                event["multiValueQueryStringParameters"] as? [String: [String]] == ["x": ["1", "2"], "y": ["a b"]])
            let headers = try #require(event["headers"] as? [String: String])
            #expect(headers["X-Two"] == "b" && headers["Cookie"] == "c1=v1", "names keep their case; last value")
            #expect((event["multiValueHeaders"] as? [String: [String]])?["X-Two"] == ["a", "b"])
            #expect(event["body"] as? String == "hello")
            #expect(event["isBase64Encoded"] as? Bool == false)
            #expect(event.keys.contains("stageVariables"))
            let context = try #require(event["requestContext"] as? [String: Any])
            #expect(context["httpMethod"] as? String == "PUT" && context["resourcePath"] as? String == "/{proxy+}")
            #expect((context["identity"] as? [String: Any])?["sourceIp"] as? String == "127.0.0.1")
            #expect((context["requestTimeEpoch"] as? Double ?? 0) > 1.7e12)
            #expect(
                (context["requestTime"] as? String)?.wholeMatch(of: /\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d \+0000/)
                    != nil)
        }
    }

    @Test("multiValueHeaders send a header twice; the root path has no proxy parameter")
    func cookiesAndRoot() async throws {
        try await withServer { url in
            let run = try await runTool(["curl", "-sS", "-D", "-", "-o", "/dev/null", "-X", "POST", url + "echo/deep"])
            let cookies = run.stdout.split(separator: "\r\n").filter { $0.lowercased().hasPrefix("set-cookie:") }
            #expect(cookies == ["Set-Cookie: a=1; Path=/", "Set-Cookie: b=2"], "\(run.stdout)")
            let root = try await curl(["-X", "GET", url])
            #expect(root.status == 204)
        }
    }

    @Test("a function error or an answer that is not a proxy response is API Gateway's 502")
    func malformedAnswers() async throws {
        try await withServer { url in
            for path in ["fail", "bare"] {
                let response = try await curl([url + path])
                #expect(response.status == 502, "\(path)")
                #expect(response.headers["x-amzn-errortype"] == "InternalServerErrorException")
                #expect(try jsonObject(response.body)["message"] as? String == "Internal server error")
            }
        }
    }

    @Test("a binary body goes in as base64 and comes back byte for byte")
    func binaryRoundTrip() async throws {
        try await withServer { url in
            try await withTemporaryDirectory { directory in
                let bytes = Data((0...255).map { UInt8($0) })
                let file = directory.appendingPathComponent("in.bin")
                try bytes.write(to: file)
                let out = directory.appendingPathComponent("out.bin").path
                let run = try await runTool([
                    "curl", "-sS", "-o", out, "-w", "%{http_code}", "-H", "Content-Type: image/png", "--data-binary",
                    "@" + file.path, url + "binary",
                ])
                #expect(run.stdout == "200", "\(run.stderr)")
                #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == bytes)
            }
        }
    }

    @Test("the response rules, without a server")
    func responseRules() {
        func answer(_ json: String) -> FunctionURL.Response {
            RESTProxy.response(payload: Array(json.utf8), isError: false)
        }
        #expect(answer(#"{"statusCode":200}"#).headers.map(\.value) == ["application/json"])
        #expect(answer(#"{"statusCode":200,"body":{"a":1}}"#).status == 502, "a body that is not a string")
        #expect(answer(#"{"statusCode":"200"}"#).status == 502)
        #expect(answer(#"[1]"#).status == 502)
        let merged = answer(#"{"statusCode":200,"headers":{"x":"1","y":"2"},"multiValueHeaders":{"X":["3","4"]}}"#)
        #expect(
            merged.headers.map { "\($0.name)=\($0.value)" } == ["y=2", "X=3", "X=4", "Content-Type=application/json"])
    }
}
