#!/usr/bin/env bash
# picolayer package against Info-ZIP (zip -q -r -X -6) and Python's zipfile (level 6) on one large real tree:
# wall time, zipped size and peak RSS of each, measured in the same run (median of RUNS runs).
# Targets: picolayer's wall time <= 0.55 x Info-ZIP's; zipped size <= 1.01 x Info-ZIP's.
set -euo pipefail
binary=$1
runs=${RUNS:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

tree=""
for candidate in "$(dirname "$(readlink -f "$(command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)")")/../lib/swift/linux" /opt/swift/usr/lib/swift/linux; do
    if [[ -d $candidate ]]; then tree=$(readlink -f "$candidate"); break; fi
done
if [[ -z $tree ]]; then
    # About 150 MB of mixed text and binaries.
    tree=$work/tree
    mkdir -p "$tree/bin" "$tree/lib" "$tree/src"
    for i in $(seq 1 40); do head -c 1500000 /dev/urandom > "$tree/bin/blob$i"; done
    for i in $(seq 1 60); do seq $((i * 100000)) $((i * 100000 + 150000)) > "$tree/src/text$i.l"; done
    for so in /usr/lib/x86_64-linux-gnu/*.so* /usr/lib/aarch64-linux-gnu/*.so*; do [[ -f $so ]] && cp "$so" "$tree/lib/" ; done 2>/dev/null || true
fi
echo "tree: $tree ($(du -sb "$tree" | cut -f1) bytes, $(find "$tree" | wc -l) entries), $(nproc) cores, $runs runs each"

# Warm the page cache so every tool reads from memory.
tar -C "$tree" -cf - . > /dev/null

measure() { # name, output zip, command...
    local name=$1 out=$2; shift 2
    local times=() rss=()
    for _ in $(seq 1 "$runs"); do
        rm -f "$out"
        /usr/bin/time -f "%e %M" -o "$work/time" "$@" > /dev/null
        read -r seconds kib < "$work/time"
        times+=("$seconds"); rss+=("$kib")
    done
    local median_time median_rss
    median_time=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")
    median_rss=$(printf '%s\n' "${rss[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")
    printf '%s %s %s %s\n' "$name" "$median_time" "$(stat -c %s "$out")" "$median_rss" >> "$work/results"
}

measure picolayer "$work/p.zip" "$binary" package "$tree" -o "$work/p.zip" --level 6
measure info-zip "$work/i.zip" sh -c 'cd "$1" && zip -q -r -X -6 "$2" .' sh "$tree" "$work/i.zip"
measure python-zipfile "$work/y.zip" python3 -c '
import os, sys, zipfile
root, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z:
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(dirs + files):
            path = os.path.join(folder, name)
            z.write(path, os.path.relpath(path, root))
' "$tree" "$work/y.zip"

read -r _ zip_time zip_size _ < <(grep '^info-zip ' "$work/results")
printf '%-16s %10s %14s %12s %12s %12s\n' tool "wall (s)" "zipped bytes" "peak RSS MiB" "time/zip" "size/zip"
while read -r name seconds size kib; do
    printf '%-16s %10s %14s %12.1f %12.3f %12.4f\n' "$name" "$seconds" "$size" "$(echo "$kib / 1024" | bc -l)" \
        "$(echo "$seconds / $zip_time" | bc -l)" "$(echo "$size / $zip_size" | bc -l)"
done < "$work/results"
echo "targets: picolayer time/zip <= 0.55, size/zip <= 1.01"

# Bounded memory: peak RSS while zipping a 1 GiB tree (8 sparse files of 128 MiB).
big=$work/big
mkdir -p "$big"
for i in $(seq 1 8); do truncate -s 128M "$big/part$i.bin"; done
/usr/bin/time -f "%e %M" -o "$work/time" "$binary" package "$big" -o "$work/big.zip" > /dev/null 2>&1
read -r seconds kib < "$work/time"
limit=$((64 + 8 * $(nproc)))
printf 'peak RSS zipping 1 GiB: %.1f MiB in %s s (target below %d MiB = 64 + 8 x %d cores)\n' \
    "$(echo "$kib / 1024" | bc -l)" "$seconds" "$limit" "$(nproc)"
