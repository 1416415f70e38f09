import Foundation
import Testing

@Suite("after deploy: picolayer logs against moto, invoke --remote against picolayer serve")
struct LogsAndRemoteTests {
    func environment(_ root: URL, _ extra: [String: String]) -> [String: String] {
        [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": root.path,
            "AWS_EC2_METADATA_DISABLED": "true", "XDG_CACHE_HOME": root.path + "/cache",
        ].merging(extra) { $1 }
    }

    /// Puts `messages` into /aws/lambda/NAME through boto3 (signed, with moto's keys), `offset` ms apart.
    func putLogs(_ moto: MotoServer, function: String, stream: String, _ messages: [String]) throws {
        let script = """
            import boto3, json, sys, time
            endpoint, key, secret, group, stream = sys.argv[1:6]
            logs = boto3.client("logs", endpoint_url=endpoint, region_name="us-east-1",
                                aws_access_key_id=key, aws_secret_access_key=secret)
            try:
                logs.create_log_group(logGroupName=group)
            except logs.exceptions.ResourceAlreadyExistsException:
                pass
            try:
                logs.create_log_stream(logGroupName=group, logStreamName=stream)
            except logs.exceptions.ResourceAlreadyExistsException:
                pass
            now = int(time.time() * 1000)
            events = [{"timestamp": now + i, "message": m} for i, m in enumerate(json.loads(sys.argv[6]))]
            logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)
            """
        let messages = String(decoding: try JSONSerialization.data(withJSONObject: messages), as: UTF8.self)
        let run = try runTool([
            "python3", "-c", script, moto.endpoint, moto.credentials.accessKeyId, moto.credentials.secretAccessKey,
            "/aws/lambda/\(function)", stream, messages,
        ])
        try #require(run.status == 0, "boto3: \(run.stderr)")
    }

    @Test("logs prints the function's lines in time order, as text and JSON; --follow prints new ones once")
    func logs() async throws {
        let binary = try picolayerExecutable()
        try await MotoServer.with(regions: ["us-east-1"]) { moto in
            try await withTemporaryDirectory { root in
                let env = environment(
                    root,
                    [
                        "AWS_ACCESS_KEY_ID": moto.credentials.accessKeyId,
                        "AWS_SECRET_ACCESS_KEY": moto.credentials.secretAccessKey, "AWS_REGION": "us-east-1",
                        "AWS_ENDPOINT_URL": moto.endpoint,
                    ])
                try putLogs(moto, function: "fn", stream: "2026/12/03/[$LATEST]a", ["START RequestId: 1\n", "hello\n"])
                let text = try await runTool([binary, "logs", "--function", "fn", "--since", "1h"], environment: env)
                #expect(text.status == 0, "\(text.stderr)")
                let lines = text.stdout.split(separator: "\n")
                #expect(lines.count == 2 && lines[0].hasSuffix(" START RequestId: 1") && lines[1].hasSuffix(" hello"))
                #expect(lines.first?.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ .*/) != nil, "\(text.stdout)")
                let json = try await runTool([binary, "logs", "--function", "fn", "--json"], environment: env)
                let first = try jsonObject(String(json.stdout.split(separator: "\n")[0]))
                #expect(first["message"] as? String == "START RequestId: 1")
                #expect(first["logStream"] as? String == "2026/12/03/[$LATEST]a")

                let missing = try await runTool([binary, "logs", "--function", "nothing"], environment: env)
                #expect(
                    missing.status == 1 && missing.stderr.contains("ResourceNotFoundException"), "\(missing.stderr)")

                let follow = try WatchTests.Running(
                    binary, ["logs", "--function", "fn", "--follow"], in: root.path, environment: env)
                defer { follow.stop() }
                try await follow.wait("the first lines") { out, _ in out.contains("hello") }
                try putLogs(moto, function: "fn", stream: "2026/12/03/[$LATEST]a", ["later\n"])
                try await follow.wait("the new line") { out, _ in out.contains("later") }
                try await Task.sleep(for: .seconds(3))
                #expect(follow.output.components(separatedBy: "hello").count == 2, "printed once: \(follow.output)")
                #expect(follow.output.components(separatedBy: "later").count == 2, "printed once: \(follow.output)")
            }
        }
    }

    @Test("invoke --remote calls the Invoke API: the response on stdout, the log tail on stderr, 1 on an error")
    func remote() async throws {
        let binary = try picolayerExecutable()
        try await withTemporaryDirectory { root in
            try Data(
                "(de handler (E H) (prinl \"handled\") (if (assoc \"fail\" E) (/ 1 0) (list (cons \"ok\" 'true))))\n"
                    .utf8
            )
            .write(to: root.appendingPathComponent("main.l"))
            let env = environment(root, ["AWS_ACCESS_KEY_ID": "AKIDLOCAL", "AWS_SECRET_ACCESS_KEY": "local"])
            let serve = try WatchTests.Running(
                binary, ["serve", "--handler", "main.handler", "--port", "0", "--json"], in: root.path, environment: env
            )
            defer { serve.stop() }
            try await serve.wait("the start line") { out, _ in out.contains("\n") }
            let port = try #require(try jsonObject(String(serve.output.split(separator: "\n")[0]))["port"] as? Int)
            let endpoint = "http://127.0.0.1:\(port)"
            let arguments = [
                binary, "invoke", "--remote", "--function", "function", "--endpoint-url", endpoint, "--region",
                "us-east-1",
            ]
            let ok = try await runTool(arguments, in: root.path, environment: env)
            #expect(ok.status == 0, "\(ok.stderr)")
            #expect(ok.stdout == #"{"ok":true}"#, "\(ok.stdout)")
            #expect(ok.stderr.contains("handled") && ok.stderr.contains("REPORT RequestId:"), "\(ok.stderr)")
            let event = root.appendingPathComponent("fail.json").path
            try Data(#"{"fail":1}"#.utf8).write(to: URL(fileURLWithPath: event))
            let failed = try await runTool(arguments + ["--event", event, "--json"], in: root.path, environment: env)
            #expect(failed.status == 1)
            let document = try jsonObject(failed.stdout)
            #expect(document["functionError"] as? String == "Unhandled")
            #expect((document["response"] as? [String: Any])?["errorType"] as? String == "Function.Div")
        }
    }
}
