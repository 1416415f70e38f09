import Testing

@testable import PicolayerKit

@Suite("the function an Invoke request names")
struct InvokeTargetTests {
    private func target(_ name: String, _ query: String? = nil) -> InvokeTarget? {
        try? InvokeTarget.parse(functionName: name, query: query).get()
    }

    private func refusalType(_ name: String, _ query: String? = nil) -> String? {
        switch InvokeTarget.parse(functionName: name, query: query) {
        case .failure(let refusal): return refusal.type
        case .success(let target): return target.refusal(servedNames: ["fn"])?.type
        }
    }

    @Test("names, name:qualifier, partial and full ARNs, and the Qualifier parameter")
    func forms() {
        #expect(target("fn") == InvokeTarget(name: "fn", qualifier: nil))
        #expect(target("fn:$LATEST") == InvokeTarget(name: "fn", qualifier: "$LATEST"))
        #expect(target("123456789012:function:fn") == InvokeTarget(name: "fn", qualifier: nil))
        #expect(
            target("arn:aws:lambda:eu-west-1:123456789012:function:fn:prod")
                == InvokeTarget(name: "fn", qualifier: "prod"))
        #expect(target("fn", "Qualifier=%24LATEST") == InvokeTarget(name: "fn", qualifier: "$LATEST"))
        #expect(target("fn", "x=1&Qualifier=7") == InvokeTarget(name: "fn", qualifier: "7"))
    }

    @Test("$LATEST is served; another version or alias is 404, a clash or a malformed name 400")
    func refusals() {
        #expect(refusalType("fn") == nil)
        #expect(refusalType("fn:$LATEST") == nil)
        #expect(refusalType("arn:aws:lambda:eu-west-1:123456789012:function:fn") == nil)
        #expect(refusalType("fn", "Qualifier=prod") == "ResourceNotFoundException")
        #expect(refusalType("fn:3") == "ResourceNotFoundException")
        #expect(refusalType("other") == "ResourceNotFoundException")
        #expect(refusalType("fn:1", "Qualifier=2") == "InvalidParameterValueException")
        #expect(refusalType("a:b:c") == "InvalidParameterValueException")
        #expect(
            refusalType("arn:aws:lambda:eu-west-1:123456789012:function:fn:1:2") == "InvalidParameterValueException")
    }

    @Test("the refusal names the qualifier and what to do")
    func message() throws {
        let target = try InvokeTarget.parse(functionName: "fn", query: "Qualifier=prod").get()
        let refusal = try #require(target.refusal(servedNames: ["fn"]))
        #expect(refusal.message.contains("fn:prod"))
        #expect(refusal.message.contains("$LATEST"))
    }
}
