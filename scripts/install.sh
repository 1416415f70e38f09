#!/bin/sh
# Installs picolayer from a GitHub release, without Swift: the static binary, its man page and shell completions.
#
#   curl -fsSL https://raw.githubusercontent.com/OWNER/picolayer/main/scripts/install.sh | sh
#
# Settings (environment):
#   PICOLAYER_VERSION       a release such as 0.1.0 (default: the latest release)
#   PICOLAYER_REPO          the GitHub repository, OWNER/NAME (default: picolayer/picolayer)
#   PICOLAYER_DOWNLOAD_URL  a folder holding the tarballs and their .sha256 files instead of GitHub (a mirror,
#                           or a local server in tests)
#   PREFIX                  where to install: PREFIX/bin, PREFIX/share (default: ~/.local)
# The tarball's SHA-256 is checked against its .sha256 file before anything is installed.
set -eu

say() { printf 'install.sh: %s\n' "$*" >&2; }
fail() {
    say "$*"
    exit 1
}

case $(uname -s) in
Linux) ;;
*) fail "picolayer is released for Linux only; on $(uname -s) build it from source (make install)" ;;
esac
case $(uname -m) in
x86_64 | amd64) arch=x86_64 ;;
aarch64 | arm64) arch=arm64 ;;
*) fail "no release for $(uname -m); releases exist for x86_64 and arm64" ;;
esac

repo=${PICOLAYER_REPO:-picolayer/picolayer}
version=${PICOLAYER_VERSION:-latest}
version=${version#v}
if [ "$version" = latest ]; then
    # GitHub redirects releases/latest/download/NAME to the newest release; the unversioned name is uploaded too.
    name=picolayer-linux-$arch
    base=${PICOLAYER_DOWNLOAD_URL:-https://github.com/$repo/releases/latest/download}
else
    name=picolayer-$version-linux-$arch
    base=${PICOLAYER_DOWNLOAD_URL:-https://github.com/$repo/releases/download/v$version}
fi
prefix=${PREFIX:-$HOME/.local}

if command -v curl >/dev/null 2>&1; then
    fetch() { curl -fsSL --retry 3 --connect-timeout 20 --max-time 600 -o "$2" "$1"; }
elif command -v wget >/dev/null 2>&1; then
    fetch() { wget -q --tries=3 --timeout=60 -O "$2" "$1"; }
else
    fail "needs curl or wget to download $base/$name.tar.gz"
fi
if command -v sha256sum >/dev/null 2>&1; then
    sha256() { sha256sum "$1" | cut -d' ' -f1; }
elif command -v shasum >/dev/null 2>&1; then
    sha256() { shasum -a 256 "$1" | cut -d' ' -f1; }
else
    fail "needs sha256sum or shasum to check the download"
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/picolayer-install.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "downloading $base/$name.tar.gz"
fetch "$base/$name.tar.gz" "$scratch/$name.tar.gz" || fail "could not download $base/$name.tar.gz"
fetch "$base/$name.tar.gz.sha256" "$scratch/$name.tar.gz.sha256" ||
    fail "could not download $base/$name.tar.gz.sha256; refusing to install a tarball that cannot be checked"
expected=$(cut -d' ' -f1 <"$scratch/$name.tar.gz.sha256")
actual=$(sha256 "$scratch/$name.tar.gz")
case $expected in
[0-9a-f]*) ;;
*) fail "$name.tar.gz.sha256 holds no SHA-256 ('$expected'); nothing was installed" ;;
esac
[ "$expected" = "$actual" ] ||
    fail "$name.tar.gz has SHA-256 $actual, but $name.tar.gz.sha256 says $expected; nothing was installed (a broken download or a tampered mirror: try again, or check PICOLAYER_DOWNLOAD_URL)"

mkdir "$scratch/unpacked"
tar -xzf "$scratch/$name.tar.gz" -C "$scratch/unpacked" || fail "could not unpack $name.tar.gz"
top=$(ls "$scratch/unpacked")
tree=$scratch/unpacked/$top
[ -x "$tree/bin/picolayer" ] || fail "$name.tar.gz has no bin/picolayer"

# Each file is copied next to its place and renamed over it, so a running picolayer is never half-replaced.
install_file() { # SOURCE DESTINATION MODE
    mkdir -p "$(dirname "$2")"
    cp "$1" "$2.new.$$"
    chmod "$3" "$2.new.$$"
    mv -f "$2.new.$$" "$2"
    say "installed $2"
}
install_file "$tree/bin/picolayer" "$prefix/bin/picolayer" 755
if [ -d "$tree/share" ]; then
    (cd "$tree/share" && find . -type f) | while read -r file; do
        install_file "$tree/share/$file" "$prefix/share/${file#./}" 644
    done
fi

installed=$("$prefix/bin/picolayer" --version 2>/dev/null) || fail "$prefix/bin/picolayer does not run on this machine"
say "picolayer $installed is in $prefix/bin"
case :$PATH: in
*:"$prefix/bin":*) ;;
*) say "$prefix/bin is not on PATH; add it, e.g. export PATH=\"$prefix/bin:\$PATH\"" ;;
esac
