#!/usr/bin/env bash
# install-build-deps.sh ENGINE: installs what `picolayer build --engine ENGINE` needs on Debian or Ubuntu.
#   none    clang, llvm, make, libffi and readline headers, binutils (pil21 is compiled on this machine)
#   podman  podman (and runc)
#   docker  nothing can be installed here: checks that docker answers
# Runs apt-get as root, through sudo otherwise; installs only what is missing. Used by `make layer`.
set -euo pipefail
# shellcheck source=scripts/apt-helpers.sh
source "$(dirname "$0")/apt-helpers.sh"

engine=${1:-none}
case $engine in
    none)
        need=(
            "make make"
            "/usr/share/doc/libffi-dev libffi-dev"
            "/usr/include/readline/readline.h libreadline-dev"
            "pkg-config pkg-config"
            "strip binutils"
            "ldd libc-bin"
            "tar tar"
        )
        ;;
    podman)
        need=("podman podman" "runc runc")
        ;;
    docker)
        if ! docker info >/dev/null 2>&1; then
            echo "install-build-deps: docker does not answer; start its daemon or use ENGINE=podman or ENGINE=none" >&2
            exit 1
        fi
        exit 0
        ;;
    *)
        echo "install-build-deps: unknown engine '$engine' (none, podman or docker)" >&2
        exit 2
        ;;
esac

mapfile -t missing < <(missing_packages "${need[@]}")
if [[ $engine == none ]]; then
    # clang must match llvm (llvm-link rejects newer bitcode), and a Swift toolchain's clang may come first
    # on PATH: ask for Debian's clang-NN of the installed llvm, or for both when llvm is absent.
    major=$(llvm-config --version 2>/dev/null | cut -d. -f1 || true)
    if [[ -z $major ]]; then
        missing+=(llvm clang)
    elif ! command -v "clang-$major" >/dev/null 2>&1; then
        missing+=("clang-$major")
    fi
fi
apt_install install-build-deps "${missing[@]}"
