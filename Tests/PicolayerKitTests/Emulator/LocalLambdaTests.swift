import Foundation
import Testing

@testable import PicolayerKit

/// The lifecycle of one execution environment, with shell runtimes built on curl and purpose-written
/// misbehaving bootstraps.
@Suite("Local Lambda lifecycle")
struct LocalLambdaTests {
    /// Echoes each event with the runtime's pid, so that tests can tell warm from cold.
    static let echoRuntime =
        shellPrelude + """
            echo "init pid $$"
            while true; do
                next
                echo "handling $id"
                printf '{"pid":%s,"trace":"%s","event":%s}' "$$" "$trace" "$event" |
                    curl -sS -o /dev/null -X POST --data-binary @- "$api/invocation/$id/response"
            done
            """

    private func withFunction(
        _ bootstrap: String,
        in folder: String = "task",
        configure: (inout FunctionConfiguration) -> Void = { _ in },
        _ body: (LocalLambda, TemporaryFunction) async throws -> Void
    ) async throws {
        let function = try TemporaryFunction()
        defer { function.cleanUp() }
        try function.writeExecutable(bootstrap, in: folder)
        var configuration = function.configuration()
        configure(&configuration)
        try await LocalLambda.with(configuration, hooks: fixedHooks()) { lambda in
            try await body(lambda, function)
        }
    }

    @Test("a curl runtime answers events on one warm process; the first is a cold start")
    func warm() async throws {
        try await withFunction(Self.echoRuntime) { lambda, _ in
            let first = try await lambda.invoke(Array(#"{"n":1}"#.utf8))
            let second = try await lambda.invoke(Array(#"{"n":2}"#.utf8))
            let one = try jsonObject(first.text)
            let two = try jsonObject(second.text)
            #expect(first.errorType == nil)
            #expect(first.requestID == "req-1")
            #expect(one["trace"] as? String == "Root=1-trace-req-1")
            #expect((one["event"] as? [String: Int]) == ["n": 1])
            #expect((two["event"] as? [String: Int]) == ["n": 2])
            #expect(one["pid"] as? Int == two["pid"] as? Int)
            #expect(first.initDuration != nil)
            #expect(second.initDuration == nil)
            #expect(first.log.contains("init pid"))
            #expect(first.log.contains("handling req-1"))
            #expect(second.log == "handling req-2\n")
            #expect(first.maxMemoryUsedMB > 0)
            #expect(second.reportLine.hasPrefix("REPORT RequestId: req-2\tDuration: "))
            #expect(second.reportLine.contains("\tMemory Size: 256 MB\tMax Memory Used: "))
            #expect(!second.reportLine.contains("Init Duration"))
            #expect(first.reportLine.contains("\tInit Duration: "))
        }
    }

    @Test("the runtime sees exactly Lambda's environment plus the user's variables")
    func environment() async throws {
        let dump =
            shellPrelude + """
                while true; do
                    next
                    /usr/bin/env > "$work/env"
                    curl -sS -o /dev/null -X POST --data-binary @"$work/env" "$api/invocation/$id/response"
                done
                """
        try await withFunction(
            dump, configure: { $0.userEnvironment = ["GREETING": "hi", "PATH": "/custom/bin:/usr/bin:/bin"] }
        ) {
            lambda, function in
            let result = try await lambda.invoke(Array("{}".utf8))
            var seen: [String: String] = [:]
            for line in result.text.split(separator: "\n") {
                let parts = line.split(separator: "=", maxSplits: 1)
                seen[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
            }
            // The shell adds PWD, SHLVL and `_` itself; everything else came from the emulator.
            for name in ["PWD", "SHLVL", "_"] { seen[name] = nil }
            let task = function.taskRoot
            let layer = function.layer
            let port = try #require(seen["AWS_LAMBDA_RUNTIME_API"]?.split(separator: ":").last)
            #expect(
                seen == [
                    "_HANDLER": "handler.fn",
                    "LAMBDA_TASK_ROOT": task,
                    "LAMBDA_RUNTIME_DIR": layer,
                    "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:\(port)",
                    "AWS_REGION": "eu-west-3",
                    "AWS_DEFAULT_REGION": "eu-west-3",
                    "AWS_LAMBDA_FUNCTION_NAME": "test-fn",
                    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
                    "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                    "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/test-fn",
                    "AWS_LAMBDA_LOG_STREAM_NAME": "2023/11/14/[$LATEST]e1000000000000000000000000000000",
                    "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
                    "TZ": ":UTC",
                    "LANG": "en_US.UTF-8",
                    "LD_LIBRARY_PATH":
                        "/var/lang/lib:/lib64:/usr/lib64:\(layer):\(layer)/lib:\(task):\(task)/lib:\(layer)/lib",
                    "PATH": "/custom/bin:/usr/bin:/bin",
                    "GREETING": "hi",
                ])
        }
    }

    @Test("the runtime inherits no open files of the emulator: only stdin, stdout and stderr")
    func descriptors() async throws {
        // `ls` lists its own descriptors: 0-2 from the emulator, 3 the directory it reads; any more were leaked.
        let runtime =
            shellPrelude + """
                fds=$(ls /proc/self/fd | sort -n | tr '\\n' ' ')
                next
                printf '"%s"' "$fds" | curl -sS -o /dev/null -X POST --data-binary @- "$api/invocation/$id/response"
                sleep 120
                """
        try await withFunction(runtime) { lambda, _ in
            let result = try await lambda.invoke(Array("{}".utf8))
            #expect(result.text == #""0 1 2 3 ""#)
        }
    }

    @Test("PATH is Lambda's with the layer's bin/ last")
    func path() throws {
        let configuration = FunctionConfiguration(handler: "h", taskRoot: "/t", layerDirectory: "/l")
        let environment = LambdaEnvironment.variables(
            for: configuration, taskRoot: "/t", layerDirectory: "/l", runtimeAPI: "127.0.0.1:1", logStreamName: "s")
        #expect(environment["PATH"] == "/usr/local/bin:/usr/bin/:/bin:/l/bin")
        #expect(environment["HOME"] == nil)
    }

    @Test("reserved variables cannot be set by the user")
    func reserved() async throws {
        let configuration = FunctionConfiguration(handler: "h", userEnvironment: ["AWS_REGION": "x"])
        #expect(throws: EmulatorError.reservedVariable("AWS_REGION")) { try configuration.validate() }
    }

    @Test("the function's bootstrap wins over the layer's; the layer's is used when the function has none")
    func bootstrapOrder() async throws {
        let function = try TemporaryFunction()
        defer { function.cleanUp() }
        try function.writeExecutable("#!/bin/sh\n", in: "layer")
        #expect(
            try LocalLambda.findBootstrap(taskRoot: function.taskRoot, layerDirectory: function.layer)
                == function.layer + "/bootstrap")
        try function.writeExecutable("#!/bin/sh\n", in: "task")
        #expect(
            try LocalLambda.findBootstrap(taskRoot: function.taskRoot, layerDirectory: function.layer)
                == function.taskRoot + "/bootstrap")
    }

    @Test("no executable bootstrap anywhere is an error naming both places")
    func noBootstrap() async throws {
        let function = try TemporaryFunction()
        defer { function.cleanUp() }
        try function.write("#!/bin/sh\n", named: "bootstrap")  // not executable
        let lambda = LocalLambda(configuration: function.configuration(), hooks: fixedHooks())
        await #expect(
            throws: EmulatorError.noBootstrap(searched: [
                function.taskRoot + "/bootstrap", function.layer + "/bootstrap",
            ])
        ) {
            try await lambda.invoke(Array("{}".utf8))
        }
        await lambda.shutdown()
    }

    @Test("a runtime that exits is Runtime.ExitError with its status, and the next event starts it cold")
    func crash() async throws {
        let crashing =
            shellPrelude + """
                next
                echo "dying on $id"
                exit 42
                """
        try await withFunction(crashing) { lambda, _ in
            let first = try await lambda.invoke(Array("{}".utf8))
            #expect(first.errorType == "Runtime.ExitError")
            #expect(
                first.text
                    == #"{"errorMessage":"RequestId: req-1 Error: Runtime exited with error: exit status 42","errorType":"Runtime.ExitError"}"#
            )
            #expect(first.log.contains("dying on req-1"))
            #expect(first.maxMemoryUsedMB > 0)
            let second = try await lambda.invoke(Array("{}".utf8))
            #expect(second.errorType == "Runtime.ExitError")
            #expect(second.initDuration != nil)
            #expect(second.text.contains("RequestId: req-2 "))
        }
    }

    @Test("a runtime that exits during init is Runtime.ExitError too")
    func crashDuringInit() async throws {
        try await withFunction("#!/bin/sh\necho 'cannot start' >&2\nexit 3\n") { lambda, _ in
            let result = try await lambda.invoke(Array("{}".utf8))
            #expect(
                result.text
                    == #"{"errorMessage":"RequestId: req-1 Error: Runtime exited with error: exit status 3","errorType":"Runtime.ExitError"}"#
            )
            #expect(result.log == "cannot start\n")
        }
    }

    @Test("the timeout kills the runtime with `Task timed out after 1.00 seconds`; the next event starts cold")
    func timeout() async throws {
        // The first event hangs (with a child process, which must die too); later ones are answered.
        let slow =
            shellPrelude + """
                while true; do
                    next
                    if [ ! -e "$LAMBDA_TASK_ROOT/slept" ]; then touch "$LAMBDA_TASK_ROOT/slept"; echo "sleeping"; sleep 120; fi
                    echo '"done"' | curl -sS -o /dev/null -X POST --data-binary @- "$api/invocation/$id/response"
                done
                """
        try await withFunction(slow, configure: { $0.timeout = .seconds(1) }) { lambda, _ in
            let first = try await lambda.invoke(Array("{}".utf8))
            #expect(first.errorType == "Sandbox.Timedout")
            #expect(
                first.text
                    == #"{"errorMessage":"RequestId: req-1 Error: Task timed out after 1.00 seconds","errorType":"Sandbox.Timedout"}"#
            )
            #expect(first.log.contains("sleeping"))
            let second = try await lambda.invoke(Array("{}".utf8))
            #expect(second.errorType == nil)
            #expect(second.text == "\"done\"\n")
            #expect(second.initDuration != nil)
        }
    }

    @Test("cancelling the calling task ends a hanging invocation, kills its runtime and shuts the instance down")
    func cancellation() async throws {
        let hanging = shellPrelude + "next\necho $$ > \"$LAMBDA_TASK_ROOT/pid\"\nexec sleep 120\n"
        try await withFunction(hanging, configure: { $0.timeout = .seconds(100) }) { lambda, function in
            let working = Task { try await lambda.invoke(Array("{}".utf8)) }
            // Bounded: the runtime takes the event within seconds; 30 s means it never did.
            let pidFile = function.taskRoot + "/pid"
            var pid: Int?
            for _ in 0..<300 where pid == nil {
                try await Task.sleep(for: .milliseconds(100))
                pid = (try? String(contentsOfFile: pidFile, encoding: .utf8)).flatMap {
                    Int($0.trimmingCharacters(in: .whitespacesAndNewlines))
                }
            }
            let running = try #require(pid, "the runtime never took the event")
            let clock = ContinuousClock()
            let cancelled = clock.now
            working.cancel()
            let outcome = await working.result
            // The answer is the end of the environment, never the handler's: an error result or .shutDown.
            if case .success(let result) = outcome { #expect(result.isError, "\(result.text)") }
            #expect(clock.now - cancelled < .seconds(60), "the invocation waited for its timeout")
            let status = try? String(contentsOfFile: "/proc/\(running)/stat", encoding: .utf8)
            #expect(status == nil || status?.split(separator: " ")[2] == "Z", "the runtime still runs")
            await #expect(throws: EmulatorError.self) { try await lambda.invoke(Array("{}".utf8)) }
        }
    }

    @Test("an init error posted to /init/error is the first invocation's result")
    func initError() async throws {
        let failing =
            shellPrelude + """
                curl -sS -o /dev/null -X POST -H 'Lambda-Runtime-Function-Error-Type: Runtime.ConfigInvalid' \\
                    --data-binary '{"errorMessage":"no handler","errorType":"Runtime.ConfigInvalid"}' "$api/init/error"
                exit 1
                """
        try await withFunction(failing) { lambda, _ in
            let result = try await lambda.invoke(Array("{}".utf8))
            #expect(result.errorType == "Runtime.ConfigInvalid")
            #expect(result.text == #"{"errorMessage":"no handler","errorType":"Runtime.ConfigInvalid"}"#)
        }
    }

    @Test("an init phase longer than the init limit fails as a timeout")
    func initTimeout() async throws {
        try await withFunction("#!/bin/sh\nexec sleep 120\n", configure: { $0.initTimeout = .seconds(1) }) {
            lambda, _ in
            let result = try await lambda.invoke(Array("{}".utf8))
            #expect(result.errorType == "Sandbox.Timedout")
            #expect(result.text.contains("Task timed out after 1.00 seconds"))
        }
    }

    @Test("answering twice, answering an unknown id and an oversized response get 403, 400 and 413")
    func misbehavingRuntime() async throws {
        // Event 1: answer, answer again, answer a made-up id. Event 2: answer with 7 MB. Event 3: report codes.
        let runtime =
            shellPrelude + """
                head -c 7000000 /dev/zero | tr '\\0' a > "$work/big"
                next
                curl -sS -o /dev/null -X POST --data-binary '"one"' "$api/invocation/$id/response"
                twice=$(curl -sS -o /dev/null -w '%{http_code}' -X POST --data-binary x "$api/invocation/$id/response")
                unknown=$(curl -sS -o /dev/null -w '%{http_code}' -X POST --data-binary x "$api/invocation/nope/response")
                next
                big=$(curl -sS -o /dev/null -w '%{http_code}' -X POST --data-binary @"$work/big" "$api/invocation/$id/response")
                next
                printf '"%s %s %s"' "$twice" "$unknown" "$big" |
                    curl -sS -o /dev/null -X POST --data-binary @- "$api/invocation/$id/response"
                sleep 120
                """
        try await withFunction(runtime) { lambda, _ in
            let first = try await lambda.invoke(Array("{}".utf8))
            #expect(first.text == #""one""#)
            let second = try await lambda.invoke(Array("{}".utf8))
            #expect(second.errorType == "Function.ResponseSizeTooLarge")
            #expect(
                second.text
                    == #"{"errorMessage":"Response payload size exceeded maximum allowed payload size (6291556 bytes).","errorType":"Function.ResponseSizeTooLarge"}"#
            )
            let third = try await lambda.invoke(Array("{}".utf8))
            #expect(third.text == #""403 400 413""#)
        }
    }

    @Test("an error posted to /error is a function error with the runtime's type and body")
    func functionError() async throws {
        let runtime =
            shellPrelude + """
                next
                curl -sS -o /dev/null -X POST -H 'Lambda-Runtime-Function-Error-Type: Function.Bad' \\
                    --data-binary '{"errorMessage":"bad","errorType":"Bad"}' "$api/invocation/$id/error"
                sleep 120
                """
        try await withFunction(runtime) { lambda, _ in
            let result = try await lambda.invoke(Array("{}".utf8))
            #expect(result.errorType == "Function.Bad")
            #expect(result.text == #"{"errorMessage":"bad","errorType":"Bad"}"#)
        }
    }

    @Test("an event over 6,291,556 bytes is refused before it reaches the runtime")
    func eventTooLarge() async throws {
        try await withFunction(Self.echoRuntime) { lambda, _ in
            await #expect(throws: EmulatorError.eventTooLarge(size: RuntimeAPI.maxPayloadSize + 1)) {
                try await lambda.invoke([UInt8](repeating: 0x20, count: RuntimeAPI.maxPayloadSize + 1))
            }
        }
    }

    @Test("concurrent calls on one instance run one after the other on the one warm process")
    func serialised() async throws {
        try await withFunction(Self.echoRuntime) { lambda, _ in
            let results = try await withThrowingTaskGroup(of: InvocationResult.self) { group in
                for n in 0..<8 {
                    group.addTask { try await lambda.invoke(Array(#"{"n":\#(n)}"#.utf8)) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let objects = try results.map { try jsonObject($0.text) }
            #expect(objects.compactMap { ($0["event"] as? [String: Int])?["n"] }.sorted() == Array(0..<8))
            #expect(Set(objects.compactMap { $0["pid"] as? Int }).count == 1)
            #expect(results.filter { $0.initDuration != nil }.count == 1)
        }
    }

    @Test("a pool of two spreads concurrent invocations; each is answered exactly once")
    func pool() async throws {
        let function = try TemporaryFunction()
        defer { function.cleanUp() }
        try function.writeExecutable(Self.echoRuntime)
        let pool = LocalLambdaPool(configuration: function.configuration(), concurrency: 2, hooks: fixedHooks())
        let results = try await withThrowingTaskGroup(of: InvocationResult.self) { group in
            for n in 0..<20 {
                group.addTask { try await pool.invoke(Array(#"{"n":\#(n)}"#.utf8)) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        await pool.shutdown()
        #expect(results.count == 20)
        #expect(Set(results.map(\.requestID)).count == 20)
        var numbers: [Int] = []
        var pids: Set<Int> = []
        for result in results {
            let object = try jsonObject(result.text)
            numbers.append(try #require((object["event"] as? [String: Int])?["n"]))
            pids.insert(try #require(object["pid"] as? Int))
        }
        #expect(numbers.sorted() == Array(0..<20))
        #expect(pids.count <= 2)
    }

    @Test(
        "--env-file lines",
        arguments: [
            (
                "A=1\n# comment\n\nexport B=two words\nC=\"quoted\"\nD='x=y'\n",
                ["A": "1", "B": "two words", "C": "quoted", "D": "x=y"]
            ),
            // As dotenv tools read them: quotes and a trailing comment go, a `#` inside quotes or a word stays.
            (
                "export GREETING=\"hi there\" # c\nU=plain # note\nH=a#b\nS='it # is'  # c\nE=\"a\\\"b\\nc\"\nN=\n",
                ["GREETING": "hi there", "U": "plain", "H": "a#b", "S": "it # is", "E": "a\"b\nc", "N": ""]
            ),
        ])
    func environmentFile(text: String, expected: [String: String]) throws {
        #expect(try EnvironmentFile.parse(text, file: "f") == expected)
        #expect(throws: EmulatorError.invalidEnvironmentLine(file: "f", line: 2, text: "4 characters, not shown")) {
            try EnvironmentFile.parse("A=1\noops\n", file: "f")
        }
        // An unclosed quote, or text after the closing quote, is an error rather than a guess.
        #expect(throws: EmulatorError.invalidEnvironmentLine(file: "f", line: 1, text: "6 characters, not shown")) {
            try EnvironmentFile.parse("A=\"b c\n", file: "f")
        }
        #expect(throws: EmulatorError.invalidEnvironmentLine(file: "f", line: 1, text: "9 characters, not shown")) {
            try EnvironmentFile.parse("A=\"b\" c d\n", file: "f")
        }
    }
}
