import ArgumentParser
import PicolayerKit

/// `--exclude` and `--include` (package and deploy): gitignore patterns applied after `.picolayerignore`.
struct IgnoreFlags: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Leave out what this gitignore pattern matches (repeatable), after .picolayerignore.",
            valueName: "pattern"))
    var exclude: [String] = []

    @Option(
        help: ArgumentHelp(
            "Put back what this gitignore pattern matches (repeatable), after every --exclude; not inside a folder "
                + "left out.", valueName: "pattern"))
    var include: [String] = []

    var options: IgnoreOptions { IgnoreOptions(exclude: exclude, include: include) }
}
