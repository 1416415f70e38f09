/// Where things are in a picolayer layer. Lambda unpacks a layer into `/opt`, so `bootstrap` is `/opt/bootstrap`
/// and `lib/` is on `LD_LIBRARY_PATH` as `/opt/lib`:
///
///     bootstrap                     0755, from templates/
///     lib/                          shared libraries the target image lacks (only when needed)
///     picoLisp/bin/picolisp
///     picoLisp/lib.l  picoLisp/*.l  picoLisp/lib/*.l  picoLisp/lib/{ext,ht,picolayer}.so  picoLisp/lib/sysdefs
///     picoLisp/runtime.l ...        the runtime's *.l files from templates/
///     picoLisp/json/  picoLisp/awscurl/   the libraries' *.l files and licences
///     picoLisp/COPYING              PicoLisp's licence
///
/// The build, verify, publish (the architecture is read from the interpreter) and the bootstrap template all
/// name these paths through this type; the bootstrap spells them out in shell.
public enum LayerLayout {
    /// Where Lambda puts the layer's files.
    public static let mountPoint = "/opt"
    /// The runtime's entry point, run by Lambda.
    public static let bootstrap = "bootstrap"
    /// The shared libraries the target image lacks.
    public static let libraryFolder = "lib"
    /// PicoLisp's home: the interpreter, its libraries and the runtime.
    public static let interpreterFolder = "picoLisp"
    /// The interpreter, relative to the layer's root.
    public static let interpreter = "picoLisp/bin/picolisp"
    /// Where a layer made by other tools (the original project's) keeps the interpreter.
    public static let legacyInterpreter = "bin/picolisp"
    /// The interpreter's paths that a zip's architecture is read from, in order.
    public static let interpreterPaths = [interpreter, legacyInterpreter]
    /// The interpreter's native extensions and generated files in `picoLisp/lib/`, and the runtime's JSON helper.
    public static let extensionLibraries = ["ext.so", "ht.so", "sysdefs", "picolayer.so"]
}
