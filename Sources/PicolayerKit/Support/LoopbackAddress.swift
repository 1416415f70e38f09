import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Which hosts count as this machine, for the places that allow plain http only there (build sources, container
/// credentials).
public enum LoopbackAddress {
    /// True for `localhost` and for an address literal in 127.0.0.0/8 or `::1` (also `::ffff:127.x.x.x`), with or
    /// without IPv6 brackets. The host is parsed as an address, never resolved: `127.evil.example` is a name, and
    /// names other than `localhost` are not loopback.
    public static func contains(_ host: String) -> Bool {
        let bare = host.trimming(["[", "]"]).lowercased()
        if bare == "localhost" { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, bare, &v4) == 1 {
            return UInt32(bigEndian: v4.s_addr) >> 24 == 127
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, bare, &v6) == 1 else { return false }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return true }
        let mapped = bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xff && bytes[11] == 0xff
        return mapped && bytes[12] == 127
    }
}
