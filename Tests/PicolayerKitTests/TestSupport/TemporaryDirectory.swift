import Foundation

/// A temporary folder removed at the end of `body`.
func withTemporaryDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("picolayer-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try await body(url)
}

/// A folder under the system temporary folder, removed by `remove()`.
struct ZipScratch {
    let url: URL
    var path: String { url.path }

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("picolayer-zip-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }

    func file(_ relative: String, _ contents: [UInt8], mode: Int = 0o644) throws {
        let target = url.appendingPathComponent(relative)
        try FileManager.default.createDirectory(
            at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(contents).write(to: target)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: target.path)
    }

    func file(_ relative: String, _ text: String, mode: Int = 0o644) throws {
        try file(relative, Array(text.utf8), mode: mode)
    }

    func folder(_ relative: String, mode: Int = 0o755) throws {
        let target = url.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: target.path)
    }

    func link(_ relative: String, to target: String) throws {
        try FileManager.default.createSymbolicLink(
            atPath: url.appendingPathComponent(relative).path, withDestinationPath: target)
    }
}

/// A small layer tree whose packaging warns: a bootstrap, and a link that leaves the tree (`outside`).
func makeTreeThatWarns(in root: URL) throws -> URL {
    let tree = root.appendingPathComponent("tree")
    try FileManager.default.createDirectory(at: tree, withIntermediateDirectories: true)
    try Data("#!/bin/sh\n".utf8).write(to: tree.appendingPathComponent("bootstrap"))
    try FileManager.default.createSymbolicLink(
        atPath: tree.appendingPathComponent("outside").path, withDestinationPath: "/etc/hostname")
    return tree
}
