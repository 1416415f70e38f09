import PicolayerKit
import Testing

@Suite("did you mean: edit distance and the closest known name")
struct SuggestionTests {
    @Test(
        "Levenshtein distance",
        arguments: [
            ("", "", 0), ("publsh", "publish", 1), ("eu-wst-1", "eu-west-1", 1), ("kitten", "sitting", 3),
            ("abc", "", 3), ("deploy", "deploy", 0),
        ])
    func distance(first: String, second: String, expected: Int) {
        #expect(Suggestion.editDistance(first, second) == expected)
        #expect(Suggestion.editDistance(second, first) == expected)
    }

    @Test(
        "the closest name: within distance 2, else a unique prefix, else none",
        arguments: [
            ("publsh", "publish"), ("dploy", "deploy"), ("lay", "layers"), ("who", "whoami"), ("p", nil),
            ("frobnicate", nil), ("comp", "completions"),
        ] as [(String, String?)])
    func closest(word: String, expected: String?) {
        let names = ["build", "package", "verify", "publish", "deploy", "layers", "whoami", "completions"]
        #expect(Suggestion.closest(to: word, among: names) == expected)
    }

    @Test("regions: a typo gets the nearest known region; every known one passes")
    func regions() throws {
        let error = #expect(throws: AWSError.self) { try KnownRegions.check("eu-wst-1") }
        #expect(
            error?.localizedDescription
                == "unknown region 'eu-wst-1'. Did you mean 'eu-west-1'? (pass --allow-unknown-region for a region newer than this picolayer)"
        )
        for region in KnownRegions.all { #expect(try KnownRegions.check(region) == region) }
        #expect(Set(KnownRegions.all).count == KnownRegions.all.count)
    }
}
