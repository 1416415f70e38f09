#!/usr/bin/env bash
# picolayer whoami against `aws sts get-caller-identity`, through a role profile (role_arn + source_profile:
# one AssumeRole, then GetCallerIdentity signed with the temporary keys) and with plain keys from the
# environment, against a local moto_server with SigV4 checking on. Wall time and peak RSS of each tool, median
# of RUNS runs, measured in the same run.
set -euo pipefail
# shellcheck source=Benchmarks/lib.sh
source "$(dirname "$0")/lib.sh"
binary=$1
runs=${RUNS:-5}
work=$(mktemp -d)
moto_pid=""
cleanup() {
    if [[ -n $moto_pid ]]; then kill "$moto_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

command -v moto_server >/dev/null || { echo "bench-credentials: moto_server missing (scripts/install-test-deps.sh)" >&2; exit 1; }
command -v aws >/dev/null || { echo "bench-credentials: the AWS CLI is missing (scripts/install-test-deps.sh)" >&2; exit 1; }

moto_server -H 127.0.0.1 -p 0 > "$work/moto.log" 2>&1 &
moto_pid=$!
port=$(port_from_log "$work/moto.log" 's|.*Running on http://127.0.0.1:\([0-9]*\).*|\1|p' 300)
[[ -n $port ]] || { echo "bench-credentials: moto_server did not start" >&2; cat "$work/moto.log" >&2; exit 1; }
endpoint=http://127.0.0.1:$port

# An IAM user allowed sts:*, and a role it may assume; then signature checking on (reference/sigv4.md §9).
read -r key_id secret < <(python3 - "$endpoint" <<'EOF_SETUP'
import json, sys, urllib.request
import boto3
iam = boto3.client("iam", endpoint_url=sys.argv[1], region_name="us-east-1",
                   aws_access_key_id="testing", aws_secret_access_key="testing")
allow = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["sts:*"], "Resource": "*"}]})
iam.create_user(UserName="bench")
iam.put_user_policy(UserName="bench", PolicyName="allow", PolicyDocument=allow)
key = iam.create_access_key(UserName="bench")["AccessKey"]
iam.create_role(RoleName="bench-role", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}))
iam.put_role_policy(RoleName="bench-role", PolicyName="allow", PolicyDocument=allow)
urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/moto-api/reset-auth", data=b"0", method="POST",
                                              headers={"Content-Type": "text/plain"})).read()
print(key["AccessKeyId"], key["SecretAccessKey"])
EOF_SETUP
)

cat > "$work/credentials" <<EOF_CREDS
[base]
aws_access_key_id = $key_id
aws_secret_access_key = $secret
EOF_CREDS
cat > "$work/config" <<EOF_CONFIG
[profile role]
role_arn = arn:aws:iam::123456789012:role/bench-role
source_profile = base
region = us-east-1
EOF_CONFIG
export AWS_SHARED_CREDENTIALS_FILE=$work/credentials AWS_CONFIG_FILE=$work/config AWS_PAGER=""
export AWS_ENDPOINT_URL=$endpoint AWS_EC2_METADATA_DISABLED=true AWS_DEFAULT_REGION=us-east-1
echo "$(nproc) cores, $runs runs each, moto $(python3 -c 'import moto; print(moto.__version__)'), $(aws --version 2>&1)"

# median FILE: the middle line of the sorted numbers in FILE.
median() { sort -n "$1" | sed -n "$(( ($(wc -l < "$1") + 1) / 2 ))p"; }

measure() { # label, command...
    local label=$1; shift
    : > "$work/t"; : > "$work/m"
    for _ in $(seq 1 "$runs"); do
        /usr/bin/time -f "%e %M" -o "$work/time" "$@" > "$work/out" 2> "$work/err" || {
            echo "bench-credentials: $label failed:" >&2; cat "$work/out" "$work/err" >&2; exit 1
        }
        grep -q "123456789012" "$work/out" || { echo "bench-credentials: $label printed no account" >&2; exit 1; }
        read -r seconds kib < "$work/time"
        echo "$seconds" >> "$work/t"; echo "$kib" >> "$work/m"
    done
    printf '%-48s %8s s %10s KiB\n' "$label" "$(median "$work/t")" "$(median "$work/m")"
}

printf '%-48s %10s %14s\n' "identity lookup" "wall" "peak RSS"
measure "picolayer whoami (role profile)" "$binary" whoami --profile role
measure "aws sts get-caller-identity (role profile)" aws sts get-caller-identity --profile role
AWS_ACCESS_KEY_ID=$key_id AWS_SECRET_ACCESS_KEY=$secret measure "picolayer whoami (environment keys)" "$binary" whoami
AWS_ACCESS_KEY_ID=$key_id AWS_SECRET_ACCESS_KEY=$secret measure "aws sts get-caller-identity (environment keys)" \
    aws sts get-caller-identity
