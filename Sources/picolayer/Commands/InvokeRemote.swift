import ArgumentParser
import FoundationEssentials
import Logging
import PicolayerKit

extension Picolayer.Invoke {
    /// `invoke --remote`: each event through the real Invoke API (RequestResponse, `LogType: Tail`): the response
    /// on stdout, the decoded log tail on stderr, exit 1 on a function error.
    func invokeRemote(_ payloads: [[UInt8]]) async throws {
        let settings = try ProjectSettings.current(environment: aws.context.environment)
        guard let name = settings.string(.functionName, flag: remoteFunction, "--function")?.value else {
            throw ValidationError("--remote needs --function NAME, or function.name in picolayer.toml.")
        }
        let region = try aws.region(flag: settings.regionFlag(function.region))
        let (logger, json, quiet, oneALine) = (reporting.logger, self.json, reporting.quiet, events != nil)
        let failed = try await aws.withServices(region: region, logger: logger) { services in
            let lambda = LambdaClient(client: try services.client(for: .lambda, region: region))
            var failed = false
            for payload in payloads {
                let output = try await lambda.invoke(functionName: name, payload: payload)
                if json {
                    let document: JSONValue = [
                        "statusCode": .number(Double(output.statusCode)),
                        "response": (try? JSONValue.parse(output.payload))
                            ?? .string(String(decoding: output.payload, as: UTF8.self)),
                        "functionError": output.functionError.map { .string($0) } ?? .null,
                        "executedVersion": output.executedVersion.map { .string($0) } ?? .null,
                        "log": output.logTail.map { .string($0) } ?? .null,
                    ]
                    printResult(try JSONOutput.encode(document))
                } else {
                    if let tail = output.logTail, !quiet { StandardStreams.writeError(tail) }
                    StandardStreams.writeOutput(output.payload)
                    if oneALine { StandardStreams.writeOutput("\n") }
                }
                failed = failed || output.functionError != nil
            }
            return failed
        }
        if failed { throw ExitCode(1) }
    }
}
