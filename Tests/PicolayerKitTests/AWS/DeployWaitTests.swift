import Foundation
import Testing

@testable import PicolayerKit

/// Lambda's answers scripted where moto cannot give them (moto is Active/Successful at once): Pending, InProgress,
/// Failed, ResourceConflictException. The clock and the pauses are FakeTiming's, so nothing really sleeps.
@Suite("picolayer deploy: waiting for Lambda, against a scripted server")
struct DeployWaitTests {
    static let oldSha = "b2xkLWNvZGU="

    /// A GetFunction answer (`Configuration` wrapped) or, with `wrapped: false`, an update/create answer.
    static func function(
        state: String? = "Active", status: String? = "Successful", reason: String? = nil, sha: String = oldSha,
        wrapped: Bool = true, code: Int = 200, layers: [String] = []
    ) -> ScriptedServer.Reply {
        var configuration: [String: Any] = [
            "FunctionName": "fn", "FunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:fn",
            "Runtime": "provided.al2023", "Handler": "main.handler", "CodeSha256": sha, "MemorySize": 128,
            "Timeout": 3, "Architectures": ["x86_64"], "Version": "$LATEST",
        ]
        if !layers.isEmpty { configuration["Layers"] = layers.map { ["Arn": $0, "CodeSize": 1] } }
        if let state { configuration["State"] = state }
        if let status { configuration["LastUpdateStatus"] = status }
        if let reason {
            configuration[status == "Failed" ? "LastUpdateStatusReason" : "StateReason"] = reason
        }
        let object: [String: Any] = wrapped ? ["Configuration": configuration] : configuration
        let body = (try? JSONSerialization.data(withJSONObject: object)).map { String(decoding: $0, as: UTF8.self) }
        return ScriptedServer.Reply(code, headers: [("Content-Type", "application/json")], body: body ?? "{}")
    }

    static func error(_ status: Int, _ code: String, _ message: String) -> ScriptedServer.Reply {
        ScriptedServer.Reply(
            status, headers: [("x-amzn-ErrorType", code), ("Content-Type", "application/json")],
            body: #"{"Type":"User","message":"\#(message)"}"#)
    }

    static let conflict = error(
        409, "ResourceConflictException",
        "The operation cannot be performed at this time. An update is in progress for resource: fn")

    func deploy(
        _ server: ScriptedServer, _ fake: FakeTiming, folder: String, create: Bool = false, timeout: Int? = nil,
        waitLimit: Duration = .seconds(300), conflictRetries: Int = 5, layers: [String] = []
    ) async throws -> DeployReport {
        try await Deployer(
            configuration: DeployConfiguration(
                functionName: "fn", codePath: folder, region: "us-east-1", layers: layers, create: create,
                role: create ? "arn:aws:iam::123456789012:role/r" : nil, timeout: timeout,
                endpointURL: server.endpoint, waitLimit: waitLimit, conflictRetries: conflictRetries),
            credentials: .fixed(testCredentials), transport: .live(), timing: fake.timing
        ).run()
    }

    func requests(_ server: ScriptedServer) -> [String] {
        server.received.map { "\($0.method) \($0.uri)" }
    }

    @Test("after CreateFunction: Pending, Pending, Active, polled after 1 s then 2 s")
    func pendingThenActive() async throws {
        let replies = [
            Self.error(404, "ResourceNotFoundException", "Function not found: fn"),
            Self.function(state: "Pending", status: nil, wrapped: false, code: 201),
            Self.function(state: "Pending", status: nil), Self.function(state: "Active", status: "Successful"),
        ]
        try await withFunctionFolder { folder in
            try await ScriptedServer.with(replies: replies) { server in
                let fake = FakeTiming()
                let report = try await deploy(server, fake, folder: folder, create: true)
                #expect(report.code == .created)
                #expect(report.state == "Active")
                #expect(fake.sleeps.withLockedValue { $0 } == [.seconds(1), .seconds(2)])
                #expect(
                    requests(server) == [
                        "GET /2015-03-31/functions/fn", "POST /2015-03-31/functions", "GET /2015-03-31/functions/fn",
                        "GET /2015-03-31/functions/fn",
                    ])
                // The CreateFunction body: the fields, then the zip streamed as base64.
                let body = try #require(
                    try JSONSerialization.jsonObject(with: Data(server.received[1].body)) as? [String: Any])
                #expect(body["Runtime"] as? String == "provided.al2023")
                #expect(body["Handler"] as? String == "main.handler")
                let zipFile = try #require((body["Code"] as? [String: String])?["ZipFile"])
                #expect(Data(base64Encoded: zipFile)?.prefix(4) == Data([0x50, 0x4b, 0x03, 0x04]))
            }
        }
    }

    @Test("UpdateFunctionCode InProgress -> Successful, then the configuration update is waited for too")
    func inProgressThenSuccessful() async throws {
        let replies = [
            Self.function(),
            Self.function(status: "InProgress", wrapped: false), Self.function(status: "InProgress"),
            Self.function(status: "Successful"),
            Self.function(status: "InProgress", wrapped: false), Self.function(status: "Successful"),
        ]
        try await withFunctionFolder { folder in
            try await ScriptedServer.with(replies: replies) { server in
                let fake = FakeTiming()
                let report = try await deploy(server, fake, folder: folder, timeout: 20)
                #expect(report.code == .updated)
                #expect(report.configurationChanged == ["Timeout"])
                #expect(fake.sleeps.withLockedValue { $0 } == [.seconds(1), .seconds(2), .seconds(1)])
                #expect(
                    requests(server) == [
                        "GET /2015-03-31/functions/fn", "PUT /2015-03-31/functions/fn/code",
                        "GET /2015-03-31/functions/fn", "GET /2015-03-31/functions/fn",
                        "PUT /2015-03-31/functions/fn/configuration", "GET /2015-03-31/functions/fn",
                    ])
                let update = try #require(
                    try JSONSerialization.jsonObject(with: Data(server.received[4].body)) as? [String: Any])
                #expect(update as NSDictionary == ["Timeout": 20] as NSDictionary)
            }
        }
    }

    @Test("LastUpdateStatus Failed ends the deploy with Lambda's reason")
    func updateFailed() async throws {
        let reason = "Lambda was unable to configure your environment variables because they exceed 4 KB."
        let replies = [
            Self.function(), Self.function(status: "InProgress", wrapped: false),
            Self.function(status: "Failed", reason: reason),
        ]
        try await withFunctionFolder { folder in
            try await ScriptedServer.with(replies: replies) { server in
                let fake = FakeTiming()
                let error = await #expect(throws: DeployError.self) { try await deploy(server, fake, folder: folder) }
                #expect(error == .updateFailed(name: "fn", reason: reason))
                #expect(error?.localizedDescription.contains(reason) == true)
                #expect(fake.sleeps.withLockedValue { $0 } == [.seconds(1)])
            }
        }
    }

    @Test("State Failed after CreateFunction ends the deploy with the StateReason")
    func createFailed() async throws {
        let replies = [
            Self.error(404, "ResourceNotFoundException", "Function not found: fn"),
            Self.function(state: "Pending", status: nil, wrapped: false, code: 201),
            Self.function(state: "Failed", status: nil, reason: "The role cannot be assumed by Lambda."),
        ]
        try await withFunctionFolder { folder in
            try await ScriptedServer.with(replies: replies) { server in
                await #expect(
                    throws: DeployError.functionFailed(name: "fn", reason: "The role cannot be assumed by Lambda.")
                ) { try await deploy(server, FakeTiming(), folder: folder, create: true) }
            }
        }
    }

    @Test("polling pauses double up to 5 s and stop at the wait limit")
    func waitLimit() async throws {
        let replies =
            [Self.function(), Self.function(status: "InProgress", wrapped: false)]
            + Array(repeating: Self.function(status: "InProgress"), count: 5)
        try await withFunctionFolder { folder in
            try await ScriptedServer.with(replies: replies) { server in
                let fake = FakeTiming()
                let error = await #expect(throws: DeployError.self) {
                    try await deploy(server, fake, folder: folder, waitLimit: .seconds(17))
                }
                #expect(
                    error == .waitTimedOut(name: "fn", state: "Active", lastUpdateStatus: "InProgress", seconds: 17))
                #expect(
                    fake.sleeps.withLockedValue { $0 } == [
                        .seconds(1), .seconds(2), .seconds(4), .seconds(5), .seconds(5),
                    ])
                #expect(server.received.count == 7)
            }
        }
    }

    @Test("ResourceConflictException: wait until the other update is done, then try again")
    func conflictThenSuccess() async throws {
        let replies = [
            Self.function(), Self.conflict, Self.function(status: "Successful"),
            Self.function(status: "Successful", wrapped: false),
        ]
        try await withFunctionFolder { folder in
            try await ScriptedServer.with(replies: replies) { server in
                let fake = FakeTiming()
                let report = try await deploy(server, fake, folder: folder)
                #expect(report.code == .updated)
                #expect(fake.sleeps.withLockedValue { $0 } == [.seconds(1)])
                #expect(
                    requests(server) == [
                        "GET /2015-03-31/functions/fn", "PUT /2015-03-31/functions/fn/code",
                        "GET /2015-03-31/functions/fn", "PUT /2015-03-31/functions/fn/code",
                    ])
            }
        }
    }

    @Test("a conflict that persists is given up after the retries allowed")
    func conflictPersists() async throws {
        let replies = [
            Self.function(), Self.conflict, Self.function(status: "Successful"), Self.conflict,
        ]
        try await withFunctionFolder { folder in
            try await ScriptedServer.with(replies: replies) { server in
                let error = await #expect(throws: DeployError.self) {
                    try await deploy(server, FakeTiming(), folder: folder, conflictRetries: 1)
                }
                #expect(error == .conflictPersisted(name: "fn", operation: "UpdateFunctionCode", attempts: 2))
                #expect(server.received.count == 4)
            }
        }
    }

    @Test("a sixth layer is refused before the code is uploaded")
    func tooManyLayersBeforeUpload() async throws {
        let five = (1...5).map { "arn:aws:lambda:us-east-1:123456789012:layer:l\($0):1" }
        let sixth = "arn:aws:lambda:us-east-1:123456789012:layer:picolisp:3"
        try await withFunctionFolder { folder in
            try await ScriptedServer.with(replies: [Self.function(layers: five)]) { server in
                await #expect(throws: DeployError.tooManyLayers(five + [sixth])) {
                    try await deploy(server, FakeTiming(), folder: folder, layers: [sixth])
                }
                #expect(requests(server) == ["GET /2015-03-31/functions/fn"])
            }
        }
    }
}

@Suite("picolayer deploy: what changes in the configuration")
struct DeployPlanTests {
    static func current(layers: [String], environment: [String: String] = [:]) throws -> LambdaClient.FunctionInfo {
        try LambdaClient.FunctionInfo(
            json: [
                "FunctionName": "fn", "FunctionArn": "arn:aws:lambda:us-east-1:1:function:fn",
                "Handler": "main.handler",
                "MemorySize": 128, "Timeout": 3, "Layers": .array(layers.map { ["Arn": .string($0), "CodeSize": 1] }),
                "Environment": ["Variables": JSONValue(environment)],
            ], operation: "test")
    }

    static let other = "arn:aws:lambda:us-east-1:1:layer:other:3"
    static let pico1 = "arn:aws:lambda:us-east-1:1:layer:picolisp:1"
    static let pico2 = "arn:aws:lambda:us-east-1:1:layer:picolisp:2"
    static let json = "arn:aws:lambda:us-east-1:1:layer:json:9"

    @Test(
        "layers: same layer replaced in place, new ones appended, others kept in order",
        arguments: [
            ([pico1, other], [pico2], [pico2, other]),
            ([other], [pico2], [other, pico2]),
            ([other, pico1], [pico1], [other, pico1]),
            ([], [pico1, json], [pico1, json]),
            ([pico1, other], [json, pico2], [pico2, other, json]),
        ])
    func layers(current: [String], attach: [String], expected: [String]) throws {
        let update = Deployer.configurationUpdate(
            current: try Self.current(layers: current),
            configuration: DeployConfiguration(functionName: "fn", codePath: ".", region: "us-east-1"),
            attach: attach)
        #expect(update.layers == (expected == current ? nil : expected))
    }

    @Test("only what differs is sent; --env replaces the map only when given")
    func onlyDifferences() throws {
        let function = try Self.current(layers: [], environment: ["A1": "x"])
        var config = DeployConfiguration(
            functionName: "fn", codePath: ".", region: "us-east-1", handler: "main.handler", memorySize: 128,
            timeout: 3)
        #expect(Deployer.configurationUpdate(current: function, configuration: config, attach: []).isEmpty)
        config.environment = ["A1": "x"]
        #expect(Deployer.configurationUpdate(current: function, configuration: config, attach: []).isEmpty)
        config.environment = ["B2": "y"]
        config.memorySize = 1024
        let update = Deployer.configurationUpdate(current: function, configuration: config, attach: [])
        #expect(update == LambdaClient.ConfigurationUpdate(memorySize: 1024, environment: ["B2": "y"]))
        #expect(Deployer.changedFields(update) == ["MemorySize", "Environment"])
    }
}
