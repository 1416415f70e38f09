#!/usr/bin/env bash
# Installs the system and Python packages the test suites and benchmarks use, when they are missing.
# Runs apt-get directly as root, through sudo otherwise. Safe to run again: it only installs what is absent.
set -euo pipefail

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
)

missing=()
for entry in "${need[@]}"; do
    probe=${entry%% *}
    package=${entry#* }
    if [[ $probe == /* ]]; then
        [[ -e $probe ]] || missing+=("$package")
    else
        command -v "$probe" >/dev/null 2>&1 || missing+=("$package")
    fi
done

if ((${#missing[@]} > 0)); then
    # Remove duplicates while keeping order.
    mapfile -t missing < <(printf '%s\n' "${missing[@]}" | awk '!seen[$0]++')
    echo "install-test-deps: installing ${missing[*]}"
    if [[ $(id -u) -eq 0 ]]; then
        sudo_cmd=()
    elif command -v sudo >/dev/null 2>&1; then
        sudo_cmd=(sudo)
    else
        echo "install-test-deps: need root or sudo to install: ${missing[*]}" >&2
        exit 1
    fi
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
