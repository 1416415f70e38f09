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

# Python packages, each "module package"; installed with pip only when the import fails.
# emulator (invoke/serve) and runtime benchmark: AWS's Runtime API client for Python (awslambdaric installs from a
# manylinux wheel, no compiler needed) as a runtime we did not write, and boto3 as an Invoke API client.
# publish: a real moto_server with signature checking, read back with boto3; the AWS CLI is the benchmark's peer.
pip_need=(
    "awslambdaric awslambdaric"
    "boto3 boto3"
    "moto.server moto[server]"
    "awscli awscli"
)
python3 -m pip --version >/dev/null 2>&1 || apt_install install-test-deps python3-pip
for entry in "${pip_need[@]}"; do
    module=${entry%% *}
    package=${entry#* }
    if ! python3 -c "import $module" >/dev/null 2>&1; then
        echo "install-test-deps: pip installing $package"
        # Debian 12's python3 is "externally managed" (PEP 668): retry with its override flag.
        python3 -m pip install --quiet "$package" ||
            python3 -m pip install --quiet --break-system-packages "$package"
    fi
done
