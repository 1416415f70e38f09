#!/usr/bin/env bash
# picolayer deploy against the AWS CLI (aws lambda update-function-code): a small function folder (41 PicoLisp
# files, about 500 KB) deployed to an existing function on a local moto_server with SigV4 checking on; wall time
# and peak RSS of each, measured in the same run (median of RUNS runs).
#   picolayer-dir        deploy --code DIR: zips the folder, GetFunction, UpdateFunctionCode, waits (GetFunction)
#   picolayer-zip        deploy --code ZIP: the same from the zip the AWS CLI gets
#   picolayer-unchanged  deploy --code ZIP again: GetFunction only (same CodeSha256, nothing uploaded)
#   aws-cli              aws lambda update-function-code --zip-file fileb://ZIP (one call, no waiting)
# The code changes before every uploading run (a file holds the run number), so every run really uploads.
set -euo pipefail
# shellcheck source=Benchmarks/lib.sh
source "$(dirname "$0")/lib.sh"
binary=$1
runs=${RUNS:-5}
moto_bench bench-deploy

# An IAM user allowed lambda:*, an execution role and the function, created while auth is off; then signature
# checking on.
read -r key_id secret < <(moto_user bench "lambda:*")
python3 - "$endpoint" <<'EOF'
import io, json, sys, zipfile
import boto3
def client(service):
    return boto3.client(service, endpoint_url=sys.argv[1], region_name="us-east-1",
                        aws_access_key_id="setup", aws_secret_access_key="setup")
role = client("iam").create_role(RoleName="bench-fn", AssumeRolePolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                             "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
code = io.BytesIO()
with zipfile.ZipFile(code, "w") as z:
    z.writestr("main.l", "(de handler (Event Headers) Event)\n")
for name in ["bench-picolayer", "bench-aws-cli"]:
    client("lambda").create_function(FunctionName=name, Runtime="provided.al2023", Role=role, Handler="main.handler",
                                     Code={"ZipFile": code.getvalue()})
EOF
moto_check_signatures

# The function folder: main.l and 40 library files of PicoLisp-like text.
mkdir -p "$work/fn/lib"
echo '(de handler (Event Headers) (load "lib/all.l") Event)' > "$work/fn/main.l"
for i in $(seq 1 40); do
    for j in $(seq 1 250); do echo "(de f$i-$j (X Y) (+ X (* Y $j)) \"line $j of file $i\")"; done > "$work/fn/lib/f$i.l"
done
zip_folder() { # folder, zip: the folder zipped with Python's zipfile (what a user would hand the AWS CLI)
    rm -f "$2"
    python3 - "$1" "$2" <<'EOF_ZIP'
import os, sys, zipfile
folder, target = sys.argv[1:3]
with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
    for top, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(top, name)
            z.write(path, os.path.relpath(path, folder))
EOF_ZIP
}
zip_folder "$work/fn" "$work/fn.zip"
echo "function: $(find "$work/fn" -type f -exec cat {} + | wc -c) bytes in $(find "$work/fn" -type f | wc -l) files, zip $(stat -c %s "$work/fn.zip") bytes," \
    "$(nproc) cores, $runs runs each, moto $(python3 -c 'import moto; print(moto.__version__)'), $(aws --version 2>&1)"

export AWS_ACCESS_KEY_ID=$key_id AWS_SECRET_ACCESS_KEY=$secret AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
export AWS_SHARED_CREDENTIALS_FILE=$work/none AWS_CONFIG_FILE=$work/none AWS_PAGER=""

serial=0
change_code() { # a new file content, and a new zip of the folder, before an uploading run
    serial=$((serial + 1))
    echo "(setq *Serial $serial)" > "$work/fn/serial.l"
    zip_folder "$work/fn" "$work/fn.zip"
}

deploy=("$binary" deploy --function bench-picolayer --region us-east-1 --endpoint-url "$endpoint")
measure_median "$work" "$runs" picolayer-dir change_code "${deploy[@]}" --code "$work/fn"
measure_median "$work" "$runs" picolayer-zip change_code "${deploy[@]}" --code "$work/fn.zip"
measure_median "$work" "$runs" picolayer-unchanged : "${deploy[@]}" --code "$work/fn.zip"
grep -q "code          unchanged" "$work/out" || { echo "bench-deploy: the unchanged run uploaded" >&2; exit 1; }
measure_median "$work" "$runs" aws-cli change_code aws lambda update-function-code --function-name bench-aws-cli \
    --zip-file "fileb://$work/fn.zip" --endpoint-url "$endpoint" --region us-east-1

print_medians "$work" aws-cli
