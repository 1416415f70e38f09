#!/usr/bin/env bash
# End-to-end tests of the runtime through `picolayer invoke` with a layer folder staged from Debian's
# picolisp and templates/. Fails when no picolayer binary is built.
# Binary: $PICOLAYER, else .build/{debug,release}/picolayer, else picolayer on PATH.
# Ends with "N passed, M failed" when it runs; exits non-zero on any failure.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

bin=${PICOLAYER:-}
if [[ -z $bin ]]; then
    for candidate in "$root/.build/debug/picolayer" "$root/.build/release/picolayer" "$(command -v picolayer || true)"; do
        if [[ -n $candidate && -x $candidate ]]; then bin=$candidate; break; fi
    done
fi
# The root command also answers --help; the invoke subcommand's help names --handler.
if [[ -z $bin ]] || ! "$bin" invoke --help 2>&1 | grep -q -- '--handler'; then
    echo "e2e-invoke: no picolayer binary with an 'invoke' subcommand; run 'swift build' first" >&2
    echo "0 passed, 1 failed"
    exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$here/stage-layer.sh" "$work/layer" >/dev/null
handlers=$here/handlers
passed=0
failed=0

ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1: $2"; }

# invoke NAME HANDLER EVENT-FILE [extra args...]: sets $out $err $rc
invoke() {
    local name=$1 handler=$2 event=$3
    shift 3
    local source=(--event "$event")
    [[ -z $event ]] && source=()
    "$bin" invoke --handler "$handler" --task-root "$handlers" --layer "$work/layer" "${source[@]}" "$@" \
        >"$work/$name.out" 2>"$work/$name.err"
    rc=$?
    out=$work/$name.out
    err=$work/$name.err
}

# json_eq FILE EXPECTED-JSON: same JSON value
json_eq() {
    python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1],encoding="utf-8")) == json.loads(sys.argv[2]) else 1)' "$1" "$2"
}

printf '%s' '{"a":1,"b":[true,false,null],"c":{"d":"e"},"n":-5}' >"$work/echo.json"
invoke echo main.echoEvent "$work/echo.json"
if [[ $rc -eq 0 ]] && json_eq "$out" '{"a":1,"b":[true,false,null],"c":{"d":"e"},"n":-5}'; then ok echo; else bad echo "rc=$rc $(head -c 300 "$out")"; fi

printf '{}\n{}\n{}\n' >"$work/three.jsonl"
invoke state main.counter "" --events "$work/three.jsonl"
if [[ $rc -eq 0 ]] && tr -d ' \n' <"$out" | grep -q '123'; then ok state; else bad state "rc=$rc $(head -c 300 "$out")"; fi

printf '{"fail":1}\n{}\n{"fail":2}\n{}\n' >"$work/flaky.jsonl"
invoke errors main.flaky "" --events "$work/flaky.jsonl"
pids=$(grep -o '"pid":[0-9]*' "$out" | sort -u | wc -l)
if grep -q 'Div' "$out" "$err" && [[ $pids -eq 1 ]] && [[ $(grep -o '"pid":[0-9]*' "$out" | wc -l) -eq 2 ]]; then
    ok errors-then-successes
else
    bad errors-then-successes "rc=$rc pids=$pids $(head -c 400 "$out")"
fi

for case in "nodot Runtime.InvalidHandler" "missing.handler Runtime.HandlerFileNotFound" \
    "loaderr.handler Runtime.HandlerLoadError" "nofun.handler Runtime.NoSuchHandler"; do
    set -- $case
    invoke "init-$1" "$1" "$work/echo.json"
    if [[ $rc -ne 0 ]] && grep -q "$2" "$out" "$err"; then ok "init error $1"; else bad "init error $1" "rc=$rc $(head -c 300 "$err")"; fi
done

python3 - "$work/big.json" <<'PY'
import json, sys
items = ["\u00e9\u20ac" * 40 + "%06d" % i for i in range(29000)]
json.dump({"items": items}, open(sys.argv[1], "w", encoding="utf-8"), ensure_ascii=False, separators=(",", ":"))
PY
invoke big-event main.echoEvent "$work/big.json" --timeout 60
if [[ $rc -eq 0 ]] && cmp -s "$out" "$work/big.json"; then ok "6 MB event"; else bad "6 MB event" "rc=$rc size=$(wc -c <"$out")"; fi

printf '{"size":6291000}' >"$work/size.json"
invoke big-response main.big "$work/size.json" --timeout 60
if [[ $rc -eq 0 && $(wc -c <"$out") -eq 6291000 ]]; then ok "6 MB response"; else bad "6 MB response" "rc=$rc size=$(wc -c <"$out")"; fi

printf '{"size":6291557}' >"$work/over.json"
invoke too-large main.big "$work/over.json" --timeout 60
if [[ $rc -ne 0 ]] && grep -q 'ResponseSizeTooLarge' "$out" "$err"; then ok "413 becomes an error"; else bad "413 becomes an error" "rc=$rc $(head -c 300 "$out")"; fi

printf '%s' '{"s":"caf\u00e9 \ud83d\ude00 あ","k\u00e9":"\u2028"}' >"$work/uni.json"
invoke unicode main.echoEvent "$work/uni.json"
if [[ $rc -eq 0 ]] && json_eq "$out" '{"s":"caf\u00e9 \ud83d\ude00 あ","k\u00e9":"\u2028"}'; then ok unicode; else bad unicode "rc=$rc $(head -c 300 "$out")"; fi

invoke context main.context "$work/echo.json" --timeout 5
if [[ $rc -eq 0 ]] && python3 - "$out" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
arn = c["arn"]
assert arn.startswith("arn:aws:lambda:") and len(arn.split(":")) >= 7, arn
assert c["arnHeader"] == arn, c["arnHeader"]
assert 0 < c["remainingMs"] <= 5000, c["remainingMs"]
assert c["requestId"], c
PY
then ok "headers with colons and remaining time"; else bad "headers with colons and remaining time" "rc=$rc $(head -c 400 "$out")"; fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
