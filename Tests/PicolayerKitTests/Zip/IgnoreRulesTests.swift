import Foundation
import PicolayerKit
import Testing

/// One gitignore vector: the rules (one per line), a path, whether it is a folder, and whether it is ignored.
struct IgnoreCase: Sendable, CustomTestStringConvertible {
    let rules: String
    let path: String
    let isDirectory: Bool
    let ignored: Bool

    init(_ rules: String, _ path: String, directory: Bool = false, _ ignored: Bool) {
        self.rules = rules
        self.path = path
        self.isDirectory = directory
        self.ignored = ignored
    }

    var testDescription: String {
        "\(rules.debugDescription) \(ignored ? "ignores" : "keeps") \(path)\(isDirectory ? "/" : "")"
    }
}

@Suite("IgnoreRules: gitignore syntax")
struct IgnoreRulesTests {
    static let anchoring: [IgnoreCase] = [
        IgnoreCase("foo", "foo", true), IgnoreCase("foo", "a/b/foo", true), IgnoreCase("foo", "foobar", false),
        IgnoreCase("foo", "a/foo/bar.l", true),  // inside an ignored folder
        IgnoreCase("/foo", "foo", true), IgnoreCase("/foo", "a/foo", false),
        IgnoreCase("a/b", "a/b", true), IgnoreCase("a/b", "x/a/b", false),  // a middle slash anchors too
        IgnoreCase("a/*.l", "a/x.l", true), IgnoreCase("a/*.l", "a/b/x.l", false),  // `*` never crosses a slash
        IgnoreCase("*.l", "lib/util.l", true), IgnoreCase("*", ".env", true),
    ]

    static let directoriesAndNegation: [IgnoreCase] = [
        IgnoreCase("foo/", "foo", directory: true, true), IgnoreCase("foo/", "foo", false),
        IgnoreCase("foo/", "a/foo", directory: true, true), IgnoreCase("foo/", "foo/x", true),
        IgnoreCase("a/b/", "a/b", directory: true, true), IgnoreCase("a/b/", "c/a/b", directory: true, false),
        IgnoreCase("*.bak\n!keep.bak", "keep.bak", false), IgnoreCase("*.bak\n!keep.bak", "old.bak", true),
        IgnoreCase("!keep.bak\n*.bak", "keep.bak", true),  // the last rule that matches decides
        // It is not possible to re-include a file if a parent directory of that file is excluded.
        IgnoreCase("secret/\n!secret/keep.txt", "secret/keep.txt", true),
        IgnoreCase("secret\n!keep.txt", "secret/keep.txt", true),
        IgnoreCase("dir/*\n!dir/keep", "dir/keep", false), IgnoreCase("dir/*\n!dir/keep", "dir/other", true),
        IgnoreCase("/*\n!/src/", "src", directory: true, false), IgnoreCase("/*\n!/src/", "docs", true),
    ]

    static let doubleStars: [IgnoreCase] = [
        IgnoreCase("**/foo", "foo", true), IgnoreCase("**/foo", "a/b/foo", true),
        IgnoreCase("**/foo/bar", "foo/bar", true), IgnoreCase("**/foo/bar", "x/foo/bar", true),
        IgnoreCase("**/foo/bar", "x/foo/baz", false),
        IgnoreCase("abc/**", "abc/x", true), IgnoreCase("abc/**", "abc/x/y", true),
        IgnoreCase("abc/**", "abc", directory: true, false),  // everything inside, not the folder itself
        IgnoreCase("a/**/b", "a/b", true), IgnoreCase("a/**/b", "a/x/b", true), IgnoreCase("a/**/b", "a/x/y/b", true),
        IgnoreCase("a/**/b", "a/xb", false), IgnoreCase("a/**/b", "x/a/b", false),
        IgnoreCase("a**b", "axyb", true), IgnoreCase("a**b", "a/b", false),  // `**` inside a name is `*`
    ]

    static let wildcardsAndClasses: [IgnoreCase] = [
        IgnoreCase("m?in.l", "main.l", true), IgnoreCase("m?in.l", "min.l", false),
        IgnoreCase("[abc].l", "b.l", true), IgnoreCase("[abc].l", "d.l", false),
        IgnoreCase("[!abc].l", "d.l", true), IgnoreCase("[!abc].l", "a.l", false), IgnoreCase("[^a].l", "a.l", false),
        IgnoreCase("x[a-c]", "xb", true), IgnoreCase("x[a-c]", "xd", false), IgnoreCase("x[a-]", "x-", true),
        IgnoreCase("[]]x", "]x", true), IgnoreCase("[[:digit:]]x", "7x", true), IgnoreCase("[[:digit:]]x", "ax", false),
        IgnoreCase("[ab", "[ab", false), IgnoreCase("[ab\n*.l", "x.l", true), IgnoreCase("*.[oa]", "lib.a", true),
        IgnoreCase("é?", "éa", true),
    ]

    static let escapesAndLines: [IgnoreCase] = [
        IgnoreCase("#file", "#file", false), IgnoreCase("\\#file", "#file", true),
        IgnoreCase("\\!important", "!important", true), IgnoreCase("a\\*", "a*", true), IgnoreCase("a\\*", "ab", false),
        IgnoreCase("foo   ", "foo", true), IgnoreCase("foo\\ ", "foo ", true), IgnoreCase("foo\\ ", "foo", false),
        IgnoreCase("\n\n  \n# only comments", "anything", false), IgnoreCase("foo\r\n", "foo", true),
        IgnoreCase("x[\\]]", "x]", true), IgnoreCase("!", "!", false), IgnoreCase("/", "a", false),
    ]

    func check(_ vector: IgnoreCase) throws {
        var rules = IgnoreRules()
        try rules.add(contents: Array(vector.rules.utf8), source: "test")
        #expect(rules.isIgnored(vector.path, isDirectory: vector.isDirectory) == vector.ignored)
    }

    @Test("anchoring: a leading or middle slash anchors, otherwise any depth", arguments: anchoring)
    func anchored(_ vector: IgnoreCase) throws { try check(vector) }

    @Test("trailing slash, negation and the excluded-parent rule", arguments: directoriesAndNegation)
    func negation(_ vector: IgnoreCase) throws { try check(vector) }

    @Test("leading, trailing and middle **", arguments: doubleStars)
    func doubleStar(_ vector: IgnoreCase) throws { try check(vector) }

    @Test("?, * and [...] classes with negation, ranges and POSIX names", arguments: wildcardsAndClasses)
    func classes(_ vector: IgnoreCase) throws { try check(vector) }

    @Test("comments, escapes, trailing spaces and blank lines", arguments: escapesAndLines)
    func escapes(_ vector: IgnoreCase) throws { try check(vector) }

    @Test("the defaults leave out version control, secrets, backups and picolayer's files; the rest ships")
    func defaults() throws {
        let scratch = try ZipScratch()
        defer { scratch.remove() }
        let rules = try IgnoreRules.forTree(root: scratch.url)
        for path in [".git/config", ".hg/store", ".svn/entries", ".env", ".env.local", "a/.env.production"] {
            #expect(rules.isIgnored(path, isDirectory: false), "\(path)")
        }
        for path in ["notes.txt~", "main.l.bak", ".main.l.swp", ".main.l.swo", ".#main.l", "#main.l#", "sub/.DS_Store"]
        {
            #expect(rules.isIgnored(path, isDirectory: false), "\(path)")
        }
        #expect(rules.isIgnored("picolayer.toml", isDirectory: false))
        #expect(rules.isIgnored(".picolayerignore", isDirectory: false))
        #expect(rules.isIgnored(".git", isDirectory: true))
        for path in ["main.l", "lib/util.l", "env", ".envrc", "environment.l", "bin/tool", "bootstrap"] {
            #expect(!rules.isIgnored(path, isDirectory: false), "\(path)")
        }
    }

    @Test("--exclude adds rules after the file and --include re-includes after every --exclude")
    func options() throws {
        let scratch = try ZipScratch()
        defer { scratch.remove() }
        try scratch.file(".picolayerignore", "data/\n")
        let rules = try IgnoreRules.forTree(
            root: scratch.url, options: IgnoreOptions(exclude: ["*.txt"], include: [".env.example", "keep.txt"]))
        #expect(rules.isIgnored("data/x.l", isDirectory: false))
        #expect(rules.isIgnored("notes.txt", isDirectory: false))
        #expect(!rules.isIgnored("keep.txt", isDirectory: false))
        #expect(!rules.isIgnored(".env.example", isDirectory: false))
        #expect(rules.isIgnored(".env", isDirectory: false))
    }

    @Test("a pattern over 4096 bytes, a file over 1 MiB and a line that is not UTF-8 are errors naming file and line")
    func limits() throws {
        var rules = IgnoreRules()
        let long = String(repeating: "a", count: IgnoreRules.maxPatternBytes + 1)
        #expect(throws: ZipError.ignorePatternTooLong(source: "rules", line: 2, length: 4097, limit: 4096)) {
            try rules.add(contents: Array("ok\n\(long)\n".utf8), source: "rules")
        }
        try rules.add(contents: Array(String(repeating: "b", count: IgnoreRules.maxPatternBytes).utf8), source: "x")
        let big = [UInt8](repeating: UInt8(ascii: "\n"), count: IgnoreRules.maxFileBytes + 1)
        #expect(throws: ZipError.ignoreFileTooLarge(path: "big", size: UInt64(big.count), limit: 1 << 20)) {
            try rules.add(contents: big, source: "big")
        }
        #expect(throws: ZipError.ignoreFileNotUTF8(path: "bad", line: 3)) {
            try rules.add(contents: Array("a\nb\n".utf8) + [0xFF, 0xFE], source: "bad")
        }
        let message =
            ZipError.ignorePatternTooLong(source: "--exclude", line: 1, length: 5000, limit: 4096)
            .errorDescription ?? ""
        #expect(message.contains("--exclude line 1"))
    }

    @Test("a .picolayerignore that is a link, a folder, a pipe or too large is refused, naming it")
    func hostileFile() throws {
        let scratch = try ZipScratch()
        defer { scratch.remove() }
        let file = scratch.path + "/.picolayerignore"
        try scratch.file("elsewhere", "*\n")
        try scratch.link(".picolayerignore", to: "elsewhere")
        #expect(throws: ZipError.ignoreFileNotRegular(path: file, type: "symbolic link")) {
            try IgnoreRules.forTree(root: scratch.url)
        }
        try FileManager.default.removeItem(atPath: file)
        try scratch.folder(".picolayerignore")
        #expect(throws: ZipError.ignoreFileNotRegular(path: file, type: "folder")) {
            try IgnoreRules.forTree(root: scratch.url)
        }
        try FileManager.default.removeItem(atPath: file)
        #expect(mkfifo(file, 0o644) == 0)
        #expect(throws: ZipError.ignoreFileNotRegular(path: file, type: "named pipe")) {
            try IgnoreRules.forTree(root: scratch.url)
        }
        try FileManager.default.removeItem(atPath: file)
        try scratch.file(".picolayerignore", [UInt8](repeating: 0x0A, count: IgnoreRules.maxFileBytes + 1))
        #expect(throws: ZipError.ignoreFileTooLarge(path: file, size: 1_048_577, limit: 1 << 20)) {
            try IgnoreRules.forTree(root: scratch.url)
        }
    }

    @Test("patterns built to make a backtracking matcher explode finish at once", .timeLimit(.minutes(1)))
    func pathological() throws {
        var rules = IgnoreRules()
        let stars = String(repeating: "*a", count: 60) + "*b"
        let deep = String(repeating: "**/a/", count: 40) + "b"
        try rules.add(contents: Array("\(stars)\n/\(deep)\n".utf8), source: "test")
        let name = String(repeating: "a", count: 4000)
        let path = Array(repeating: "a", count: 200).joined(separator: "/") + "/c"
        #expect(!rules.isIgnored(name, isDirectory: false))
        #expect(!rules.isIgnored(path, isDirectory: false))
        #expect(rules.isIgnored(name + "b", isDirectory: false))
    }
}
