/// "Did you mean ...?" for a mistyped name: the closest of a list of known names.
public enum Suggestion {
    /// The known name within edit distance 2 of `word` (the nearest, the first listed on a tie), else the one
    /// name `word` is a prefix of; nil when neither exists.
    public static func closest(to word: String, among names: [String]) -> String? {
        let scored = names.map { (name: $0, distance: editDistance(word, $0)) }
        if let best = scored.min(by: { $0.distance < $1.distance }), best.distance <= 2 { return best.name }
        let prefixed = names.filter { $0.hasPrefix(word) }
        return !word.isEmpty && prefixed.count == 1 ? prefixed.first : nil
    }

    /// Levenshtein distance over characters: the fewest insertions, deletions and substitutions.
    public static func editDistance(_ first: String, _ second: String) -> Int {
        let a = Array(first)
        let b = Array(second)
        var previous = Array(0...b.count)
        for (i, left) in a.enumerated() {
            var current = [i + 1] + Array(repeating: 0, count: b.count)
            for (j, right) in b.enumerated() {
                current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (left == right ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
