#!/usr/bin/env bash
# picolayer whoami against `aws sts get-caller-identity`, through a role profile (role_arn + source_profile:
# one AssumeRole, then GetCallerIdentity signed with the temporary keys) and with plain keys from the
# environment, against a local moto_server with SigV4 checking on. The AWS CLI is measured without and with
# its on-disk cache of assumed-role keys. Wall time and peak RSS of each tool, median
# of RUNS runs, measured in the same run.
set -euo pipefail
# shellcheck source=Benchmarks/lib.sh
source "$(dirname "$0")/lib.sh"
binary=$1
runs=${RUNS:-5}
moto_bench bench-credentials

# An IAM user allowed sts:*, and a role it may assume; then signature checking on.
read -r key_id secret < <(moto_user bench "sts:*")
python3 - "$endpoint" <<'EOF_SETUP'
import json, sys
import boto3
iam = boto3.client("iam", endpoint_url=sys.argv[1], region_name="us-east-1",
                   aws_access_key_id="setup", aws_secret_access_key="setup")
iam.create_role(RoleName="bench-role", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}))
iam.put_role_policy(RoleName="bench-role", PolicyName="allow", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["sts:*"], "Resource": "*"}]}))
EOF_SETUP
moto_check_signatures

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

# The AWS CLI caches assumed-role keys in ~/.aws/cli/cache; a private HOME keeps earlier runs' keys out.
export HOME=$work/home
mkdir -p "$work/role" "$work/env" "$HOME"
forget_cli_cache() { rm -rf "$HOME/.aws/cli/cache"; }
measure_median "$work/role" "$runs" picolayer-whoami : "$binary" whoami --profile role
measure_median "$work/role" "$runs" aws-sts forget_cli_cache aws sts get-caller-identity --profile role
# With its cache kept, the CLI skips AssumeRole after the first run (picolayer keeps keys in memory only).
measure_median "$work/role" "$runs" aws-sts-cached : aws sts get-caller-identity --profile role
export AWS_ACCESS_KEY_ID=$key_id AWS_SECRET_ACCESS_KEY=$secret
measure_median "$work/env" "$runs" picolayer-whoami : "$binary" whoami
measure_median "$work/env" "$runs" aws-sts : aws sts get-caller-identity
"$binary" whoami | grep -q "Account: 123456789012" || { echo "bench-credentials: whoami printed no account" >&2; exit 1; }

echo "through a role profile (AssumeRole, then GetCallerIdentity with the temporary keys):"
print_medians "$work/role" aws-sts
echo "with keys from the environment (GetCallerIdentity only):"
print_medians "$work/env" aws-sts
