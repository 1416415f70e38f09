import Foundation
import PicolayerKit

/// Locates and reads the SigV4 test vectors in `Tests/fixtures/sigv4` (AWS's suites, Apache-2.0; see SOURCE.md there).
enum SigV4TestData {
    /// The folder holding Package.swift, found by walking up from this source file.
    static let packageRoot: URL? = {
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        for _ in 0..<10 {
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
            url.deleteLastPathComponent()
        }
        return nil
    }()

    static let root: URL? = packageRoot?.appendingPathComponent("Tests/fixtures/sigv4")

    static var missingMessage: String {
        "SigV4 test vectors not found at \(root?.path ?? "<package root not found>"); "
            + "they live in Tests/fixtures/sigv4 of the project"
    }

    /// Case folders of `classic/` (nested ones included), as paths relative to `classic/`.
    static let classicCases: [String] = {
        guard let base = root?.appendingPathComponent("classic"),
            let walker = FileManager.default.enumerator(atPath: base.path)
        else { return [] }
        return walker.compactMap { $0 as? String }.filter { $0.hasSuffix(".req") }
            .map { ($0 as NSString).deletingLastPathComponent }.sorted()
    }()

    static let v4Cases: [String] = {
        guard let base = root?.appendingPathComponent("v4"),
            let names = try? FileManager.default.contentsOfDirectory(atPath: base.path)
        else { return [] }
        return names.filter {
            FileManager.default.fileExists(atPath: base.appendingPathComponent("\($0)/request.txt").path)
        }.sorted()
    }()

    static func text(_ relative: String) throws -> String {
        guard let root else { throw TestDataError.missing(missingMessage) }
        let url = root.appendingPathComponent(relative)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw TestDataError.missing("cannot read \(url.path); \(missingMessage)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    enum TestDataError: Error, CustomStringConvertible {
        case missing(String)
        var description: String {
            switch self {
            case .missing(let text): return text
            }
        }
    }

    /// A raw HTTP request file: `METHOD target[ HTTP/1.1]`, `Name:value` lines (indented lines continue the
    /// previous value), an empty line, then the body.
    struct RawRequest {
        var method: String
        var path: String
        var rawQuery: String
        var headers: [(name: String, value: String)]
        var body: [UInt8]

        init(_ text: String) {
            var head = text
            var body = ""
            if let split = text.range(of: "\n\n") {
                head = String(text[..<split.lowerBound])
                body = String(text[split.upperBound...])
            }
            var lines = head.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            var requestLine = lines.removeFirst()
            if requestLine.hasSuffix(" HTTP/1.1") { requestLine.removeLast(" HTTP/1.1".count) }
            let space = requestLine.firstIndex(of: " ") ?? requestLine.endIndex
            method = String(requestLine[..<space])
            let target = String(requestLine[requestLine.index(after: space)...])
            if let mark = target.firstIndex(of: "?") {
                path = String(target[..<mark])
                rawQuery = String(target[target.index(after: mark)...])
            } else {
                path = target
                rawQuery = ""
            }
            headers = []
            for line in lines where !line.isEmpty {
                if line.first == " " || line.first == "\t", !headers.isEmpty {
                    headers[headers.count - 1].value += " " + line
                } else if let colon = line.firstIndex(of: ":") {
                    headers.append((String(line[..<colon]), String(line[line.index(after: colon)...])))
                }
            }
            self.body = Array(body.utf8)
        }

        var signable: SignableRequest {
            SignableRequest(method: method, path: path, query: SigV4Signer.parseQuery(rawQuery), headers: headers)
        }
    }

    static let suiteCredentials = AWSCredentials(
        accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")

    /// 2015-08-30T12:36:00Z, the time of every suite case.
    static let suiteDate = Date(timeIntervalSince1970: 1_440_938_160)
}

extension SigV4Signer {
    /// Parses a raw query string of the test vectors (`a=1&b&c=%20`) into decoded items, keeping order and
    /// repeats; an escape that does not decode stays as written.
    static func parseQuery(_ raw: String) -> [SignableRequest.QueryItem] {
        guard !raw.isEmpty else { return [] }
        return raw.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let decode = { (text: Substring) in String(text).percentDecoded ?? String(text) }
            if let eq = pair.firstIndex(of: "=") {
                return .init(decode(pair[..<eq]), decode(pair[pair.index(after: eq)...]))
            }
            return .init(decode(pair), nil)
        }
    }
}
