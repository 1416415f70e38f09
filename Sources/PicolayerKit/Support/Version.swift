/// The version of picolayer, printed by `picolayer --version` and written into layer descriptions.
public enum PicolayerVersion {
    public static let current = "0.1.0"
}
