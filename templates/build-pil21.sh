#!/bin/sh
# build-pil21.sh SOURCE OUT: compile PicoLisp (pil21) for a Lambda layer.
# build-pil21.sh --check: only pick (and with PICOLAYER_INSTALL_TOOLCHAIN=1 install) the toolchain, then exit.
#
# Run by `picolayer build`, inside a container (--engine docker|podman) or on this machine (--engine none).
# SOURCE is a pil21 tarball or an unpacked pil21 folder (never written to); OUT receives
#   OUT/pil21/  the pil21 tree with bin/picolisp, lib/ext.so and lib/ht.so built and stripped, and
#               lib/picolayer.so, the runtime's JSON helper, from picolayer.c beside this script (when it is there)
#   OUT/deps/   the shared libraries those binaries load, other than glibc's own, as found by ldd
# Environment:
#   PICOLAYER_INSTALL_TOOLCHAIN=1  install what is missing of clang, llvm, make, libffi and readline headers
#                                  first (dnf, yum or apt-get, whichever the system has; through sudo when
#                                  not root)
#   PICOLAYER_OWNER=UID:GID        chown OUT to this owner at the end (docker runs as root)
#   CC                             the C compiler (default: the first clang that fits the LLVM tools)
# Exit status: 2 bad arguments, 3 bad source, 4 make produced nothing, 5 no fitting toolchain (or install failed).
set -eu

say() { echo "build-pil21: $*"; }

CHECK_ONLY=0
if [ "${1:-}" = --check ]; then
    CHECK_ONLY=1
else
    if [ $# -ne 2 ]; then
        say "usage: build-pil21.sh SOURCE OUT, or build-pil21.sh --check" >&2
        exit 2
    fi
    SOURCE=$1
    OUT=$2
fi

# The toolchain. pil21's Makefile runs `llvm-config`, `opt`, `llc` and `llvm-link` from PATH and $CC for C and
# linking. llvm-link reads bitcode only from its own LLVM version or older, so clang (which writes lib.bc)
# must not be newer than those tools (a Swift toolchain's clang 21 beside Debian 12's LLVM 14 fails in
# llvm-link, a minute into make). So the pair is picked and checked here, before anything is unpacked.

# The major version a clang or an LLVM tool reports ("clang version 21.0.0", "Debian LLVM version 14.0.6",
# llvm-config's bare "14.0.6").
major_of() {
    "$1" --version 2>/dev/null | sed -n -e 's/.*[Vv]ersion \([0-9][0-9]*\)\.[0-9].*/\1/p' \
        -e 's/^\([0-9][0-9]*\)\.[0-9][^ ]*$/\1/p' | head -n 1
}

# The LLVM tool folders to try: the tools on PATH first, then Debian/Ubuntu's /usr/lib/llvm-NN/bin and
# Fedora's /usr/lib64/llvmNN/bin, newest first. "PATH" stands for the tools as PATH finds them.
llvm_candidates() {
    echo PATH
    for dir in /usr/lib/llvm-*/bin /usr/lib64/llvm*/bin; do
        [ -d "$dir" ] || continue
        number=$(echo "$dir" | sed -n 's|.*/llvm-\{0,1\}\([0-9][0-9]*\)/bin$|\1|p')
        [ -n "$number" ] && echo "$number $dir"
    done | sort -k1,1 -n -r | sed 's/^[0-9]* //'
}

# llvm_in CANDIDATE: sets LLVM_MAJOR and LLVM_DIR when llc, opt, llvm-link and llvm-config are all there and
# agree on one major version; otherwise returns 1 and appends why to FOUND.
llvm_in() {
    LLVM_MAJOR=""
    LLVM_DIR=""
    where=$1
    versions=""
    for tool in llc opt llvm-link llvm-config; do
        if [ "$where" = PATH ]; then
            path=$(command -v "$tool" 2>/dev/null || true)
        else
            path=$where/$tool
            [ -x "$path" ] || path=""
        fi
        if [ -z "$path" ]; then
            [ "$where" = PATH ] || FOUND="$FOUND; $where lacks $tool"
            return 1
        fi
        [ -n "$LLVM_DIR" ] || LLVM_DIR=$(dirname "$(readlink -f "$path")")
        versions="$versions $(major_of "$path")"
    done
    set -- $versions
    if [ $# -ne 4 ] || [ "$1" != "$2" ] || [ "$1" != "$3" ] || [ "$1" != "$4" ]; then
        FOUND="$FOUND; llc, opt, llvm-link and llvm-config in $where report different versions ($versions )"
        return 1
    fi
    LLVM_MAJOR=$1
}

# clang_for MAJOR DIR: sets CC_PICKED to the first clang no newer than LLVM MAJOR: $CC when set, else
# clang-MAJOR on PATH, DIR/clang, clang on PATH. Appends what it rejected to FOUND.
clang_for() {
    if [ -n "${CC:-}" ]; then
        set -- "$1" "$2" "$CC"
    else
        set -- "$1" "$2" "clang-$1" "$2/clang" clang
    fi
    major=$1
    shift 2
    for candidate in "$@"; do
        case $candidate in
            */*) if [ -f "$candidate" ] && [ -x "$candidate" ]; then path=$candidate; else path=""; fi ;;
            *) path=$(command -v "$candidate" 2>/dev/null || true) ;;
        esac
        [ -n "$path" ] || continue
        version=$(major_of "$path")
        if [ -z "$version" ]; then
            FOUND="$FOUND; $path does not report a clang version"
        elif [ "$version" -le "$major" ]; then
            CC_PICKED=$path
            CC_MAJOR=$version
            return 0
        else
            FOUND="$FOUND; clang $version ($path) is newer than LLVM $major"
        fi
    done
    return 1
}

# pick_toolchain: sets CC_PICKED and LLVM_DIR to the first pair that fits; returns 1 and leaves the newest LLVM
# seen in BEST_LLVM (empty when none) and the reasons in FOUND otherwise.
pick_toolchain() {
    FOUND=""
    BEST_LLVM=""
    BEST_DIR=""
    tried=" "
    for candidate in $(llvm_candidates); do
        llvm_in "$candidate" || continue
        case $tried in *" $LLVM_DIR "*) continue ;; esac
        tried="$tried$LLVM_DIR "
        if [ -z "$BEST_LLVM" ] || [ "$LLVM_MAJOR" -gt "$BEST_LLVM" ]; then
            BEST_LLVM=$LLVM_MAJOR
            BEST_DIR=$LLVM_DIR
        fi
        if clang_for "$LLVM_MAJOR" "$LLVM_DIR"; then return 0; fi
    done
    return 1
}

# The install command for this system's package manager, without root/sudo.
package_manager() {
    if command -v dnf >/dev/null 2>&1; then echo dnf
    elif command -v yum >/dev/null 2>&1; then echo yum
    elif command -v apt-get >/dev/null 2>&1; then echo apt-get
    fi
}

# The packages of this system's package manager that provide a fitting clang and LLVM.
toolchain_packages() {
    case $1 in
        apt-get) if [ -n "$BEST_LLVM" ]; then echo "clang-$BEST_LLVM"; else echo "clang llvm"; fi ;;
        *) if [ -n "$BEST_LLVM" ]; then echo clang; else echo "clang llvm"; fi ;;
    esac
}

installed() {
    case $1 in
        apt-get) dpkg-query -W -f='${Status}' "$2" 2>/dev/null | grep -q 'ok installed' ;;
        *) rpm -q --quiet "$2" 2>/dev/null ;;
    esac
}

# as_root COMMAND...: runs it as root, through sudo (saying so) when this is not root.
as_root() {
    if [ "$(id -u)" = 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        say "not root: running through sudo: $*"
        sudo "$@"
    else
        say "not root and no sudo: cannot run $*; run it as root, then build again" >&2
        exit 5
    fi
}

# Installs what is missing: the base packages and, unless a fitting pair is there, a clang and an LLVM.
install_toolchain() {
    manager=$(package_manager)
    case $manager in
        dnf) base="make libffi-devel readline-devel binutils pkgconf-pkg-config tar gzip findutils diffutils" ;;
        yum) base="make libffi-devel readline-devel binutils pkgconfig tar gzip findutils" ;;
        apt-get) base="make libffi-dev libreadline-dev binutils pkg-config tar gzip libc-bin" ;;
        *)
            say "no dnf, yum or apt-get here: cannot install clang and llvm; install them, then build again" >&2
            exit 5
            ;;
    esac
    missing=""
    for package in $base; do
        installed "$manager" "$package" || missing="$missing $package"
    done
    pick_toolchain || missing="$missing $(toolchain_packages "$manager")"
    if [ -z "$missing" ]; then
        say "the toolchain is installed already"
        return 0
    fi
    say "installing the toolchain with $manager:$missing"
    case $manager in
        apt-get)
            as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq || exit 5
            # shellcheck disable=SC2086
            as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing \
                || exit 5
            ;;
        # shellcheck disable=SC2086
        *) as_root "$manager" install -y -q $missing || exit 5 ;;
    esac
}

# Stops with the versions found and the fix for this system.
refuse_toolchain() {
    manager=$(package_manager)
    if [ -n "$BEST_LLVM" ]; then
        say "no clang fits LLVM $BEST_LLVM ($BEST_DIR): llvm-link rejects bitcode from a newer clang" >&2
    else
        say "no LLVM tools found (llc, opt, llvm-link and llvm-config of one version)" >&2
    fi
    echo "$FOUND" | tr ';' '\n' | sed 's/^ *//' | awk 'NF && !seen[$0]++ { print "build-pil21: found " $0 }' >&2
    if [ -n "${CC:-}" ]; then
        say "CC=$CC is set: unset it, or point it at a clang no newer than LLVM ${BEST_LLVM:-(none found)}" >&2
    fi
    if [ -n "$manager" ]; then
        fix="$manager install $(toolchain_packages "$manager")"
    elif [ -n "$BEST_LLVM" ]; then
        fix="install clang $BEST_LLVM (or older), or set CC to one"
    else
        fix="install clang and llvm of one version"
    fi
    say "fix: $fix (as root), or let picolayer do it: picolayer build --engine none --install-deps;" \
        "or compile in a container: --engine podman" >&2
    exit 5
}

if [ "${PICOLAYER_INSTALL_TOOLCHAIN:-0}" = 1 ]; then
    install_toolchain
fi
pick_toolchain || refuse_toolchain
CC=$CC_PICKED
PATH=$LLVM_DIR:$PATH
export PATH
for tool in make strip pkg-config; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        say "$tool is missing: install make, binutils and pkg-config, or use --install-deps or a container engine" >&2
        exit 5
    fi
done
# lib.c includes ffi.h and readline's header; find them now rather than in the middle of make.
# shellcheck disable=SC2046
if ! printf '#include <ffi.h>\n#include <readline/readline.h>\n' \
    | "$CC" $(pkg-config --cflags libffi 2>/dev/null) -E -x c - >/dev/null 2>&1; then
    say "$CC finds no ffi.h or readline/readline.h: install libffi and readline headers" \
        "(apt-get install libffi-dev libreadline-dev, dnf install libffi-devel readline-devel), or use --install-deps" >&2
    exit 5
fi
say "compiler $CC (clang $CC_MAJOR), llvm $LLVM_MAJOR in $LLVM_DIR"
if [ "$CHECK_ONLY" = 1 ]; then
    exit 0
fi

HELPER=$(dirname "$0")/picolayer.c
case $HELPER in /*) ;; *) HELPER=$PWD/$HELPER ;; esac

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT INT TERM

if [ -d "$SOURCE" ]; then
    cp -R "$SOURCE" "$WORK/pil21"
else
    mkdir "$WORK/unpack"
    tar -xzf "$SOURCE" -C "$WORK/unpack"
    top=$(ls "$WORK/unpack")
    if [ "$(echo "$top" | wc -l)" -eq 1 ] && [ -d "$WORK/unpack/$top/src" ]; then
        mv "$WORK/unpack/$top" "$WORK/pil21"
    elif [ -d "$WORK/unpack/src" ]; then
        mv "$WORK/unpack" "$WORK/pil21"
    else
        say "$SOURCE holds no pil21 tree (no src/ folder at its top)" >&2
        exit 3
    fi
fi
if [ ! -f "$WORK/pil21/src/Makefile" ]; then
    say "no src/Makefile in the pil21 source" >&2
    exit 3
fi

cd "$WORK/pil21/src"
# The shipped *.ll files are generated from the *.l sources by a running PicoLisp; keep make from trying.
touch ./*.ll
rm -f ../bin/picolisp ../lib/ext.so ../lib/ht.so
targets="../bin/picolisp ../lib/ext.so ../lib/ht.so"
if grep -q 'sysdefs:' Makefile; then targets="../lib/sysdefs $targets"; fi
say "make $targets"
# shellcheck disable=SC2086
make CC="$CC" $targets
for built in ../bin/picolisp ../lib/ext.so ../lib/ht.so; do
    [ -f "$built" ] || { say "make did not produce $built" >&2; exit 4; }
done
rm -f ./*.bc ./picolisp.s
# The runtime's JSON helper, with the same compiler (json.l falls back to PicoLisp alone without it).
if [ -f "$HELPER" ]; then
    say "cc picolayer.c -> lib/picolayer.so"
    "$CC" -O2 -fPIC -shared -s -o ../lib/picolayer.so "$HELPER"
else
    say "no picolayer.c beside this script: the layer's JSON codec runs in PicoLisp alone"
fi
cd "$WORK"

mkdir -p "$OUT/deps"
rm -rf "$OUT/pil21"
cp -R "$WORK/pil21" "$OUT/pil21"

# Shared libraries the binaries load, except glibc's own (the target image always has those).
if command -v ldd >/dev/null 2>&1; then
    ldd "$OUT/pil21/bin/picolisp" "$OUT/pil21/lib/"*.so 2>/dev/null \
        | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }' | sort -u | while read -r soname path; do
            case $soname in
                libc.so.*|libm.so.*|libdl.so.*|libpthread.so.*|librt.so.*|libutil.so.*|ld-linux*) ;;
                *) cp -L "$path" "$OUT/deps/$soname" ;;
            esac
        done
else
    say "ldd not found: no shared libraries collected" >&2
fi

if [ -n "${PICOLAYER_OWNER:-}" ]; then
    chown -R "$PICOLAYER_OWNER" "$OUT"
fi
say "done"
