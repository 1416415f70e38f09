import Foundation
import Testing

@testable import PicolayerKit

@Suite("serve --http: plain HTTP in and out as a function URL does (payload format 2.0)")
struct FunctionURLTests {
    static let handler = """
        (de handler (Event Headers)
           (let Path (cdr (assoc "rawPath" Event))
              (cond
                 ((= Path "/echo")
                    (list
                       (cons "statusCode" 201)
                       (cons "headers" (list (cons "x-got" "yes") (cons "content-type" "application/json")))
                       (cons "cookies" (list T "a=1; Path=/" "b=2"))
                       (cons "body" (jsonPack Event)) ) )
                 ((= Path "/binary")
                    (list
                       (cons "statusCode" 200)
                       (cons "headers" (list (cons "content-type" "application/octet-stream")))
                       (cons "isBase64Encoded" 'true)
                       (cons "body" (cdr (assoc "body" Event))) ) )
                 ((= Path "/fail") (/ 1 0))
                 (T (list (cons "plain" 'true))) ) ) )

        """

    func withServer(_ body: (String) async throws -> Void) async throws {
        try await Self.withServer(handler: Self.handler, body)
    }

    /// `picolayer serve --http 0` on `handler` (with `arguments` added), and the base URL of its HTTP front door.
    static func withServer(handler: String, arguments: [String] = [], _ body: (String) async throws -> Void)
        async throws
    {
        let binary = try picolayerExecutable()
        try await withTemporaryDirectory { root in
            try Data(handler.utf8).write(to: root.appendingPathComponent("main.l"))
            let serve = try WatchTests.Running(
                binary, ["serve", "--handler", "main.handler", "--port", "0", "--http", "0", "--json"] + arguments,
                in: root.path,
                environment: [
                    "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
                    "XDG_CACHE_HOME": root.path + "/cache",
                ])
            defer { serve.stop() }
            try await serve.wait("the start line") { out, _ in out.contains("\n") }
            let start = try jsonObject(String(serve.output.split(separator: "\n")[0]))
            try await body(try #require(start["httpUrl"] as? String, "\(start)"))
        }
    }

    @Test("curl: status, headers, cookies and body as the handler set them; the event as a function URL sends it")
    func curlRoundTrip() async throws {
        try await withServer { url in
            let response = try await curl([
                "-X", "POST", "-H", "Content-Type: text/plain", "-H", "Cookie: c1=v1; c2=v2", "-H", "X-Two: a",
                "-H", "X-Two: b", "--data-binary", "hello", url + "echo?x=1&x=2&y=a%20b",
            ])
            #expect(response.status == 201)
            #expect(response.headers["x-got"] == "yes")
            let event = try jsonObject(response.body)
            #expect(event["version"] as? String == "2.0")
            #expect(event["routeKey"] as? String == "$default")
            #expect(event["rawPath"] as? String == "/echo")
            #expect(event["rawQueryString"] as? String == "x=1&x=2&y=a%20b")
            #expect(event["cookies"] as? [String] == ["c1=v1", "c2=v2"])
            #expect(event["queryStringParameters"] as? [String: String] == ["x": "1,2", "y": "a b"])
            #expect(event["body"] as? String == "hello")
            #expect(event["isBase64Encoded"] as? Bool == false)
            let headers = try #require(event["headers"] as? [String: String])
            #expect(headers["cookie"] == nil, "cookies move to the cookies array")
            #expect(headers["x-two"] == "a,b" && headers["content-type"] == "text/plain")
            let context = try #require(event["requestContext"] as? [String: Any])
            let http = try #require(context["http"] as? [String: Any])
            #expect(http["method"] as? String == "POST" && http["path"] as? String == "/echo")
            #expect(http["sourceIp"] as? String == "127.0.0.1" && http["protocol"] as? String == "HTTP/1.1")
            #expect((context["timeEpoch"] as? Double ?? 0) > 1.7e12)
            #expect(
                (context["time"] as? String)?.wholeMatch(of: /\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d \+0000/) != nil)
            // The keys of the documented sample are all there.
            let sample = try jsonObject(SampleEvents.functionURL)
            #expect(Set(sample.keys).subtracting(["queryStringParameters"]).isSubset(of: Set(event.keys)))
            #expect(Set((sample["requestContext"] as? [String: Any] ?? [:]).keys).isSubset(of: Set(context.keys)))

            let plain = try await curl([url + "other"])
            #expect(plain.status == 200 && plain.headers["content-type"] == "application/json")
            #expect(plain.body == #"{"plain":true}"#)
            let failed = try await curl([url + "fail"])
            #expect(failed.status == 502, "a function error is a 502")
        }
    }

    @Test("a binary body goes in as base64 and comes back byte for byte")
    func binaryRoundTrip() async throws {
        try await withServer { url in
            let bytes = Data((0...255).map { UInt8($0) } + (0...255).reversed().map { UInt8($0) })
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("furl-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let file = directory.appendingPathComponent("in.bin")
            try bytes.write(to: file)
            let out = directory.appendingPathComponent("out.bin").path
            let run = try await runTool([
                "curl", "-sS", "-o", out, "-w", "%{http_code} %{content_type}", "-H",
                "Content-Type: application/octet-stream", "--data-binary", "@" + file.path, url + "binary",
            ])
            #expect(run.stdout == "200 application/octet-stream", "\(run.stdout) \(run.stderr)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == bytes)
        }
    }

    @Test("a browser-like client keeps the cookies the function set and sends them back")
    func cookiesWithHTTPClient() async throws {
        try await withServer { url in
            let script = """
                import http.cookiejar, json, sys, urllib.request
                jar = http.cookiejar.CookieJar()
                opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
                def post():
                    response = opener.open(urllib.request.Request(sys.argv[1] + "echo", data=b"{}", method="POST"))
                    assert response.status == 201, response.status
                    return json.loads(response.read())
                post()
                first = sorted(c.name + "=" + c.value for c in jar)
                event = post()
                print(json.dumps({"jar": first, "sent": sorted(event.get("cookies", []))}))
                """
            let run = try await runTool(["python3", "-c", script, url])
            #expect(run.status == 0, "\(run.stderr)")
            let seen = try jsonObject(run.stdout)
            #expect(seen["jar"] as? [String] == ["a=1", "b=2"])
            #expect(seen["sent"] as? [String] == ["a=1", "b=2"])
        }
    }
}
