#!/usr/bin/env bash
# install-build-deps.sh ENGINE: installs what `picolayer build --engine ENGINE` needs.
#   none    a clang that fits the LLVM tools, llvm, make, libffi and readline headers, binutils: the same
#           rule and packages as `picolayer build --engine none --install-deps` (templates/build-pil21.sh
#           --check with PICOLAYER_INSTALL_TOOLCHAIN=1; apt-get, dnf or yum)
#   podman  podman (and runc), Debian or Ubuntu
#   docker  nothing can be installed here: checks that docker answers
# Runs the package manager as root, through sudo otherwise; installs only what is missing. Used by `make layer`.
set -euo pipefail
# shellcheck source=scripts/apt-helpers.sh
source "$(dirname "$0")/apt-helpers.sh"

engine=${1:-none}
case $engine in
    none)
        PICOLAYER_INSTALL_TOOLCHAIN=1 exec sh "$(dirname "$0")/../templates/build-pil21.sh" --check
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
apt_install install-build-deps "${missing[@]}"
