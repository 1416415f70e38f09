#!/usr/bin/env bash
# make dist: dist/picolayer-VERSION-linux-ARCH.tar.gz and its .sha256: the release binary (the Swift runtime
# linked in statically, symbols stripped), its man pages and shell completions. Needs only libc, libm, libz,
# libstdc++ and libgcc_s on the machine that runs it.
# DIST_BINARY=PATH packages that binary instead of building one (the installer tests do, with a debug build).
# The tarball is reproducible: sorted names, owner 0, mtimes from SOURCE_DATE_EPOCH (default: the last commit).
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(sed -n 's/.*current = "\(.*\)"/\1/p' Sources/PicolayerKit/Support/Version.swift)
case $(uname -m) in
x86_64 | amd64) arch=x86_64 ;;
aarch64 | arm64) arch=arm64 ;;
*) echo "make-dist: no release architecture for $(uname -m)" >&2; exit 1 ;;
esac
binary=${DIST_BINARY:-}
if [[ -z $binary ]]; then
    swift build -c release --static-swift-stdlib --product picolayer
    binary=.build/release/picolayer
fi
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
name=picolayer-$version-linux-$arch
out=${DIST_DIR:-dist}
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
tree=$stage/$name
mkdir -p "$tree/bin" "$tree/share/man/man1" "$tree/share/bash-completion/completions" \
    "$tree/share/zsh/site-functions" "$tree/share/fish/vendor_completions.d"
strip --strip-all -o "$tree/bin/picolayer" "$binary"
"$tree/bin/picolayer" completions bash >"$tree/share/bash-completion/completions/picolayer"
"$tree/bin/picolayer" completions zsh >"$tree/share/zsh/site-functions/_picolayer"
"$tree/bin/picolayer" completions fish >"$tree/share/fish/vendor_completions.d/picolayer.fish"
python3 scripts/make-man.py "$tree/bin/picolayer" "$tree/share/man/man1"
cp README.md "$tree/README.md"
mkdir -p "$out"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" -C "$stage" -cf - "$name" |
    gzip -n -9 >"$out/$name.tar.gz.partial"
mv "$out/$name.tar.gz.partial" "$out/$name.tar.gz"
(cd "$out" && sha256sum "$name.tar.gz" >"$name.tar.gz.sha256")
size=$(stat -c %s "$tree/bin/picolayer")
echo "make-dist: $out/$name.tar.gz ($(stat -c %s "$out/$name.tar.gz") bytes; bin/picolayer $size bytes)"
cat "$out/$name.tar.gz.sha256"
