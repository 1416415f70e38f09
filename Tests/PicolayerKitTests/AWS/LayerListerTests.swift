import Foundation
import NIOConcurrencyHelpers
import PicolayerKit
import Testing

@Suite("picolayer layers: ListLayerVersions pages, CodeSha256 from GetLayerVersion, the report")
struct LayerListerTests {
    /// A lister over a fake transport answering `answer(path, query)`, every request endpoint recorded.
    func lister(
        regions: [String], requests: NIOLockedValueBox<[String]>,
        _ answer: @escaping @Sendable (String, String) -> (Int, String)
    ) -> LayerLister {
        let transport = HTTPTransport { request in
            requests.withLockedValue { $0.append("\(request.endpoint.host) \(request.path)?\(request.query)") }
            let (status, body) = answer(request.path, request.query)
            return HTTPResponse(status: status, headers: [], body: Array(body.utf8))
        }
        let services = AWSServiceContext(
            credentials: .fixed(testCredentials), environment: [:], transport: transport,
            timing: FakeTiming().timing)
        return LayerLister(layerName: "picolisp", regions: regions, services: services)
    }

    static func item(_ version: Int, region: String = "eu-west-1", sha: String? = nil) -> String {
        let content = sha.map { #","Content":{"CodeSha256":"\#($0)"}"# } ?? ""
        return #"{"Version":\#(version),"LayerVersionArn":"arn:aws:lambda:\#(region):1:layer:picolisp:\#(version)","#
            + #""CompatibleArchitectures":["arm64"],"CompatibleRuntimes":["provided.al2023"],"#
            + #""CreatedDate":"2026-11-2\#(version)T10:00:00.000+0000"\#(content)}"#
    }

    @Test("two pages are joined newest first; versions listed without CodeSha256 are read with GetLayerVersion")
    func pagesAndGetLayerVersion() async throws {
        let requests = NIOLockedValueBox<[String]>([])
        let listing = await lister(regions: ["eu-west-1"], requests: requests) { path, query in
            if path.hasSuffix("/versions/1") {
                return (200, #"{"Version":1,"LayerVersionArn":"a:1","Content":{"CodeSha256":"from-get"}}"#)
            }
            if query.isEmpty { return (200, #"{"LayerVersions":[\#(Self.item(3, sha: "three"))],"NextMarker":"m2"}"#) }
            return (200, #"{"LayerVersions":[\#(Self.item(1)),\#(Self.item(2, sha: "two"))]}"#)
        }.run()
        let versions = try #require(listing.regions.first?.versions)
        #expect(versions.map(\.version) == [3, 2, 1])
        #expect(versions.map(\.codeSha256) == ["three", "two", "from-get"])
        #expect(versions.first?.architectures == ["arm64"])
        #expect(versions.first?.runtimes == ["provided.al2023"])
        #expect(versions.first?.created == "2026-11-23T10:00:00.000+0000")
        #expect(
            requests.withLockedValue { $0 } == [
                "lambda.eu-west-1.amazonaws.com /2018-10-31/layers/picolisp/versions?",
                "lambda.eu-west-1.amazonaws.com /2018-10-31/layers/picolisp/versions?Marker=m2",
                "lambda.eu-west-1.amazonaws.com /2018-10-31/layers/picolisp/versions/1?",
            ])
        #expect(!listing.anyFailed)
    }

    @Test("a NextMarker that never ends stops after 100 pages with an error in that region only")
    func endlessPages() async throws {
        let requests = NIOLockedValueBox<[String]>([])
        let listing = await lister(regions: ["us-east-1", "eu-west-1"], requests: requests) { _, _ in
            (200, #"{"LayerVersions":[],"NextMarker":"again"}"#)
        }.run()
        #expect(listing.regions.map(\.region) == ["us-east-1", "eu-west-1"])
        #expect(listing.anyFailed)
        #expect(listing.regions.allSatisfy { $0.error?.contains("after 100 pages") == true })
        #expect(requests.withLockedValue { $0.count } == 2 * LambdaClient.maxListPages)
    }

    @Test("a failing region keeps its error beside the others' versions, in the table and the JSON")
    func oneRegionFails() async throws {
        let requests = NIOLockedValueBox<[String]>([])
        let transport = lister(regions: ["us-east-1", "eu-west-1"], requests: requests) { _, _ in (200, "") }
        var services = transport.services
        services.transport = HTTPTransport { request in
            if request.endpoint.host.contains("us-east-1") {
                return HTTPResponse(
                    status: 403, headers: [],
                    body: Array(#"{"__type":"AccessDeniedException","message":"not allowed"}"#.utf8))
            }
            return HTTPResponse(
                status: 200, headers: [],
                body: Array(#"{"LayerVersions":[\#(Self.item(1, sha: "abc="))]}"#.utf8))
        }
        let listing = await LayerLister(layerName: "picolisp", regions: ["us-east-1", "eu-west-1"], services: services)
            .run()
        #expect(listing.anyFailed)
        let table = listing.table()
        #expect(table.contains("ListLayerVersions failed: AccessDeniedException (HTTP 403)"), "\(table)")
        #expect(table.contains("eu-west-1  1        2026-11-21T10:00:00.000+0000  arm64"), "\(table)")
        let json = try listing.json()
        #expect(!json.contains("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let regions = try #require(object["regions"] as? [String: Any])
        #expect((regions["us-east-1"] as? [String: String])?["error"]?.contains("AccessDenied") == true)
        let eu = try #require(regions["eu-west-1"] as? [[String: Any]])
        #expect(eu.first?["codeSha256"] as? String == "abc=")
        #expect(eu.first?["version"] as? Int == 1)
        #expect(eu.first?["architectures"] as? [String] == ["arm64"])
    }
}
