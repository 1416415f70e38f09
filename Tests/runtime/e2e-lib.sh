# Shared by the end-to-end scripts (sourced, not run): the picolayer binary, a scratch folder, the tally and
# `invoke`. Sets $root, $bin, $work (removed on exit), $passed, $failed.
# Binary: $PICOLAYER, else .build/{debug,release}/picolayer, else picolayer on PATH.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

bin=${PICOLAYER:-}
if [[ -z $bin ]]; then
    for candidate in "$root/.build/debug/picolayer" "$root/.build/release/picolayer" "$(command -v picolayer || true)"; do
        if [[ -n $candidate && -x $candidate ]]; then bin=$candidate; break; fi
    done
fi
# The root command also answers --help; the invoke subcommand's help names --handler.
if [[ -z $bin ]] || ! "$bin" invoke --help 2>&1 | grep -q -- '--handler'; then
    echo "$(basename "$0"): no picolayer binary with an 'invoke' subcommand; run 'swift build' first" >&2
    echo "0 passed, 1 failed"
    exit 1
fi

work=$(mktemp -d)
cleanups=()
trap 'for c in "${cleanups[@]}"; do eval "$c"; done; rm -rf "$work"' EXIT
passed=0
failed=0

ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1: $2"; }

# invoke NAME HANDLER TASK-ROOT LAYER EVENT-FILE [extra args...]: sets $out $err $rc. An empty EVENT-FILE sends none
# (pass --events). $WRAP (an array, e.g. a bwrap command line) is put before the binary when set.
invoke() {
    local name=$1 handler=$2 task=$3 layer=$4 event=$5
    shift 5
    local source=(--event "$event")
    [[ -z $event ]] && source=()
    "${WRAP[@]}" "$bin" invoke --handler "$handler" --task-root "$task" --layer "$layer" "${source[@]}" "$@" \
        >"$work/$name.out" 2>"$work/$name.err"
    rc=$?
    out=$work/$name.out
    err=$work/$name.err
}
WRAP=()

# json_eq FILE EXPECTED-JSON: same JSON value
json_eq() {
    python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1],encoding="utf-8")) == json.loads(sys.argv[2]) else 1)' "$1" "$2"
}

finish() {
    echo "$passed passed, $failed failed"
    [[ $failed -eq 0 ]]
}
