#!/usr/bin/env bash
# Runs the runtime's tests: the JSON codec (pure PicoLisp), the Runtime API protocol tests against
# fake_runtime_api.py, the end-to-end tests through `picolayer invoke`, and those with the real third-party libraries
# (skipped, saying so, where ../shared/testdata/thirdparty is absent).
# Uses Debian's picolisp package. Ends with "N passed, M failed"; exits non-zero on any failure.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
home=/usr/lib/picolisp

if ! command -v picolisp >/dev/null 2>&1 || [[ ! -f $home/lib.l ]]; then
    echo "runtime tests: Debian's picolisp package is missing (run scripts/install-test-deps.sh)" >&2
    echo "0 passed, 1 failed"
    exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0

# Adds the counts of a suite's closing "N passed, M failed" line; a suite without one counts as a failure.
tally() {
    local name=$1 log=$2 line
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -1)
    if [[ -z $line ]]; then
        echo "runtime tests: $name ended without a result line" >&2
        failed=$((failed + 1))
        return
    fi
    passed=$((passed + $(cut -d' ' -f1 <<<"$line")))
    failed=$((failed + $(cut -d' ' -f3 <<<"$line")))
    echo "$name: $line"
}

"$here/stage-layer.sh" "$work/layer" "$home" || { echo "0 passed, 1 failed"; exit 1; }
PURE_JSON=1 "$here/stage-layer.sh" "$work/layer-pure" "$home" || { echo "0 passed, 1 failed"; exit 1; }
python3 "$here/gen_sqs.py" "$work/sqs.json" 1800

# The codec's suite twice: json.l alone (templates/ has no lib/picolayer.so) and with the C helper beside it
# (a staged layer's picoLisp/); then the helper against the PicoLisp codec on the same inputs.
for variant in "PicoLisp alone|$root/templates" "with lib/picolayer.so|$work/layer/picoLisp"; do
    IFS='|' read -r name dir <<<"$variant"
    echo "== codec (json.l, $name)"
    picolisp "$home/lib.l" "$here/codec-test.l" "$dir" "$work/sqs.json" >"$work/codec.log" 2>"$work/codec.err"
    grep -v '^JSON: ' "$work/codec.err" >&2
    grep '^FAIL' "$work/codec.log"
    tally "codec ($name)" "$work/codec.log"
done
echo "== codec: lib/picolayer.so against json.l's PicoLisp code"
picolisp "$home/lib.l" "$here/codec-native-test.l" "$work/layer/picoLisp" "$work/sqs.json" >"$work/native.log" 2>&1
grep '^FAIL\|^\[' "$work/native.log"
tally "codec (helper against PicoLisp)" "$work/native.log"

for variant in "with lib/picolayer.so|$work/layer" "PicoLisp alone|$work/layer-pure"; do
    IFS='|' read -r name dir <<<"$variant"
    echo "== Runtime API protocol (bootstrap + runtime.l against fake_runtime_api.py, $name)"
    python3 "$here/protocol_tests.py" "$dir" | tee "$work/protocol.log"
    tally "protocol ($name)" "$work/protocol.log"
done

echo "== end to end (picolayer invoke)"
"$here/e2e-invoke.sh" | tee "$work/e2e.log"
if grep -qE '^[0-9]+ passed, [0-9]+ failed$' "$work/e2e.log"; then
    tally e2e "$work/e2e.log"
fi

echo "== end to end with the real picolisp-json and picolisp-awscurl (picolayer build, invoke, verify)"
"$here/e2e-thirdparty.sh" | tee "$work/e2e-thirdparty.log"
if grep -qE '^[0-9]+ passed, [0-9]+ failed$' "$work/e2e-thirdparty.log"; then
    tally e2e-thirdparty "$work/e2e-thirdparty.log"
elif ! grep -q '^e2e-thirdparty: skipped' "$work/e2e-thirdparty.log"; then
    echo "runtime tests: e2e-thirdparty ended without a result line" >&2
    failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
