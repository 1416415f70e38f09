import FoundationEssentials

/// The CloudWatch Logs call `picolayer logs` makes: FilterLogEvents (JSON 1.1 protocol, API 2014-03-28) on a
/// function's log group, `/aws/lambda/NAME`.
public struct CloudWatchLogsClient: Sendable {
    public var client: AWSClient

    public init(client: AWSClient) {
        self.client = client
    }

    /// One log line as Lambda wrote it to CloudWatch.
    public struct Event: Sendable, Equatable {
        /// Milliseconds since 1970.
        public var timestamp: Int64
        public var message: String
        public var eventId: String
        public var logStreamName: String
    }

    /// Lambda's log group for a function.
    public static func logGroup(function: String) -> String {
        let name = function.split(separator: ":").count >= 7 ? String(function.split(separator: ":")[6]) : function
        return "/aws/lambda/\(name)"
    }

    /// One page of FilterLogEvents from `startTime` (milliseconds), after `nextToken`.
    public func filterLogEvents(group: String, startTime: Int64, nextToken: String?) async throws
        -> (events: [Event], nextToken: String?)
    {
        var fields: [String: JSONValue] = [
            "logGroupName": .string(group), "startTime": .number(Double(startTime)), "limit": 1000,
        ]
        if let nextToken { fields["nextToken"] = .string(nextToken) }
        let request = AWSRequest(
            operation: "FilterLogEvents", method: "POST", path: "/",
            headers: [
                (name: "Content-Type", value: "application/x-amz-json-1.1"),
                (name: "X-Amz-Target", value: "Logs_20140328.FilterLogEvents"),
            ],
            body: .bytes(try JSONValue.object(fields).encoded()))
        let response = try await client.send(request)
        guard let json = JSONValue.object(parsing: response.body) else {
            throw AWSError.invalidResponse(operation: "FilterLogEvents", reason: "expected a JSON object")
        }
        let events = (json["events"]?.array ?? []).compactMap { item -> Event? in
            guard let message = item["message"]?.string, let timestamp = item["timestamp"]?.int else { return nil }
            return Event(
                timestamp: Int64(timestamp), message: message, eventId: item["eventId"]?.string ?? "",
                logStreamName: item["logStreamName"]?.string ?? "")
        }
        let token = json["nextToken"]?.string
        return (events, token?.isEmpty == false ? token : nil)
    }

    /// Every event from `startTime`, page after page; at most `maxPages` (a bound, not a limit users meet: a
    /// page holds up to 1000 events), then an error.
    public func events(group: String, startTime: Int64, maxPages: Int = 100) async throws -> [Event] {
        var all: [Event] = []
        var token: String?
        for _ in 0..<maxPages {
            let page = try await filterLogEvents(group: group, startTime: startTime, nextToken: token)
            all += page.events
            guard let next = page.nextToken, next != token else { return all.sorted { $0.timestamp < $1.timestamp } }
            token = next
        }
        throw AWSError.tooManyPages(operation: "FilterLogEvents", limit: maxPages)
    }
}
