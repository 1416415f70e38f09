#!/bin/sh
# Assembles a local layer folder for tests and benchmarks: DIR/bootstrap and DIR/picoLisp/ holding
# bin/picolisp (Debian's interpreter), lib.l, lib/*.l, lib/*.so, runtime.l and json.l from templates/, and
# lib/picolayer.so compiled from templates/picolayer.c (not with PURE_JSON=1).
# Usage: stage-layer.sh DIR [PICOLISP_HOME]   (PICOLISP_HOME defaults to /usr/lib/picolisp)
# With THIRDPARTY=FOLDER (holding picolisp-json-4.1.0.tar.gz and picolisp-awscurl-1.0.0.tar.gz), their json.l and
# libawscurl.l go into picoLisp/json/ and picoLisp/awscurl/,
# as `picolayer build` stages them (the benchmark's cold start with the libraries).
set -eu
dir=${1:?usage: stage-layer.sh DIR [PICOLISP_HOME]}
home=${2:-/usr/lib/picolisp}
here=$(cd "$(dirname "$0")" && pwd)
templates=$here/../../templates
bin=$(command -v picolisp || true)
[ -n "$bin" ] || { echo "stage-layer: picolisp not found; install Debian's picolisp package" >&2; exit 1; }
[ -f "$home/lib.l" ] || { echo "stage-layer: no lib.l in $home" >&2; exit 1; }
mkdir -p "$dir/picoLisp/bin" "$dir/picoLisp/lib"
cp "$templates/bootstrap" "$dir/bootstrap"
chmod 755 "$dir/bootstrap"
ln -sf "$(readlink -f "$bin")" "$dir/picoLisp/bin/picolisp"
cp "$home/lib.l" "$templates/runtime.l" "$templates/json.l" "$dir/picoLisp/"
cp "$home"/lib/*.l "$dir/picoLisp/lib/"
for so in "$home"/lib/*.so; do
    [ -e "$so" ] && cp "$so" "$dir/picoLisp/lib/"
done
# The runtime's JSON helper, as build-pil21.sh compiles it; PURE_JSON=1 stages a layer without it.
if [ "${PURE_JSON:-0}" != 1 ]; then
    ${CC:-cc} -O2 -fPIC -shared -s -o "$dir/picoLisp/lib/picolayer.so" "$templates/picolayer.c"
fi
if [ -n "${THIRDPARTY:-}" ]; then
    mkdir -p "$dir/picoLisp/json" "$dir/picoLisp/awscurl"
    tar -xzf "$THIRDPARTY/picolisp-json-4.1.0.tar.gz" -C "$dir/picoLisp/json" --strip-components=1 \
        picolisp-json-4.1.0/json.l
    tar -xzf "$THIRDPARTY/picolisp-awscurl-1.0.0.tar.gz" -C "$dir/picoLisp/awscurl" --strip-components=1 \
        picolisp-awscurl-1.0.0/libawscurl.l
fi
exit 0
