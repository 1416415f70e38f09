/// One line of gitignore syntax, parsed: what it matches and whether it ignores or re-includes.
///
/// Written from the rules of https://git-scm.com/docs/gitignore. A pattern is a list of segments, one per
/// `/`-separated part; `**` as a whole segment matches any number of folders, and a pattern without a slash
/// (other than a trailing one) gets an implicit `**/` in front, so it matches at any depth. Matching is an
/// iterative wildcard match at both levels (names within a segment, segments within a path): its work is bounded
/// by the pattern's length times the name's, whatever the pattern.
public struct IgnorePattern: Sendable, Equatable {
    /// The line as written (after trailing spaces were trimmed).
    public let text: String
    /// `!pattern`: a path it matches is put back in.
    public let negated: Bool
    /// `pattern/`: it matches folders only.
    public let directoryOnly: Bool
    let segments: [Segment]

    enum Segment: Sendable, Equatable {
        /// `**` between slashes: zero or more folders.
        case anyDepth
        /// One name, matched by a glob.
        case name([Glob])
    }

    enum Glob: Sendable, Equatable {
        case literal(Unicode.Scalar)
        /// `?`: one character.
        case one
        /// `*`: any run of characters (never a `/`: a name has none).
        case star
        /// `[...]`: one character in (or, negated, not in) the set.
        case set(negated: Bool, members: [SetMember])
    }

    enum SetMember: Sendable, Equatable {
        case single(Unicode.Scalar)
        case range(Unicode.Scalar, Unicode.Scalar)
        /// `[:alpha:]` and the other POSIX classes.
        case named(String)
    }

    /// Parses one line of a rules file; nil for a blank line, a `#` comment, or a pattern that can match nothing
    /// (an unclosed `[`, as git's wildmatch has it).
    public init?(line: String) {
        var scalars = Array(line.unicodeScalars)
        if scalars.last == "\r" { scalars.removeLast() }
        // Trailing spaces go unless escaped: a space preceded by an odd number of backslashes stays.
        while scalars.last == " " {
            let backslashes = scalars.dropLast().reversed().prefix { $0 == "\\" }.count
            if backslashes % 2 == 1 { break }
            scalars.removeLast()
        }
        guard let first = scalars.first, first != "#" else { return nil }
        text = String(String.UnicodeScalarView(scalars))
        negated = first == "!"
        if negated { scalars.removeFirst() }
        guard var tokens = Self.tokens(scalars) else { return nil }
        directoryOnly = tokens.last.map { $0 == nil } ?? false
        while let last = tokens.last, last == nil { tokens.removeLast() }
        guard !tokens.isEmpty else { return nil }
        // A slash at the start or in the middle anchors the pattern to the root; otherwise it matches at any depth.
        let anchored = tokens.contains { $0 == nil }
        var segments: [Segment] = tokens.split(separator: nil).map { part in
            let globs = part.compactMap { $0 }
            if anchored && globs == [.star, .star] { return .anyDepth }
            return .name(Self.collapsingStars(globs))
        }
        guard !segments.isEmpty else { return nil }
        if !anchored { segments.insert(.anyDepth, at: 0) }
        // A trailing `/**` matches everything inside, not the folder itself: at least one more name.
        if anchored, segments.last == .anyDepth { segments.insert(.name([.star]), at: segments.count - 1) }
        self.segments = segments
    }

    /// Whether the pattern matches this path (its names, root first) itself, not counting the folders above it.
    func matches(_ path: [[Unicode.Scalar]], isDirectory: Bool) -> Bool {
        if directoryOnly && !isDirectory { return false }
        return wildcardMatch(
            patternCount: segments.count, subjectCount: path.count,
            isStar: { segments[$0] == .anyDepth },
            matchesOne: { index, name in
                guard case .name(let globs) = segments[index] else { return false }
                return Self.glob(globs, matches: path[name])
            })
    }

    static func glob(_ globs: [Glob], matches name: [Unicode.Scalar]) -> Bool {
        wildcardMatch(
            patternCount: globs.count, subjectCount: name.count,
            isStar: { globs[$0] == .star },
            matchesOne: { index, position in
                switch globs[index] {
                case .literal(let scalar): return scalar == name[position]
                case .one: return true
                case .star: return false
                case .set(let negated, let members):
                    return members.contains { $0.contains(name[position]) } != negated
                }
            })
    }

    /// The pattern as tokens, `nil` standing for a `/`; nil for an unclosed `[`. A backslash makes the next
    /// character literal.
    static func tokens(_ scalars: [Unicode.Scalar]) -> [Glob?]? {
        var tokens: [Glob?] = []
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            index += 1
            switch scalar {
            case "\\" where index < scalars.count:
                tokens.append(.literal(scalars[index]))
                index += 1
            case "/": tokens.append(nil)
            case "*": tokens.append(.star)
            case "?": tokens.append(.one)
            case "[":
                guard let (set, next) = Self.set(scalars, from: index) else { return nil }
                tokens.append(set)
                index = next
            default: tokens.append(.literal(scalar))
            }
        }
        return tokens
    }

    /// A `[...]` class whose contents start at `start` (after the `[`), and the index after its `]`.
    static func set(_ scalars: [Unicode.Scalar], from start: Int) -> (Glob, Int)? {
        var index = start
        let negated = index < scalars.count && (scalars[index] == "!" || scalars[index] == "^")
        if negated { index += 1 }
        var members: [SetMember] = []
        // A `]` first in the class is a member, not its end.
        var first = true
        while index < scalars.count {
            if scalars[index] == "]" && !first { return (.set(negated: negated, members: members), index + 1) }
            first = false
            if let (name, next) = namedClass(scalars, from: index) {
                members.append(.named(name))
                index = next
                continue
            }
            let (low, afterLow) = literal(scalars, at: index)
            if afterLow + 1 < scalars.count, scalars[afterLow] == "-", scalars[afterLow + 1] != "]" {
                let (high, afterHigh) = literal(scalars, at: afterLow + 1)
                members.append(.range(low, high))
                index = afterHigh
            } else {
                members.append(.single(low))
                index = afterLow
            }
        }
        return nil
    }

    /// `[:name:]` at `index`, and the index after it.
    private static func namedClass(_ scalars: [Unicode.Scalar], from index: Int) -> (String, Int)? {
        guard index + 1 < scalars.count, scalars[index] == "[", scalars[index + 1] == ":" else { return nil }
        var end = index + 2
        while end + 1 < scalars.count, scalars[end] != ":" || scalars[end + 1] != "]" { end += 1 }
        guard end + 1 < scalars.count else { return nil }
        return (String(String.UnicodeScalarView(scalars[(index + 2)..<end])), end + 2)
    }

    /// The character at `index` inside a class, a backslash escaping it, and the index after it.
    private static func literal(_ scalars: [Unicode.Scalar], at index: Int) -> (Unicode.Scalar, Int) {
        if scalars[index] == "\\", index + 1 < scalars.count { return (scalars[index + 1], index + 2) }
        return (scalars[index], index + 1)
    }

    /// `**` inside a name is a plain `*` (gitignore), and one star matches what a run of them would.
    static func collapsingStars(_ globs: [Glob]) -> [Glob] {
        var result: [Glob] = []
        for glob in globs where !(glob == .star && result.last == .star) { result.append(glob) }
        return result
    }
}

extension IgnorePattern.SetMember {
    func contains(_ scalar: Unicode.Scalar) -> Bool {
        switch self {
        case .single(let member): return member == scalar
        case .range(let low, let high): return low <= scalar && scalar <= high
        case .named(let name): return Self.posixClass(name, contains: scalar)
        }
    }

    /// The POSIX classes of fnmatch(3), over ASCII as in the C locale; an unknown name matches nothing.
    static func posixClass(_ name: String, contains scalar: Unicode.Scalar) -> Bool {
        guard scalar.isASCII else { return false }
        let value = scalar.value
        let lower = (0x61...0x7A).contains(value)
        let upper = (0x41...0x5A).contains(value)
        let digit = (0x30...0x39).contains(value)
        let graph = (0x21...0x7E).contains(value)
        switch name {
        case "alpha": return lower || upper
        case "alnum": return lower || upper || digit
        case "digit": return digit
        case "lower": return lower
        case "upper": return upper
        case "xdigit": return digit || (0x41...0x46).contains(value) || (0x61...0x66).contains(value)
        case "space": return value == 0x20 || (0x09...0x0D).contains(value)
        case "blank": return value == 0x20 || value == 0x09
        case "punct": return graph && !(lower || upper || digit)
        case "graph": return graph
        case "print": return graph || value == 0x20
        case "cntrl": return value < 0x20 || value == 0x7F
        default: return false
        }
    }
}

/// Matches a pattern of single items and stars (a star: any run of subject items, none included) against a
/// subject, without recursion: on a mismatch it goes back only to the last star, one item further. Every other
/// star before it can stay where it is, so the work is at most `patternCount * subjectCount` comparisons.
func wildcardMatch(
    patternCount: Int, subjectCount: Int, isStar: (Int) -> Bool, matchesOne: (Int, Int) -> Bool
) -> Bool {
    var pattern = 0
    var subject = 0
    var lastStar: Int?
    var resumeAt = 0
    while subject < subjectCount {
        if pattern < patternCount && isStar(pattern) {
            lastStar = pattern
            resumeAt = subject
            pattern += 1
        } else if pattern < patternCount && matchesOne(pattern, subject) {
            pattern += 1
            subject += 1
        } else if let star = lastStar {
            resumeAt += 1
            subject = resumeAt
            pattern = star + 1
        } else {
            return false
        }
    }
    while pattern < patternCount && isStar(pattern) { pattern += 1 }
    return pattern == patternCount
}
