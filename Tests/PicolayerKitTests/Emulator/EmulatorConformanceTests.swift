import Foundation
import Testing

@testable import PicolayerKit

/// Conformance with clients we did not write: AWS's own Runtime API client for Python (`awslambdaric`) as the
/// runtime, and boto3's `invoke` as the caller of `serve`'s Invoke API.
@Suite("AWS clients")
struct EmulatorConformanceTests {
    static let handler = """
        import json
        print("module loaded")

        def fn(event, context):
            print("got", json.dumps(event))
            if event.get("fail"):
                raise ValueError("asked to fail")
            cc = context.client_context
            return {
                "event": event,
                "id": context.aws_request_id,
                "arn": context.invoked_function_arn,
                "name": context.function_name,
                "memory": context.memory_limit_in_mb,
                "custom": cc.custom if cc else None,
            }
        """

    /// A function folder whose bootstrap runs awslambdaric with `handler.fn`.
    static func pythonFunction() async throws -> TemporaryFunction {
        let python = try await pythonExecutable()
        let check = try await run(python, ["-c", "import awslambdaric"])
        try #require(check.status == 0, "awslambdaric is needed: scripts/install-test-deps.sh installs it")
        let function = try TemporaryFunction()
        try function.writeExecutable("#!/bin/sh\nexec \(python) -m awslambdaric \"$_HANDLER\"\n")
        try function.write(handler, named: "handler.py")
        return function
    }

    @Test("awslambdaric runs a Python handler warm: event, request id, ARN, client context")
    func awslambdaricWarm() async throws {
        let function = try await Self.pythonFunction()
        defer { function.cleanUp() }
        try await LocalLambda.with(function.configuration(), hooks: fixedHooks()) { lambda in
            let first = try await lambda.invoke(
                Array(#"{"x":1}"#.utf8), clientContext: #"{"custom":{"tenant":"t1"},"env":{},"client":{}}"#)
            #expect(first.errorType == nil)
            let object = try jsonObject(first.text)
            #expect((object["event"] as? [String: Int]) == ["x": 1])
            #expect(object["id"] as? String == "req-1")
            #expect(object["arn"] as? String == "arn:aws:lambda:eu-west-3:000000000042:function:test-fn")
            #expect(object["name"] as? String == "test-fn")
            #expect(object["memory"] as? String == "256")
            #expect((object["custom"] as? [String: String]) == ["tenant": "t1"])
            #expect(first.log.contains("module loaded"))
            #expect(first.log.contains(#"got {"x": 1}"#))
            #expect(first.initDuration != nil)

            let second = try await lambda.invoke(Array(#"{"x":2}"#.utf8))
            #expect(try jsonObject(second.text)["id"] as? String == "req-2")
            #expect(second.initDuration == nil)
            #expect(!second.log.contains("module loaded"))
        }
    }

    @Test("an exception in the handler comes back as awslambdaric's error JSON")
    func awslambdaricError() async throws {
        let function = try await Self.pythonFunction()
        defer { function.cleanUp() }
        try await LocalLambda.with(function.configuration(), hooks: fixedHooks()) { lambda in
            let result = try await lambda.invoke(Array(#"{"fail":true}"#.utf8))
            let object = try jsonObject(result.text)
            #expect(result.isError)
            #expect(object["errorType"] as? String == "ValueError")
            #expect(object["errorMessage"] as? String == "asked to fail")
            #expect(result.log.contains("[ERROR] ValueError: asked to fail"))
            // The runtime stays warm after a handled error.
            let next = try await lambda.invoke(Array("{}".utf8))
            #expect(next.errorType == nil)
            #expect(next.initDuration == nil)
        }
    }

    @Test("boto3 against serve: payload, FunctionError, LogResult, ClientContext, Event, DryRun, 404, streaming")
    func boto3() async throws {
        let python = try await pythonExecutable()
        let check = try await run(python, ["-c", "import boto3"])
        try #require(check.status == 0, "boto3 is needed: scripts/install-test-deps.sh installs it")
        let function = try await Self.pythonFunction()
        defer { function.cleanUp() }
        let pool = LocalLambdaPool(configuration: function.configuration(), concurrency: 1, hooks: fixedHooks())
        let server = try await InvokeAPIServer.start(pool: pool)
        let script = """
            import base64, json, sys
            import boto3
            from botocore.config import Config
            client = boto3.client(
                "lambda", endpoint_url=sys.argv[1], region_name="eu-west-3", aws_access_key_id="test",
                aws_secret_access_key="test", config=Config(retries={"max_attempts": 1}))
            out = {}
            context = base64.b64encode(json.dumps({"custom": {"tenant": "t9"}}).encode()).decode()
            r = client.invoke(FunctionName="test-fn", Payload=b'{"x":1}', LogType="Tail", ClientContext=context)
            out["ok"] = {"status": r["StatusCode"], "error": r.get("FunctionError"),
                "payload": json.loads(r["Payload"].read()), "log": base64.b64decode(r["LogResult"]).decode(),
                "version": r.get("ExecutedVersion")}
            r = client.invoke(FunctionName="function", Payload=b'{"fail":true}')
            out["fail"] = {"status": r["StatusCode"], "error": r.get("FunctionError"),
                "payload": json.loads(r["Payload"].read())}
            r = client.invoke(FunctionName="test-fn", InvocationType="Event", Payload=b'{"x":3}')
            out["event"] = r["StatusCode"]
            r = client.invoke(FunctionName="test-fn", InvocationType="DryRun")
            out["dry"] = r["StatusCode"]
            try:
                client.invoke(FunctionName="other", Payload=b"{}")
                out["missing"] = "no error"
            except client.exceptions.ResourceNotFoundException as error:
                out["missing"] = error.response["Error"]["Code"]
            r = client.invoke(FunctionName="test-fn", Qualifier="$LATEST", Payload=b'{"x":6}')
            out["latest"] = {"status": r["StatusCode"], "version": r.get("ExecutedVersion")}
            r = client.invoke(FunctionName="arn:aws:lambda:eu-west-3:123456789012:function:test-fn", Payload=b"{}")
            out["arn"] = r["StatusCode"]
            try:
                client.invoke(FunctionName="test-fn", Qualifier="prod", Payload=b"{}")
                out["alias"] = "no error"
            except client.exceptions.ResourceNotFoundException as error:
                out["alias"] = error.response["Error"]["Code"]
            r = client.invoke_with_response_stream(FunctionName="test-fn", Payload=b'{"x":5}', LogType="Tail")
            events = list(r["EventStream"])
            out["stream"] = {"status": r["StatusCode"],
                "chunks": b"".join(e["PayloadChunk"]["Payload"] for e in events if "PayloadChunk" in e).decode(),
                "complete": [e["InvokeComplete"] for e in events if "InvokeComplete" in e]}
            r = client.invoke_with_response_stream(FunctionName="test-fn", Payload=b'{"fail":true}')
            out["streamFail"] = [e["InvokeComplete"] for e in r["EventStream"] if "InvokeComplete" in e]
            print(json.dumps(out))
            """
        let result = try await run(python, ["-c", script, "http://127.0.0.1:\(server.port)"])
        await server.close()
        await pool.shutdown()
        try #require(result.status == 0, "boto3 script failed: \(String(decoding: result.stderr, as: UTF8.self))")
        let out = try jsonObject(String(decoding: result.stdout, as: UTF8.self))

        let ok = try #require(out["ok"] as? [String: Any])
        #expect(ok["status"] as? Int == 200)
        #expect(ok["error"] == nil || ok["error"] is NSNull)
        #expect(ok["version"] as? String == "$LATEST")
        let payload = try #require(ok["payload"] as? [String: Any])
        #expect(payload["id"] as? String == "req-1")
        #expect((payload["custom"] as? [String: String]) == ["tenant": "t9"])
        let log = try #require(ok["log"] as? String)
        #expect(log.contains("START RequestId: req-1 Version: $LATEST\n"))
        #expect(log.contains(#"got {"x": 1}"#))
        #expect(log.contains("END RequestId: req-1\nREPORT RequestId: req-1\tDuration: "))

        let fail = try #require(out["fail"] as? [String: Any])
        #expect(fail["status"] as? Int == 200)
        #expect(fail["error"] as? String == "Unhandled")
        #expect((fail["payload"] as? [String: Any])?["errorType"] as? String == "ValueError")

        let stream = try #require(out["stream"] as? [String: Any])
        #expect(stream["status"] as? Int == 200)
        #expect((try jsonObject(try #require(stream["chunks"] as? String))["event"] as? [String: Int]) == ["x": 5])
        let complete = try #require((stream["complete"] as? [[String: Any]])?.first)
        #expect(complete["ErrorCode"] == nil)
        let streamLog = String(
            decoding: Data(base64Encoded: try #require(complete["LogResult"] as? String)) ?? Data(), as: UTF8.self)
        #expect(streamLog.contains(#"got {"x": 5}"#))
        let streamFail = try #require((out["streamFail"] as? [[String: Any]])?.first)
        #expect(streamFail["ErrorCode"] as? String == "ValueError")
        #expect((streamFail["ErrorDetails"] as? String)?.contains("asked to fail") == true)

        #expect(out["event"] as? Int == 202)
        #expect(out["dry"] as? Int == 204)
        #expect(out["missing"] as? String == "ResourceNotFoundException")
        #expect((out["latest"] as? [String: Any])?["status"] as? Int == 200)
        #expect((out["latest"] as? [String: Any])?["version"] as? String == "$LATEST")
        #expect(out["arn"] as? Int == 200)
        #expect(out["alias"] as? String == "ResourceNotFoundException")
    }

    @Test("serve answers curl's RIE-style request, passes the trace id, refuses bad client context and big events")
    func serveEdges() async throws {
        let function = try TemporaryFunction()
        defer { function.cleanUp() }
        try function.writeExecutable(LocalLambdaTests.echoRuntime)
        let pool = LocalLambdaPool(configuration: function.configuration(), hooks: fixedHooks())
        let server = try await InvokeAPIServer.start(pool: pool)
        let url = "http://127.0.0.1:\(server.port)/2015-03-31/functions/function/invocations"
        let ok = try await curl(
            ["-X", "POST", "-H", "X-Amzn-Trace-Id: Root=1-caller", "--data-binary", #"{"a":1}"#, url])
        let bigEvent = try await curl(
            ["-X", "POST", "-H", "X-Amz-Invocation-Type: Event", "--data-binary", "@-", url],
            input: Data(repeating: 0x20, count: 1_048_577))
        let badContext = try await curl(["-X", "POST", "-H", "X-Amz-Client-Context: %%%", "--data-binary", "{}", url])
        let big = try await curl(
            ["-X", "POST", "--data-binary", "@-", url],
            input: Data(repeating: 0x20, count: RuntimeAPI.maxPayloadSize + 1))
        let wrongPath = try await curl(["http://127.0.0.1:\(server.port)/2015-03-31/functions"])
        await server.close()
        await pool.shutdown()

        #expect(ok.status == 200)
        #expect((try jsonObject(ok.body)["event"] as? [String: Int]) == ["a": 1])
        #expect(ok.headers["x-amzn-requestid"] == "req-1")
        #expect(ok.headers["x-amz-function-error"] == nil)
        #expect(try jsonObject(ok.body)["trace"] as? String == "Root=1-caller")
        #expect(bigEvent.status == 413)
        #expect(badContext.status == 400)
        #expect(badContext.headers["x-amzn-errortype"] == "InvalidRequestContentException")
        #expect(big.status == 413)
        #expect(big.headers["x-amzn-errortype"] == "RequestTooLargeException")
        #expect(wrongPath.status == 404)
    }

    @Test("serve with --concurrency 2 answers 12 simultaneous requests, each once, with its own event")
    func serveConcurrency() async throws {
        let function = try TemporaryFunction()
        defer { function.cleanUp() }
        try function.writeExecutable(LocalLambdaTests.echoRuntime)
        let pool = LocalLambdaPool(configuration: function.configuration(), concurrency: 2, hooks: fixedHooks())
        let server = try await InvokeAPIServer.start(pool: pool)
        let url = "http://127.0.0.1:\(server.port)/2015-03-31/functions/test-fn/invocations"
        let responses = try await withThrowingTaskGroup(of: CurlResponse.self) { group in
            for n in 0..<12 {
                group.addTask { try await curl(["-X", "POST", "--data-binary", #"{"n":\#(n)}"#, url]) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        await server.close()
        await pool.shutdown()
        #expect(responses.allSatisfy { $0.status == 200 })
        let numbers = try responses.map { try #require((try jsonObject($0.body)["event"] as? [String: Int])?["n"]) }
        #expect(numbers.sorted() == Array(0..<12))
        #expect(Set(responses.compactMap { $0.headers["x-amzn-requestid"] }).count == 12)
        #expect(Set(try responses.map { try jsonObject($0.body)["pid"] as? Int }).count <= 2)
    }

    @Test("a streamed response reaches boto3's invoke_with_response_stream part by part, before it is complete")
    func streamingPassThrough() async throws {
        let python = try await pythonExecutable()
        let function = try TemporaryFunction()
        defer { function.cleanUp() }
        // The runtime sends "one", then waits until the client has received it before sending "two": if the
        // emulator held the stream back, the test would end in a timeout instead.
        let go = function.root.appendingPathComponent("go").path
        try function.writeExecutable(
            shellPrelude + """
                next
                { printf one; while [ ! -e \(go) ]; do sleep 0.05; done; printf two; } |
                    curl -sS -o /dev/null -X POST -T - -H 'Lambda-Runtime-Function-Response-Mode: streaming' \\
                    -H 'Content-Type: text/plain' "$api/invocation/$id/response"
                sleep 120
                """)
        let pool = LocalLambdaPool(
            configuration: function.configuration(timeout: .seconds(20)), concurrency: 1, hooks: fixedHooks())
        let server = try await InvokeAPIServer.start(pool: pool)
        let script = """
            import json, sys
            import boto3
            from botocore.config import Config
            client = boto3.client(
                "lambda", endpoint_url=sys.argv[1], region_name="eu-west-3", aws_access_key_id="test",
                aws_secret_access_key="test", config=Config(retries={"max_attempts": 1}))
            r = client.invoke_with_response_stream(FunctionName="test-fn", Payload=b"{}")
            parts, complete = [], None
            for event in r["EventStream"]:
                if "PayloadChunk" in event:
                    parts.append(event["PayloadChunk"]["Payload"].decode())
                    open(sys.argv[2], "w").close()
                if "InvokeComplete" in event:
                    complete = event["InvokeComplete"]
            print(json.dumps({"parts": parts, "type": r["ResponseStreamContentType"], "complete": complete}))
            """
        let result = try await run(python, ["-c", script, "http://127.0.0.1:\(server.port)", go])
        await server.close()
        await pool.shutdown()
        try #require(result.status == 0, "boto3 failed: \(String(decoding: result.stderr, as: UTF8.self))")
        let out = try jsonObject(String(decoding: result.stdout, as: UTF8.self))
        #expect(out["parts"] as? [String] == ["one", "two"])
        #expect(out["type"] as? String == "text/plain")
        #expect((out["complete"] as? [String: Any])?["ErrorCode"] == nil)
    }
}
