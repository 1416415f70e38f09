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
moto_bench bench-publish

# An IAM user allowed lambda:*, created while auth is off; then signature checking on (moto's POST /moto-api/reset-auth).
read -r key_id secret < <(moto_user bench "lambda:*")
moto_check_signatures

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

measure_median "$work" "$runs" picolayer : "$binary" publish "$work/picolisp.zip" --layer-name bench-picolayer \
    --region us-east-1 --force --endpoint-url "$endpoint"
measure_median "$work" "$runs" aws-cli : aws lambda publish-layer-version --layer-name bench-aws-cli \
    --zip-file "fileb://$work/picolisp.zip" --compatible-runtimes provided.al2023 --compatible-architectures x86_64 \
    --license-info MIT --endpoint-url "$endpoint" --region us-east-1

print_medians "$work" aws-cli
