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

# --- publish (issue 6) ---------------------------------------------------------------------------------------
# The publish tests run a real moto_server with signature checking and read its state back with boto3, an
# independent client; Benchmarks/bench-publish.sh compares with the AWS CLI. pip installs only what is missing
# (Debian 12's Python is "externally managed", hence --break-system-packages as a fallback).
publish_pip=()
python3 -c 'import moto.server' >/dev/null 2>&1 || publish_pip+=("moto[server]")
python3 -c 'import boto3' >/dev/null 2>&1 || publish_pip+=("boto3")
command -v aws >/dev/null 2>&1 || publish_pip+=("awscli")
if ((${#publish_pip[@]} > 0)); then
    echo "install-test-deps: pip installing ${publish_pip[*]}"
    if ! python3 -m pip --version >/dev/null 2>&1; then
        if [[ $(id -u) -eq 0 ]]; then apt_cmd=(apt-get); else apt_cmd=(sudo apt-get); fi
        "${apt_cmd[@]}" update -qq
        DEBIAN_FRONTEND=noninteractive "${apt_cmd[@]}" install -y -qq --no-install-recommends python3-pip
    fi
    python3 -m pip install --quiet "${publish_pip[@]}" ||
        python3 -m pip install --quiet --break-system-packages "${publish_pip[@]}"
fi
