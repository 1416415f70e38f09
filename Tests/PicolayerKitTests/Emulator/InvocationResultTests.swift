import Foundation
import Testing

@testable import PicolayerKit

@Suite("Invocation results and log lines")
struct InvocationResultTests {
    private func result(initDuration: Duration?) -> InvocationResult {
        InvocationResult(
            requestID: "req-1", payload: [], contentType: nil, errorType: nil, log: "hello",
            duration: .microseconds(3_554),
            initDuration: initDuration, memorySize: 128, maxMemoryUsedMB: 49)
    }

    @Test("REPORT has Lambda's fields and tabs; Billed Duration includes init")
    func report() {
        #expect(
            result(initDuration: .microseconds(160_301)).reportLine
                == "REPORT RequestId: req-1\tDuration: 3.55 ms\tBilled Duration: 164 ms\tMemory Size: 128 MB"
                + "\tMax Memory Used: 49 MB\tInit Duration: 160.30 ms\t")
        #expect(
            result(initDuration: nil).reportLine
                == "REPORT RequestId: req-1\tDuration: 3.55 ms\tBilled Duration: 4 ms\tMemory Size: 128 MB"
                + "\tMax Memory Used: 49 MB\t")
    }

    @Test("the log text is START, output, END, REPORT")
    func logText() {
        let lines = result(initDuration: nil).logText.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[0] == "START RequestId: req-1 Version: $LATEST")
        #expect(lines[1] == "hello")
        #expect(lines[2] == "END RequestId: req-1")
        #expect(lines[3].hasPrefix("REPORT RequestId: req-1\t"))
        #expect(lines[4] == "")
    }

    @Test(
        "exit statuses are worded as Lambda words them",
        arguments: [
            (Int32(42) << 8, "exit status 42"), (SIGKILL, "signal: killed"), (SIGSEGV, "signal: segmentation fault"),
        ])
    func exitStatus(waitStatus: Int32, text: String) {
        #expect(ExitStatus(waitStatus: waitStatus).description == text)
    }

    @Test("error JSON escapes quotes, backslashes and control characters")
    func errorJSON() throws {
        let text = LambdaJSON.error(type: "T", message: "a \"b\" \\ c\nd\u{1}")
        #expect(text == #"{"errorMessage":"a \"b\" \\ c\nd\u0001","errorType":"T"}"#)
        let decoded = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String]
        #expect(decoded?["errorMessage"] == "a \"b\" \\ c\nd\u{1}")
    }
}
