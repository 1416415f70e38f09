#!/usr/bin/env bash
# What a release carries for this machine's architecture, in FOLDER (default dist): the tarball of `make dist`
# and its .sha256, the same under the unversioned name that install.sh fetches for "latest", and the layer zip
# (`make layer`) with its package report (CodeSha256, SHA-256, sizes) as JSON.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-dist}
version=$(make -s print-version)
case $(uname -m) in aarch64 | arm64) arch=arm64 ;; *) arch=x86_64 ;; esac
DIST_DIR=$out scripts/make-dist.sh
name=picolayer-$version-linux-$arch
cp "$out/$name.tar.gz" "$out/picolayer-linux-$arch.tar.gz"
(cd "$out" && sha256sum "picolayer-linux-$arch.tar.gz" >"picolayer-linux-$arch.tar.gz.sha256")
make layer ENGINE=none
.build/release/picolayer package build/layer -o "$out/picolisp-$version-$arch.zip" --json \
    >"$out/picolisp-$version-$arch.zip.json"
ls -l "$out"
