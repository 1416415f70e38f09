#!/usr/bin/env bash
# picolayer publish against the AWS CLI (aws lambda publish-layer-version): one 45 MB incompressible layer zip
# published inline to a local moto_server with SigV4 checking on; wall time and peak RSS of each tool, measured
# in the same run (median of RUNS runs). Targets: picolayer's peak RSS < 64 MiB; wall time <= the AWS CLI's.
set -euo pipefail
# shellcheck source=Benchmarks/lib.sh
source "$(dirname "$0")/lib.sh"
binary=$1
runs=${RUNS:-3}
size=$((45 * 1000 * 1000))
work=$(mktemp -d)
moto_pid=""
cleanup() {
    if [[ -n $moto_pid ]]; then kill "$moto_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

command -v moto_server >/dev/null || { echo "bench-publish: moto_server missing (scripts/install-test-deps.sh)" >&2; exit 1; }
command -v aws >/dev/null || { echo "bench-publish: the AWS CLI is missing (scripts/install-test-deps.sh)" >&2; exit 1; }

# moto on a free loopback port; it prints the port it got.
moto_server -H 127.0.0.1 -p 0 > "$work/moto.log" 2>&1 &
moto_pid=$!
port=$(port_from_log "$work/moto.log" 's|.*Running on http://127.0.0.1:\([0-9]*\).*|\1|p' 300)
[[ -n $port ]] || { echo "bench-publish: moto_server did not start" >&2; cat "$work/moto.log" >&2; exit 1; }
endpoint=http://127.0.0.1:$port

# An IAM user allowed lambda:*, created while auth is off; then signature checking on (reference/sigv4.md §9).
read -r key_id secret < <(python3 - "$endpoint" <<'EOF'
import json, sys, urllib.request
import boto3
iam = boto3.client("iam", endpoint_url=sys.argv[1], region_name="us-east-1",
                   aws_access_key_id="testing", aws_secret_access_key="testing")
iam.create_user(UserName="bench")
iam.put_user_policy(UserName="bench", PolicyName="allow", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["lambda:*"], "Resource": "*"}]}))
key = iam.create_access_key(UserName="bench")["AccessKey"]
urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/moto-api/reset-auth", data=b"0", method="POST",
                                              headers={"Content-Type": "text/plain"})).read()
print(key["AccessKeyId"], key["SecretAccessKey"])
EOF
)

# A real zip (the AWS CLI checks) holding /bin/true as picoLisp/bin/picolisp (picolayer reads its ELF header
# for CompatibleArchitectures) and 45 MB of random, incompressible bytes, stored.
head -c "$size" /dev/urandom > "$work/blob"
python3 - "$work" <<'EOF_ZIP'
import sys, zipfile
work = sys.argv[1]
with zipfile.ZipFile(work + "/picolisp.zip", "w", zipfile.ZIP_STORED) as z:
    z.write("/bin/true", "picoLisp/bin/picolisp")
    z.write(work + "/blob", "picoLisp/lib/blob.bin")
EOF_ZIP
rm "$work/blob"
size=$(stat -c %s "$work/picolisp.zip")
echo "zip: $size bytes, mostly random data, $(nproc) cores, $runs runs each, moto $(python3 -c 'import moto; print(moto.__version__)'), $(aws --version 2>&1)"

export AWS_ACCESS_KEY_ID=$key_id AWS_SECRET_ACCESS_KEY=$secret AWS_DEFAULT_REGION=us-east-1
export AWS_SHARED_CREDENTIALS_FILE=$work/none AWS_CONFIG_FILE=$work/none AWS_PAGER=""

measure() { # name, command...
    local name=$1; shift
    local times=() rss=()
    for _ in $(seq 1 "$runs"); do
        /usr/bin/time -f "%e %M" -o "$work/time" "$@" > "$work/out" 2> "$work/err" || {
            echo "bench-publish: $name failed:" >&2; cat "$work/out" "$work/err" >&2; exit 1
        }
        read -r seconds kib < "$work/time"
        times+=("$seconds"); rss+=("$kib")
    done
    printf '%s %s %s\n' "$name" \
        "$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")" \
        "$(printf '%s\n' "${rss[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")" >> "$work/results"
}

measure picolayer "$binary" publish "$work/picolisp.zip" --layer-name bench-picolayer --region us-east-1 \
    --force --endpoint-url "$endpoint"
measure aws-cli aws lambda publish-layer-version --layer-name bench-aws-cli --zip-file "fileb://$work/picolisp.zip" \
    --compatible-runtimes provided.al2023 --compatible-architectures x86_64 --license-info MIT \
    --endpoint-url "$endpoint" --region us-east-1

read -r _ cli_time cli_rss < <(grep '^aws-cli ' "$work/results")
printf '%-10s %10s %14s %10s %10s\n' tool "wall (s)" "peak RSS MiB" "time/cli" "rss/cli"
while read -r name seconds kib; do
    printf '%-10s %10s %14.1f %10.3f %10.3f\n' "$name" "$seconds" "$(echo "$kib / 1024" | bc -l)" \
        "$(echo "$seconds / $cli_time" | bc -l)" "$(echo "$kib / $cli_rss" | bc -l)"
done < "$work/results"
