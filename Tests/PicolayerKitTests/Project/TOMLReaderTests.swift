import Foundation
import PicolayerKit
import Testing

@Suite("picolayer.toml's reader: what it reads agrees with Python's tomllib; what it refuses names the line")
struct TOMLReaderTests {
    static let documents = [
        #"""
        # comment
        [layer]
        name = "picolisp"   # trailing comment
        regions = [
          "eu-west-1",  # one
          "us-east-1",
        ]
        public = true

        [function]
        name = 'hello'
        memory = 1_024
        timeout = +30
        layers = []
        "quoted key" = "a \"b\" \\ \u00e9 \U0001F600 \t"

        [function.environment]
        GREETING = "hi"
        EMPTY = ""
        """#,
        "a.b.c = 1\na.d = false\n[x]\ny = { z = \"1\", w = { v = -0 } }\n",
        "k = \"v\"\r\n[t]\r\nn = 0\r\n",
        "arr = [ [\"a\"], [1, 2] ]\n",
    ]

    /// The document as Python's tomllib reads it, flattened into dotted keys like ours.
    func pythonView(_ text: String) throws -> [String: String] {
        let script = """
            import json, sys, tomllib
            def flat(prefix, table, out):
                for key, value in table.items():
                    name = prefix + key
                    if isinstance(value, dict):
                        flat(name + ".", value, out)
                    else:
                        out[name] = json.dumps(value, ensure_ascii=False)
            out = {}
            flat("", tomllib.loads(sys.stdin.read()), out)
            print(json.dumps(out))
            """
        let run = try runBlocking(
            "/usr/bin/env", ["python3", "-c", script], input: Data(text.utf8), environment: nil)
        try #require(run.status == 0, "tomllib: \(String(decoding: run.stderr, as: UTF8.self))")
        return try JSONDecoder().decode([String: String].self, from: run.stdout)
    }

    func json(_ value: TOMLValue) -> String {
        switch value {
        case .string(let text):
            return String(decoding: (try? JSONEncoder().encode(text)) ?? Data(), as: UTF8.self)
        case .integer(let number): return String(number)
        case .boolean(let flag): return flag ? "true" : "false"
        case .array(let items): return "[" + items.map(json).joined(separator: ", ") + "]"
        }
    }

    @Test("valid documents read as tomllib reads them", arguments: documents.indices)
    func agreesWithTomllib(_ index: Int) throws {
        let text = Self.documents[index]
        let ours = try TOMLReader.parse(text, file: "t.toml").entries.mapValues { json($0.value) }
        let theirs = try pythonView(text)
        // JSON spellings differ only in escaping; compare the decoded strings.
        func decoded(_ map: [String: String]) throws -> [String: String] {
            try map.mapValues { value in
                let object = try JSONSerialization.jsonObject(with: Data(value.utf8), options: .fragmentsAllowed)
                return String(describing: object)
            }
        }
        #expect(try decoded(ours) == decoded(theirs))
    }

    @Test("the line of each key is kept")
    func lines() throws {
        let document = try TOMLReader.parse(Self.documents[0], file: "t.toml")
        #expect(document.entries["layer.name"]?.line == 3)
        #expect(document.entries["layer.public"]?.line == 8)
        #expect(document.entries["function.environment.EMPTY"]?.line == 19)
        #expect(document.tables["function.environment"] != nil)
    }

    static let refusals: [(text: String, line: Int, says: String)] = [
        ("a = 1\na = 2\n", 2, "a is set twice (first on line 1)"),
        ("[t]\nx = 1\n[t]\n", 3, "the table [t] is defined twice"),
        ("x = 1.5\n", 1, "floats, dates and times"),
        ("x = 2026-12-03\n", 1, "floats, dates and times"),
        ("x = \"\"\"\nlong\n\"\"\"\n", 1, "multi-line strings"),
        ("x = \"open\n", 1, "a string ends at the end of its line"),
        ("\n\nx = bare\n", 3, "bare is not a value"),
        ("x = 01\n", 1, "01 is not a value"),
        ("x = 1 y = 2\n", 1, "expected the end of the line"),
        ("[[t]]\n", 1, "arrays of tables"),
        ("x = \"\\q\"\n", 1, "is not an escape"),
        ("x = [1, 2\n", 2, "expected , or ]"),
        ("x = { a = 1,\n b = 2 }\n", 1, "inline table"),
        ("x = " + String(repeating: "[", count: 40) + "\n", 1, "nested more than 16 deep"),
    ]

    @Test("what it does not read is refused with the file, the line and the reason", arguments: refusals.indices)
    func refused(_ index: Int) {
        let (text, line, says) = Self.refusals[index]
        do {
            let document = try TOMLReader.parse(text, file: "p.toml")
            Issue.record("read \(text.debugDescription) as \(document)")
        } catch {
            #expect(error.line == line, "\(error.localizedDescription)")
            #expect(error.localizedDescription.hasPrefix("p.toml:\(line): "), "\(error.localizedDescription)")
            #expect(error.reason.contains(says), "\(error.reason)")
        }
    }

    @Test("a file over 1 MiB is refused before it is read")
    func tooLarge() {
        let text = String(repeating: "# padding\n", count: TOMLReader.maxBytes / 10 + 1)
        #expect(throws: TOMLError.self) { try TOMLReader.parse(text, file: "big.toml") }
    }
}
