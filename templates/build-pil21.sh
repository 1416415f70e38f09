#!/bin/sh
# build-pil21.sh SOURCE OUT: compile PicoLisp (pil21) for a Lambda layer.
#
# Run by `picolayer build`, inside a container (--engine docker|podman) or on this machine (--engine none).
# SOURCE is a pil21 tarball or an unpacked pil21 folder (never written to); OUT receives
#   OUT/pil21/  the pil21 tree with bin/picolisp, lib/ext.so and lib/ht.so built and stripped
#   OUT/deps/   the shared libraries those binaries load, other than glibc's own, as found by ldd
# Environment:
#   PICOLAYER_INSTALL_TOOLCHAIN=1  install clang, llvm, make, libffi and readline headers first
#                                  (dnf, yum or apt-get, whichever the system has)
#   PICOLAYER_OWNER=UID:GID        chown OUT to this owner at the end (docker runs as root)
#   CC                             the C compiler (default: clang, else the newest clang-NN)
set -eu

SOURCE=$1
OUT=$2

say() { echo "build-pil21: $*"; }

install_toolchain() {
    if command -v dnf >/dev/null 2>&1; then
        say "installing the toolchain with dnf"
        dnf install -y -q clang llvm make libffi-devel readline-devel binutils pkgconf-pkg-config tar gzip \
            findutils diffutils
    elif command -v yum >/dev/null 2>&1; then
        say "installing the toolchain with yum"
        yum install -y -q clang llvm make libffi-devel readline-devel binutils pkgconfig tar gzip findutils
    elif command -v apt-get >/dev/null 2>&1; then
        say "installing the toolchain with apt-get"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends clang llvm make libffi-dev libreadline-dev binutils \
            pkg-config tar gzip libc-bin
    else
        say "no dnf, yum or apt-get here: cannot install clang and llvm" >&2
        exit 2
    fi
}

if [ "${PICOLAYER_INSTALL_TOOLCHAIN:-0}" = 1 ]; then
    install_toolchain
fi

# Debian and Ubuntu keep unversioned LLVM tools in /usr/lib/llvm-NN/bin; use the newest when none is on PATH.
if ! command -v llvm-config >/dev/null 2>&1; then
    for dir in $(ls -d /usr/lib/llvm-*/bin 2>/dev/null | sort -t- -k2 -n -r); do
        if [ -x "$dir/llvm-config" ]; then
            PATH=$dir:$PATH
            export PATH
            break
        fi
    done
fi
# clang must be as old as llvm or older: llvm-link rejects bitcode from a newer clang.
major=$(llvm-config --version 2>/dev/null | cut -d. -f1 || true)
if [ -z "${CC:-}" ]; then
    if [ -n "$major" ] && command -v "clang-$major" >/dev/null 2>&1; then
        CC=clang-$major
    elif [ -n "$major" ] && [ -x "$(llvm-config --bindir)/clang" ]; then
        CC=$(llvm-config --bindir)/clang
    else
        CC=clang
    fi
fi
for tool in "${CC:-clang}" llc opt llvm-link make strip; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        say "$tool is missing: install clang, llvm, make and binutils (or use a container engine)" >&2
        exit 2
    fi
done
say "compiler $CC, llvm $(llvm-config --version 2>/dev/null || echo unknown)"

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
cd "$WORK"

mkdir -p "$OUT/deps"
rm -rf "$OUT/pil21"
cp -R "$WORK/pil21" "$OUT/pil21"

# Shared libraries the binaries load, except glibc's own (the target image always has those).
if command -v ldd >/dev/null 2>&1; then
    ldd "$OUT/pil21/bin/picolisp" "$OUT/pil21/lib/ext.so" "$OUT/pil21/lib/ht.so" 2>/dev/null \
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
