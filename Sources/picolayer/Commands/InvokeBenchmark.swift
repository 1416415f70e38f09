import FoundationEssentials
import PicolayerKit

/// Latency figures of many warm invocations through one ``LocalLambda``, for `make bench`.
struct EmulatorBenchmark: Sendable {
    var count: Int
    /// Round trip of `invoke` (enqueue, `/next`, the runtime's work, `/response`, result), per invocation.
    var p50: Duration
    var p99: Duration
    var mean: Duration
    var invocationsPerSecond: Double

    /// Runs one cold invocation (not counted), then `count` warm ones of `event`, one after the other.
    static func run(_ lambda: LocalLambda, event: [UInt8], count: Int) async throws -> EmulatorBenchmark {
        let clock = ContinuousClock()
        let cold = try await lambda.invoke(event)
        if let type = cold.errorType {
            throw EmulatorBenchmarkError.failed(type, String(decoding: cold.payload, as: UTF8.self))
        }
        var samples: [Duration] = []
        samples.reserveCapacity(count)
        let started = clock.now
        for _ in 0..<count {
            let before = clock.now
            let result = try await lambda.invoke(event)
            samples.append(clock.now - before)
            if let type = result.errorType {
                throw EmulatorBenchmarkError.failed(type, String(decoding: result.payload, as: UTF8.self))
            }
        }
        let total = clock.now - started
        samples.sort()
        func percentile(_ p: Double) -> Duration {
            samples.isEmpty ? .zero : samples[min(samples.count - 1, Int(Double(samples.count) * p))]
        }
        let seconds = InvocationResult.milliseconds(total) / 1000
        return EmulatorBenchmark(
            count: count, p50: percentile(0.50), p99: percentile(0.99),
            mean: samples.isEmpty ? .zero : total / count,
            invocationsPerSecond: seconds > 0 ? Double(count) / seconds : 0)
    }

    /// `count=10000 p50_us=42.1 p99_us=80.3 mean_us=45.0 per_s=22000`
    var summary: String {
        func micro(_ duration: Duration) -> String {
            TextFormat.fixed(InvocationResult.milliseconds(duration) * 1000, places: 1)
        }
        return "count=\(count) p50_us=\(micro(p50)) p99_us=\(micro(p99)) mean_us=\(micro(mean)) per_s="
            + TextFormat.fixed(invocationsPerSecond, places: 0)
    }
}

enum EmulatorBenchmarkError: Error, LocalizedError {
    case failed(String, String)

    var errorDescription: String? {
        switch self {
        case .failed(let type, let payload):
            return "A benchmark invocation failed with \(type): \(payload). Check the runtime with picolayer invoke."
        }
    }
}
