#!/usr/bin/env bash
# picolayer build: cold build (download + compile + stage + verify), warm build (everything cached), and the
# layer's zipped and unzipped sizes next to what the original project's file list (`zip -r picolisp.zip
# picoLisp/*.l picoLisp/bin picoLisp/lib picoLisp/json picoLisp/awscurl bootstrap`, with COPYING) holds for the
# same PicoLisp, zipped with Info-ZIP as the original did, measured in the same run.
# Sources: Debian's pil21 tree (/usr/lib/picolisp) as pil21.tgz and stand-in libraries, served on 127.0.0.1;
# compiled with --engine none (clang and llvm of this machine).
set -euo pipefail
# shellcheck source=Benchmarks/lib.sh
source "$(dirname "$0")/lib.sh"
binary=$(readlink -f "$1")
work=$(mktemp -d)
server=""
cleanup() { [[ -n $server ]] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

served=$work/served
mkdir -p "$served" "$work/src/picolisp-json-4.1.0/test" "$work/src/picolisp-awscurl-1.0.0" "$work/templates"
tar -czf "$served/pil21.tgz" --exclude=picolisp/doc --transform='s,^picolisp,pil21,' -C /usr/lib picolisp
printf '(de json-decode (S) S)\n(de json-encode (L) "{}")\n' > "$work/src/picolisp-json-4.1.0/json.l"
echo "MIT License" > "$work/src/picolisp-json-4.1.0/LICENSE"
echo '(prinl "test")' > "$work/src/picolisp-json-4.1.0/test/test_json.l"
echo '(de aws-curl () T)' > "$work/src/picolisp-awscurl-1.0.0/libawscurl.l"
echo "MIT License" > "$work/src/picolisp-awscurl-1.0.0/LICENSE"
tar -czf "$served/json.tgz" -C "$work/src" picolisp-json-4.1.0
tar -czf "$served/awscurl.tgz" -C "$work/src" picolisp-awscurl-1.0.0

# Templates: templates/ of this checkout.
here=$(cd "$(dirname "$0")/.." && pwd)
cp "$here"/templates/* "$work/templates/"

python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$served" > "$work/server.log" 2>&1 &
server=$!
port=$(port_from_log "$work/server.log" 's/.* port \([0-9]*\) .*/\1/p' 50)
[[ -n $port ]] || { echo "bench-build: the http server did not start" >&2; exit 1; }
url=http://127.0.0.1:$port

build() {
    "$binary" build --engine none --project "$work/project" --cache-dir "$work/cache" --templates "$work/templates" \
        --pil-source "$url/pil21.tgz" --json-source "$url/json.tgz" --awscurl-source "$url/awscurl.tgz" > "$work/build.log" 2>&1
}
seconds() { # command... -> wall seconds
    local start end
    start=$(date +%s.%N)
    "$@"
    end=$(date +%s.%N)
    echo "$end - $start" | bc
}
mkdir -p "$work/project"
cold=$(seconds build)
warm=$(seconds build)
grep -q "reusing build" "$work/build.log" || { echo "bench-build: the warm build did not reuse the cache" >&2; exit 1; }

layer=$work/project/build/layer
"$binary" package "$layer" -o "$work/ours.zip" > /dev/null
ours_unzipped=$(find "$layer" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
ours_files=$(find "$layer" -type f | wc -l)
ours_zipped=$(stat -c %s "$work/ours.zip")

# The original's file list over the same PicoLisp: the whole bin/ and lib/ of the pil21 tree (its Dockerfile ran
# a full `make`, so bin/ also holds balance, ssl, httpGate...), the libraries' whole trees, *.l, COPYING, bootstrap.
tree=$(find "$work/cache/builds" -mindepth 2 -maxdepth 2 -name pil21 | head -1)
orig=$work/original
mkdir -p "$orig/picoLisp"
cp -R "$tree/bin" "$tree/lib" "$orig/picoLisp/"
cp /usr/lib/picolisp/bin/* "$orig/picoLisp/bin/" 2>/dev/null || true
cp "$tree"/*.l "$orig/picoLisp/"
[[ -f $tree/COPYING ]] && cp "$tree/COPYING" "$orig/picoLisp/"
[[ -f /usr/share/doc/picolisp/copyright ]] && [[ ! -f $orig/picoLisp/COPYING ]] && cp /usr/share/doc/picolisp/copyright "$orig/picoLisp/COPYING"
cp -R "$work/src/picolisp-json-4.1.0" "$orig/picoLisp/json"
cp -R "$work/src/picolisp-awscurl-1.0.0" "$orig/picoLisp/awscurl"
cp "$work/templates/runtime.l" "$orig/picoLisp/"
cp "$work/templates/bootstrap" "$orig/bootstrap"
(cd "$orig" && zip -q -r "$work/original.zip" picoLisp/*.l picoLisp/COPYING picoLisp/bin picoLisp/lib picoLisp/json picoLisp/awscurl bootstrap)
orig_unzipped=$(find "$orig" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
orig_files=$(find "$orig" -type f | wc -l)
orig_zipped=$(stat -c %s "$work/original.zip")

echo "picolayer build, $(nproc) cores, PicoLisp from /usr/lib/picolisp (Debian picolisp $(dpkg-query -W -f='${Version}' picolisp 2>/dev/null || echo unknown)), binary $binary"
printf '%-44s %8.2f\n' "cold build (fetch+compile+stage+verify), s" "$cold"
printf '%-44s %8.2f\n' "warm build (all cached), s" "$warm"
printf '\n%-26s %14s %14s\n' "layer" "picolayer" "original list"
printf '%-26s %14s %14s\n' "files" "$ours_files" "$orig_files"
printf '%-26s %14s %14s\n' "unzipped bytes" "$ours_unzipped" "$orig_unzipped"
printf '%-26s %14s %14s\n' "zipped bytes" "$ours_zipped" "$orig_zipped"
