#!/usr/bin/env bash
# Installs the system and Python packages the test suites and benchmarks use, when they are missing.
# Runs apt-get directly as root, through sudo otherwise. Safe to run again: it only installs what is absent.
set -euo pipefail
# shellcheck source=scripts/apt-helpers.sh
source "$(dirname "$0")/apt-helpers.sh"

# Debian packages: each line "command-or-path package".
need=(
    "zip zip"
    "unzip unzip"
    "zipinfo unzip"
    "bsdtar libarchive-tools"
    "7z p7zip-full"
    "pkg-config pkg-config"
    "/usr/include/zlib.h zlib1g-dev"
    "/usr/bin/time time"
    "bc bc"
    "python3 python3"
    "setpriv util-linux"
    "mkfifo coreutils"
    # install.sh is POSIX sh: its tests run it under dash.
    "dash dash"
    "sha256sum coreutils"
    # emulator (invoke/serve): curl runs the shell test runtimes, cc builds the benchmark runtime loop.
    "curl curl"
    "cc gcc"
    # Runtime (Tests/runtime, Benchmarks/bench-runtime.sh): Debian's PicoLisp (pil21) runs runtime.l and the
    # codec tests; python3 runs the fake Runtime API; curl drives the original-style shell loop in the benchmark.
    "picolisp picolisp"
    "/usr/lib/picolisp/lib.l picolisp"
    # build and verify (issue 5): real pil21 builds on this machine (clang-14, llvm-14) and in podman
    # (runc, a debootstrapped Debian image); Debian's picolisp supplies the pil21 tree and a reference ELF.
    "clang-14 clang-14"
    "llc-14 llvm-14"
    "/usr/lib/llvm-14/bin/llvm-config llvm-14"
    "make make"
    "/usr/share/doc/libffi-dev libffi-dev"
    "/usr/include/readline/readline.h libreadline-dev"
    "readelf binutils"
    "strip binutils"
    "tar tar"
    "picolisp picolisp"
    "/usr/lib/picolisp/src/base.ll picolisp"
    "podman podman"
    "/usr/sbin/runc runc"
    "debootstrap debootstrap"
    # verify's live check runs the layer's bootstrap inside bubblewrap when namespaces are available.
    "bwrap bubblewrap"
)

mapfile -t missing < <(missing_packages "${need[@]}")
apt_install install-test-deps "${missing[@]}"

# Python packages (scripts/test-requirements.txt, pinned) go into the project's own virtual environment, .venv,
# never into the system's Python; the Makefile puts .venv/bin first on PATH for the tests and benchmarks.
# Installed again only when the requirements file changed.
here=$(cd "$(dirname "$0")" && pwd)
venv=$(dirname "$here")/.venv
if [[ ! -x $venv/bin/python3 ]] || ! "$venv/bin/python3" -m pip --version >/dev/null 2>&1; then
    rm -rf "$venv"
    # Debian's python3 makes a venv only with python3-venv (ensurepip) installed.
    if ! python3 -m venv "$venv" >/dev/null 2>&1; then
        rm -rf "$venv"
        apt_install install-test-deps python3-venv
        python3 -m venv "$venv"
    fi
    echo "install-test-deps: made the virtual environment $venv"
fi
stamp=$venv/.picolayer-requirements
if ! cmp -s "$here/test-requirements.txt" "$stamp"; then
    echo "install-test-deps: pip installing scripts/test-requirements.txt into $venv"
    "$venv/bin/python3" -m pip install --quiet --disable-pip-version-check -r "$here/test-requirements.txt"
    cp "$here/test-requirements.txt" "$stamp"
fi
