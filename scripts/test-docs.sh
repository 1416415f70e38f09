#!/usr/bin/env bash
# make test-docs: runs every shell example of README.md and docs/*.md with byexample and checks what it prints.
#
# An example is a `$ command` line in a fenced block followed by its expected output (`<...>` stands for text
# that varies: times, ids, paths). Each file runs in order in one bash, in a scratch folder holding what the
# examples name: build/layer (Debian's picolisp staged as a layer), fn/ with main.l, event.json. AWS calls go to a
# moto_server on 127.0.0.1 with signature checks on (AWS_ENDPOINT_URL), with an IAM user's keys in the
# environment; nothing leaves this machine.
#
# A fenced sh block without a `$ ` line must say why right above it: `<!-- not run: synopsis -->` for a usage
# line, `<!-- not run: REASON -->` for an example that needs real AWS or a long compile; every reason is printed.
# A failing example fails with its file, line, command and a diff.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export PATH="$root/.venv/bin:$PATH"
bin=${PICOLAYER_BIN:-$root/.build/debug/picolayer}
files=("$@")
[[ ${#files[@]} -gt 0 ]] || files=("$root/README.md" "$root"/docs/*.md)
for i in "${!files[@]}"; do files[i]=$(realpath "${files[i]}"); done
[[ -x $bin ]] || { echo "test-docs: no picolayer at $bin (swift build)" >&2; exit 1; }
command -v byexample >/dev/null || { echo "test-docs: byexample missing (scripts/install-test-deps.sh)" >&2; exit 1; }
. "$root/Benchmarks/lib.sh"

# Every sh block is run or says why not.
unmarked=0
for file in "${files[@]}"; do
    awk -v file="${file#"$root"/}" '
        /^<!-- not run: .* -->$/ { reason = $0; sub(/^<!-- not run: /, "", reason); sub(/ -->$/, "", reason); next }
        /^```(sh|shell|console|bash)$/ && !inside { inside = 1; start = NR; prompted = 0; next }
        /^```/ && inside {
            inside = 0
            if (!prompted && reason == "") { printf "test-docs: %s:%d: a sh block with no `$ ` example and no <!-- not run: REASON -->\n", file, start; bad = 1 }
            else if (!prompted) printf "test-docs: not run: %s:%d: %s\n", file, start, reason
            reason = ""; next
        }
        inside && /^\$ / { prompted = 1 }
        !inside && !/^[[:space:]]*$/ { reason = "" }
        END { exit bad }' "$file" || unmarked=1
done
[[ $unmarked = 0 ]] || exit 1

work=$(mktemp -d)
moto_pid=""
runner=""
# The examples' background servers (picolayer serve) are in the runner's process group, stopped with it.
trap '[[ -n $runner ]] && kill -- -"$runner" 2>/dev/null; [[ -n $moto_pid ]] && kill "$moto_pid" 2>/dev/null
      rm -rf "$work"' EXIT
start_moto "$work"
keys=$(moto_user docs "*")
python3 - "$endpoint" <<'PY'
import json, sys, boto3
iam = boto3.client("iam", endpoint_url=sys.argv[1], region_name="us-east-1",
                   aws_access_key_id="setup", aws_secret_access_key="setup")
iam.create_role(RoleName="hello", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
PY
moto_check_signatures

mkdir -p "$work/docs/fn" "$work/home" "$work/bin"
"$root/Tests/runtime/stage-layer.sh" "$work/docs/build/layer" >/dev/null
interpreter=$work/docs/build/layer/picoLisp/bin/picolisp
cp --remove-destination "$(readlink -f "$interpreter")" "$interpreter" # a real ELF inside the layer, as build stages it
cat > "$work/docs/fn/main.l" <<'L'
# The docs' function: answers {"hello": NAME} for {"name": NAME}.
(de handler (Event Headers)
   (list (cons "hello" (cdr (assoc "name" Event)))) )
# docs/invoke.md's --env-file example.
(de env (Event Headers)
   (list (cons "greeting" (sys "GREETING")) (cons "level" (sys "LEVEL"))) )
L
echo '{"name": "world"}' > "$work/docs/event.json"
ln -s "$bin" "$work/bin/picolayer"

cd "$work/docs"
read -r key secret <<<"$keys"
env -i PATH="$work/bin:$root/.venv/bin:/usr/local/bin:/usr/bin:/bin" HOME="$work/home" LANG=C.UTF-8 TERM=dumb \
    AWS_ENDPOINT_URL="$endpoint" AWS_ACCESS_KEY_ID="$key" AWS_SECRET_ACCESS_KEY="$secret" AWS_REGION=eu-west-1 AWS_DEFAULT_REGION=eu-west-1 \
    PICOLISP_SOURCE=/usr/lib/picolisp \
    setsid byexample -l shell --timeout 30 -d unified --no-progress-bar -o '+norm-ws' "${files[@]}" &
runner=$!
status=0
wait "$runner" || status=$?
kill -- -"$runner" 2>/dev/null || true
runner=""
[[ $status = 0 ]] || echo "test-docs: an example above failed (file, line, command and diff shown)" >&2
exit "$status"
