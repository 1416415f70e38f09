#!/usr/bin/env bash
# End-to-end tests of the runtime through `picolayer invoke` with a layer folder staged from Debian's
# picolisp and templates/. Fails when no picolayer binary is built (see e2e-lib.sh).
# Ends with "N passed, M failed" when it runs; exits non-zero on any failure.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=Tests/runtime/e2e-lib.sh
source "$here/e2e-lib.sh"
"$here/stage-layer.sh" "$work/layer" >/dev/null
handlers=$here/handlers
# invoke NAME HANDLER EVENT-FILE [extra args...], on the handlers folder and the staged layer
invoke_here() {
    local name=$1 handler=$2 event=$3
    shift 3
    invoke "$name" "$handler" "$handlers" "$work/layer" "$event" "$@"
}

printf '%s' '{"a":1,"b":[true,false,null],"c":{"d":"e"},"n":-5}' >"$work/echo.json"
invoke_here echo main.echoEvent "$work/echo.json"
if [[ $rc -eq 0 ]] && json_eq "$out" '{"a":1,"b":[true,false,null],"c":{"d":"e"},"n":-5}'; then ok echo; else bad echo "rc=$rc $(head -c 300 "$out")"; fi

printf '{}\n{}\n{}\n' >"$work/three.jsonl"
invoke_here state main.counter "" --events "$work/three.jsonl"
if [[ $rc -eq 0 ]] && tr -d ' \n' <"$out" | grep -q '123'; then ok state; else bad state "rc=$rc $(head -c 300 "$out")"; fi

printf '{"fail":1}\n{}\n{"fail":2}\n{}\n' >"$work/flaky.jsonl"
invoke_here errors main.flaky "" --events "$work/flaky.jsonl"
pids=$(grep -o '"pid":[0-9]*' "$out" | sort -u | wc -l)
if grep -q 'Div' "$out" "$err" && [[ $pids -eq 1 ]] && [[ $(grep -o '"pid":[0-9]*' "$out" | wc -l) -eq 2 ]]; then
    ok errors-then-successes
else
    bad errors-then-successes "rc=$rc pids=$pids $(head -c 400 "$out")"
fi

for case in "nodot Runtime.InvalidHandler" "missing.handler Runtime.HandlerFileNotFound" \
    "loaderr.handler Runtime.HandlerLoadError" "nofun.handler Runtime.NoSuchHandler"; do
    set -- $case
    invoke_here "init-$1" "$1" "$work/echo.json"
    if [[ $rc -ne 0 ]] && grep -q "$2" "$out" "$err"; then ok "init error $1"; else bad "init error $1" "rc=$rc $(head -c 300 "$err")"; fi
done

python3 - "$work/big.json" <<'PY'
import json, sys
items = ["\u00e9\u20ac" * 40 + "%06d" % i for i in range(29000)]
json.dump({"items": items}, open(sys.argv[1], "w", encoding="utf-8"), ensure_ascii=False, separators=(",", ":"))
PY
invoke_here big-event main.echoEvent "$work/big.json" --timeout 60
if [[ $rc -eq 0 ]] && cmp -s "$out" "$work/big.json"; then ok "6 MB event"; else bad "6 MB event" "rc=$rc size=$(wc -c <"$out")"; fi

printf '{"size":6291000}' >"$work/size.json"
invoke_here big-response main.big "$work/size.json" --timeout 60
if [[ $rc -eq 0 && $(wc -c <"$out") -eq 6291000 ]]; then ok "6 MB response"; else bad "6 MB response" "rc=$rc size=$(wc -c <"$out")"; fi

printf '{"size":6291557}' >"$work/over.json"
invoke_here too-large main.big "$work/over.json" --timeout 60
if [[ $rc -ne 0 ]] && grep -q 'ResponseSizeTooLarge' "$out" "$err"; then ok "413 becomes an error"; else bad "413 becomes an error" "rc=$rc $(head -c 300 "$out")"; fi

printf '%s' '{"s":"caf\u00e9 \ud83d\ude00 あ","k\u00e9":"\u2028"}' >"$work/uni.json"
invoke_here unicode main.echoEvent "$work/uni.json"
if [[ $rc -eq 0 ]] && json_eq "$out" '{"s":"caf\u00e9 \ud83d\ude00 あ","k\u00e9":"\u2028"}'; then ok unicode; else bad unicode "rc=$rc $(head -c 300 "$out")"; fi

invoke_here context main.context "$work/echo.json" --timeout 5
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

finish
