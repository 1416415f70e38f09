import PicolayerKit
import Testing

@Suite("Version")
struct VersionTests {
    @Test("the version is a semantic version")
    func semanticVersion() {
        let parts = PicolayerVersion.current.split(separator: ".")
        #expect(parts.count == 3)
        #expect(parts.allSatisfy { Int($0) != nil })
    }
}
