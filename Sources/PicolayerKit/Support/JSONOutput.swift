import FoundationEssentials

/// The one style of every `--json` document: compact, keys sorted, slashes unescaped, one line (the CLI ends it
/// with a newline). docs/json.md holds each command's shape.
public enum JSONOutput {
    public static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

extension VerifyReport {
    /// `{"layer", "target", "architecture", "passed", "findings": [...], "sizes": {...}, "liveResponse"}`.
    public func json(layer: String, target: LambdaTarget, architecture: Architecture) throws -> String {
        try JSONOutput.encode(Shape(self, layer: layer, target: target, architecture: architecture))
    }

    struct Shape: Encodable {
        var layer: String
        var target: String
        var architecture: String
        var passed: Bool
        var findings: [Finding]
        var sizes: LayerSizes
        var liveResponse: String?

        init(_ report: VerifyReport, layer: String, target: LambdaTarget, architecture: Architecture) {
            self.layer = layer
            self.target = target.rawValue
            self.architecture = architecture.rawValue
            passed = report.passed
            findings = report.findings
            sizes = report.sizes
            liveResponse = report.liveResponse
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(layer, forKey: .layer)
            try container.encode(target, forKey: .target)
            try container.encode(architecture, forKey: .architecture)
            try container.encode(passed, forKey: .passed)
            try container.encode(findings, forKey: .findings)
            try container.encode(sizes, forKey: .sizes)
            try container.encode(liveResponse, forKey: .liveResponse)
        }

        enum CodingKeys: String, CodingKey { case layer, target, architecture, passed, findings, sizes, liveResponse }
    }
}

extension BuildReport {
    /// `{"layer", "buildKey", "reusedBuild", "verification": <verify's document>}`.
    public func json(target: LambdaTarget, architecture: Architecture) throws -> String {
        struct Shape: Encodable {
            var layer: String
            var buildKey: String
            var reusedBuild: Bool
            var verification: VerifyReport.Shape
        }
        let verification = VerifyReport.Shape(
            self.verification, layer: layer.path, target: target, architecture: architecture)
        return try JSONOutput.encode(
            Shape(layer: layer.path, buildKey: buildKey, reusedBuild: reusedBuild, verification: verification))
    }
}

extension InvocationResult {
    /// `{"requestId", "response", "errorType", "durationMs", "billedDurationMs", "initDurationMs",
    /// "memorySizeMB", "maxMemoryUsedMB"}`: `response` is the payload as JSON when it is JSON, else a string.
    public func json() throws -> String {
        let durationMs = Self.milliseconds(duration)
        let initMs = initDuration.map(Self.milliseconds)
        let response = (try? JSONValue.parse(payload)) ?? .string(String(decoding: payload, as: UTF8.self))
        let document: JSONValue = [
            "requestId": .string(requestID), "response": response,
            "errorType": errorType.map { .string($0) } ?? .null,
            "durationMs": .number((durationMs * 100).rounded() / 100),
            "billedDurationMs": .number((durationMs + (initMs ?? 0)).rounded(.up)),
            "initDurationMs": initMs.map { .number(($0 * 100).rounded() / 100) } ?? .null,
            "memorySizeMB": .number(Double(memorySize)), "maxMemoryUsedMB": .number(Double(maxMemoryUsedMB)),
        ]
        return try JSONOutput.encode(document)
    }
}
