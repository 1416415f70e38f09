import Foundation
import NIOCore
import Testing

@testable import PicolayerKit

/// The Runtime API spoken to by curl, a client we did not write, with the invoking side driven by hand.
@Suite("Runtime API server")
struct RuntimeAPIServerTests {
    private static func invocation(_ id: String, _ payload: String, clientContext: String? = nil) -> PendingInvocation {
        PendingInvocation(
            requestID: id, payload: ByteBuffer(string: payload), deadlineMilliseconds: fixedNowMilliseconds + 3000,
            functionARN: "arn:aws:lambda:eu-west-3:000000000042:function:test-fn", traceID: "Root=1-trace-\(id)",
            clientContext: clientContext, cognitoIdentity: clientContext == nil ? nil : #"{"cognitoIdentityId":"c1"}"#)
    }

    private func withServer(_ body: (RuntimeAPIState, String) async throws -> Void) async throws {
        let state = RuntimeAPIState()
        state.reset(generation: 1)
        let server = try await RuntimeAPIServer.start(state: state)
        do {
            try await body(state, "http://\(server.address)/2018-06-01")
        } catch {
            await server.close()
            throw error
        }
        await server.close()
    }

    @Test("/next answers 200 with the event and every header, exactly")
    func nextHeaders() async throws {
        try await withServer { state, base in
            state.enqueue(Self.invocation("req-1", #"{"k":"v"}"#, clientContext: #"{"custom":{"a":"b"}}"#))
            let response = try await curl(["\(base)/runtime/invocation/next"])
            #expect(response.status == 200)
            #expect(response.body == #"{"k":"v"}"#)
            #expect(response.headers["lambda-runtime-aws-request-id"] == "req-1")
            #expect(response.headers["lambda-runtime-deadline-ms"] == "1700000003000")
            #expect(
                response.headers["lambda-runtime-invoked-function-arn"]
                    == "arn:aws:lambda:eu-west-3:000000000042:function:test-fn")
            #expect(response.headers["lambda-runtime-trace-id"] == "Root=1-trace-req-1")
            #expect(response.headers["lambda-runtime-client-context"] == #"{"custom":{"a":"b"}}"#)
            #expect(response.headers["lambda-runtime-cognito-identity"] == #"{"cognitoIdentityId":"c1"}"#)
            #expect(response.headers["content-length"] == "9")
            guard case .ready(1) = await state.nextSignal() else {
                Issue.record("the first /next did not end the init phase")
                return
            }
        }
    }

    @Test("/next without client context sends no client context or cognito header")
    func nextWithoutOptionalHeaders() async throws {
        try await withServer { state, base in
            state.enqueue(Self.invocation("req-1", "{}"))
            let response = try await curl(["\(base)/runtime/invocation/next"])
            #expect(response.headers["lambda-runtime-client-context"] == nil)
            #expect(response.headers["lambda-runtime-cognito-identity"] == nil)
        }
    }

    @Test("/next long-polls until an event exists")
    func longPoll() async throws {
        try await withServer { state, base in
            let poll = Task { try await curl(["\(base)/runtime/invocation/next"]) }
            // The first /next marks the runtime ready: only then is it certainly waiting.
            guard case .ready = await state.nextSignal() else {
                Issue.record("no ready signal")
                return
            }
            state.enqueue(Self.invocation("req-7", "late"))
            let response = try await poll.value
            #expect(response.status == 200)
            #expect(response.body == "late")
            #expect(response.headers["lambda-runtime-aws-request-id"] == "req-7")
        }
    }

    @Test("a response is 202 once, 403 InvalidStateTransition after; an unknown id is 400 InvalidRequestID")
    func answerStates() async throws {
        try await withServer { state, base in
            state.enqueue(Self.invocation("req-1", "{}"))
            _ = try await curl(["\(base)/runtime/invocation/next"])
            let unknown = try await curl([
                "-X", "POST", "--data-binary", "x", "\(base)/runtime/invocation/nope/response",
            ])
            #expect(unknown.status == 400)
            #expect(unknown.body == #"{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}"#)

            let first = try await curl([
                "-X", "POST", "-H", "Content-Type: text/plain", "--data-binary", "hello",
                "\(base)/runtime/invocation/req-1/response",
            ])
            #expect(first.status == 202)
            #expect(first.body == #"{"status":"OK"}"#)

            let second = try await curl([
                "-X", "POST", "--data-binary", "again", "\(base)/runtime/invocation/req-1/response",
            ])
            #expect(second.status == 403)
            #expect(
                second.body
                    == #"{"errorMessage":"State transition from Response to Response failed for runtime.","errorType":"InvalidStateTransition"}"#
            )
            let error = try await curl(["-X", "POST", "--data-binary", "{}", "\(base)/runtime/invocation/req-1/error"])
            #expect(error.status == 403)
            #expect(error.body.contains("State transition from Response to Error"))

            _ = await state.nextSignal()  // ready
            guard case .response("req-1", let payload, let contentType) = await state.nextSignal() else {
                Issue.record("the response did not reach the invoking side")
                return
            }
            #expect(String(buffer: payload) == "hello")
            #expect(contentType == "text/plain")
        }
    }

    @Test("/error is 202 and passes on the error type header and the body")
    func invocationError() async throws {
        try await withServer { state, base in
            state.enqueue(Self.invocation("req-1", "{}"))
            _ = try await curl(["\(base)/runtime/invocation/next"])
            let body = #"{"errorMessage":"boom","errorType":"MyError","stackTrace":[]}"#
            let response = try await curl([
                "-X", "POST", "-H", "Lambda-Runtime-Function-Error-Type: Function.MyError", "--data-binary", body,
                "\(base)/runtime/invocation/req-1/error",
            ])
            #expect(response.status == 202)
            _ = await state.nextSignal()  // ready
            guard case .functionError("req-1", let type, let payload) = await state.nextSignal() else {
                Issue.record("the error did not reach the invoking side")
                return
            }
            #expect(type == "Function.MyError")
            #expect(String(buffer: payload) == body)
        }
    }

    @Test("a response over 6,291,556 bytes is 413 and the id is then closed")
    func tooLarge() async throws {
        try await withServer { state, base in
            state.enqueue(Self.invocation("req-1", "{}"))
            _ = try await curl(["\(base)/runtime/invocation/next"])
            let big = Data(repeating: UInt8(ascii: "a"), count: RuntimeAPI.maxPayloadSize + 1)
            let response = try await curl(
                ["-X", "POST", "--data-binary", "@-", "\(base)/runtime/invocation/req-1/response"], input: big)
            #expect(response.status == 413)
            #expect(
                response.body
                    == #"{"errorMessage":"Exceeded maximum allowed payload size (6291556 bytes).","errorType":"RequestEntityTooLarge"}"#
            )
            let error = try await curl(["-X", "POST", "--data-binary", "{}", "\(base)/runtime/invocation/req-1/error"])
            #expect(error.status == 403)
            _ = await state.nextSignal()  // ready
            guard case .responseTooLarge("req-1") = await state.nextSignal() else {
                Issue.record("the caller was not told about the oversized response")
                return
            }
        }
    }

    @Test("a response of exactly 6,291,556 bytes is accepted")
    func largestAccepted() async throws {
        try await withServer { state, base in
            state.enqueue(Self.invocation("req-1", "{}"))
            _ = try await curl(["\(base)/runtime/invocation/next"])
            let big = Data(repeating: UInt8(ascii: "a"), count: RuntimeAPI.maxPayloadSize)
            let response = try await curl(
                ["-X", "POST", "--data-binary", "@-", "\(base)/runtime/invocation/req-1/response"], input: big)
            #expect(response.status == 202)
        }
    }

    @Test("/init/error is 202 before the first /next and 403 after it")
    func initError() async throws {
        try await withServer { state, base in
            let body = #"{"errorMessage":"bad config","errorType":"Runtime.ConfigInvalid"}"#
            let early = try await curl([
                "-X", "POST", "-H", "Lambda-Runtime-Function-Error-Type: Runtime.ConfigInvalid", "--data-binary", body,
                "\(base)/runtime/init/error",
            ])
            #expect(early.status == 202)
            guard case .initError(1, "Runtime.ConfigInvalid", let payload) = await state.nextSignal() else {
                Issue.record("the init error did not reach the invoking side")
                return
            }
            #expect(String(buffer: payload) == body)

            state.enqueue(Self.invocation("req-1", "{}"))
            _ = try await curl(["\(base)/runtime/invocation/next"])
            let late = try await curl(["-X", "POST", "--data-binary", body, "\(base)/runtime/init/error"])
            #expect(late.status == 403)
            #expect(late.body.contains("InvalidStateTransition"))
        }
    }

    @Test(
        "unknown routes are 404 with an error JSON",
        arguments: [
            ("GET", "/runtime/invocation/req-1/response"), ("POST", "/runtime/invocation/next"),
            ("GET", "/runtime/unknown"), ("POST", "/runtime/invocation/req-1/bogus"),
        ])
    func notFound(method: String, path: String) async throws {
        try await withServer { _, base in
            let response = try await curl(["-X", method, "\(base)\(path)"])
            #expect(response.status == 404)
            #expect(
                response.body
                    == LambdaJSON.error(
                        type: "NotFound", message: "Unknown Runtime API route: \(method) /2018-06-01\(path)"))
        }
    }

    @Test("requests share one keep-alive connection")
    func keepAlive() async throws {
        try await withServer { state, base in
            state.enqueue(Self.invocation("req-1", "{}"))
            // One curl, two URLs: the second request reuses the connection, which curl reports in its stderr.
            let result = try await run(
                "/usr/bin/curl",
                [
                    "-sS", "-v", "\(base)/runtime/invocation/next", "-X", "POST", "--data-binary", "ok",
                    "\(base)/runtime/invocation/req-1/response",
                ])
            let log = String(decoding: result.stderr, as: UTF8.self)
            #expect(result.status == 0)
            #expect(log.contains("Re-using existing connection"))
        }
    }

    @Test("a streamed response is accepted and passed on; error trailers become a function error")
    func streaming() async throws {
        try await withServer { state, base in
            state.enqueue(Self.invocation("req-1", "{}"))
            _ = try await curl(["\(base)/runtime/invocation/next"])
            let response = try await curl(
                [
                    "-X", "POST", "-H", "Lambda-Runtime-Function-Response-Mode: streaming", "-H",
                    "Transfer-Encoding: chunked", "-H", "Content-Type: text/event-stream", "--data-binary", "@-",
                    "\(base)/runtime/invocation/req-1/response",
                ], input: Data("data: one\n\ndata: two\n\n".utf8))
            #expect(response.status == 202)
            _ = await state.nextSignal()  // ready
            // The parts arrive as they come, then the end of the response.
            var streamed = ""
            while true {
                let signal = await state.nextSignal()
                if case .responseChunk("req-1", let chunk, let contentType) = signal {
                    streamed += String(buffer: chunk)
                    #expect(contentType == "text/event-stream")
                    continue
                }
                guard case .response("req-1", let rest, _) = signal else {
                    Issue.record("the streamed response did not end")
                    return
                }
                #expect(rest.readableBytes == 0)
                break
            }
            #expect(streamed == "data: one\n\ndata: two\n\n")

            // Trailers: curl cannot send them, so a few lines of Python speak raw HTTP/1.1.
            state.enqueue(Self.invocation("req-2", "{}"))
            _ = try await curl(["\(base)/runtime/invocation/next"])
            let errorBody = #"{"errorMessage":"mid-stream","errorType":"Oops"}"#
            let script = """
                import base64, socket, sys
                host, port = sys.argv[1].split(":")
                s = socket.create_connection((host, int(port)))
                body = base64.b64encode(sys.argv[2].encode()).decode()
                s.sendall(("POST /2018-06-01/runtime/invocation/req-2/response HTTP/1.1\\r\\nHost: x\\r\\n"
                    "Lambda-Runtime-Function-Response-Mode: streaming\\r\\nTransfer-Encoding: chunked\\r\\n"
                    "Trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\\r\\n\\r\\n"
                    "5\\r\\npart1\\r\\n0\\r\\nLambda-Runtime-Function-Error-Type: Function.Oops\\r\\n"
                    "Lambda-Runtime-Function-Error-Body: " + body + "\\r\\n\\r\\n").encode())
                print(s.recv(4096).decode().split("\\r\\n")[0])
                """
            let address = base.replacingOccurrences(of: "http://", with: "").replacingOccurrences(
                of: "/2018-06-01", with: "")
            let result = try await run(try await pythonExecutable(), ["-c", script, address, errorBody])
            #expect(String(decoding: result.stdout, as: UTF8.self).hasPrefix("HTTP/1.1 202"))
            guard case .responseChunk("req-2", let part, _) = await state.nextSignal() else {
                Issue.record("the streamed part did not reach the invoking side")
                return
            }
            #expect(String(buffer: part) == "part1")
            guard case .functionError("req-2", let type, let payload) = await state.nextSignal() else {
                Issue.record("the trailer error did not reach the invoking side")
                return
            }
            #expect(type == "Function.Oops")
            #expect(String(buffer: payload) == errorBody)
        }
    }

    @Test("an unknown response mode is 400 InvalidFunctionResponseMode")
    func invalidResponseMode() async throws {
        try await withServer { state, base in
            state.enqueue(Self.invocation("req-1", "{}"))
            _ = try await curl(["\(base)/runtime/invocation/next"])
            let response = try await curl([
                "-X", "POST", "-H", "Lambda-Runtime-Function-Response-Mode: turbo", "--data-binary", "x",
                "\(base)/runtime/invocation/req-1/response",
            ])
            #expect(response.status == 400)
            #expect(response.body.contains(#""errorType":"InvalidFunctionResponseMode""#))
        }
    }
}
