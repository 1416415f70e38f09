# Helpers shared by the benchmark scripts (source it; bash only).

# port_from_log LOG SED-EXPRESSION TENTHS: waits up to TENTHS tenths of a second for a server to print the
# port it got into LOG, and prints that port (the first match of the sed expression, which must print it).
port_from_log() {
    local log=$1 expression=$2 tenths=$3 port=""
    for _ in $(seq 1 "$tenths"); do
        port=$(sed -n "$expression" "$log" | head -1)
        [[ -n $port ]] && break
        sleep 0.1
    done
    echo "$port"
}

# start_moto WORK: starts moto_server on a free loopback port (log in WORK/moto.log) and sets moto_pid and
# endpoint (http://127.0.0.1:PORT). The caller stops $moto_pid when done.
start_moto() {
    local work=$1 port
    command -v moto_server >/dev/null || { echo "moto_server missing (scripts/install-test-deps.sh)" >&2; return 1; }
    moto_server -H 127.0.0.1 -p 0 > "$work/moto.log" 2>&1 &
    moto_pid=$!
    port=$(port_from_log "$work/moto.log" 's|.*Running on http://127.0.0.1:\([0-9]*\).*|\1|p' 300)
    [[ -n $port ]] || { echo "moto_server did not start" >&2; cat "$work/moto.log" >&2; return 1; }
    endpoint=http://127.0.0.1:$port
}

# moto_user NAME ACTION: prints "KEY_ID SECRET" of a new IAM user NAME of the moto at $endpoint, allowed ACTION
# ("*", "lambda:*"...) on every resource. Call it while moto's signature checking is still off.
moto_user() {
    python3 - "$endpoint" "$1" "$2" <<'PY'
import json, sys, boto3
endpoint, name, action = sys.argv[1:4]
iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                   aws_access_key_id="setup", aws_secret_access_key="setup")
iam.create_user(UserName=name)
iam.put_user_policy(UserName=name, PolicyName="allow", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]}))
key = iam.create_access_key(UserName=name)["AccessKey"]
print(key["AccessKeyId"], key["SecretAccessKey"])
PY
}

# moto_check_signatures: from here on the moto at $endpoint checks every request's SigV4 signature and the IAM
# policies of its user (POST /moto-api/reset-auth: 0 more calls pass unchecked).
moto_check_signatures() {
    curl -fsS -X POST -H 'Content-Type: text/plain' --data 0 "$endpoint/moto-api/reset-auth" >/dev/null
}

# measure_median WORK RUNS NAME BEFORE COMMAND...: runs BEFORE (a command; `:` for nothing) then COMMAND under
# /usr/bin/time, RUNS times, and appends "NAME MEDIAN-SECONDS MEDIAN-PEAK-KIB" to WORK/results. A failing run
# stops the script with its output.
measure_median() {
    local work=$1 runs=$2 name=$3 before=$4
    shift 4
    local times=() rss=() seconds kib
    for _ in $(seq 1 "$runs"); do
        "$before"
        /usr/bin/time -f "%e %M" -o "$work/time" "$@" > "$work/out" 2> "$work/err" || {
            echo "$name failed:" >&2; cat "$work/out" "$work/err" >&2; exit 1
        }
        read -r seconds kib < "$work/time"
        times+=("$seconds"); rss+=("$kib")
    done
    printf '%s %s %s\n' "$name" \
        "$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")" \
        "$(printf '%s\n' "${rss[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")" >> "$work/results"
}

# print_medians WORK REFERENCE: the table of WORK/results, times and peak RSS also as ratios to REFERENCE's.
print_medians() {
    local work=$1 reference=$2 ref_time ref_rss name seconds kib
    read -r _ ref_time ref_rss < <(grep "^$reference " "$work/results")
    printf '%-20s %10s %14s %10s %10s\n' tool "wall (s)" "peak RSS MiB" "time/ref" "rss/ref"
    while read -r name seconds kib; do
        printf '%-20s %10s %14.1f %10.3f %10.3f\n' "$name" "$seconds" "$(echo "$kib / 1024" | bc -l)" \
            "$(echo "$seconds / $ref_time" | bc -l)" "$(echo "$kib / $ref_rss" | bc -l)"
    done < "$work/results"
    echo "(ref: $reference)"
}

# moto_bench NAME: what the benchmarks against moto start with: a scratch folder $work (removed on exit, moto
# stopped too), the AWS CLI checked, and moto_server started ($moto_pid, $endpoint).
moto_bench() {
    local name=$1
    work=$(mktemp -d)
    moto_pid=""
    trap 'if [[ -n $moto_pid ]]; then kill "$moto_pid" 2>/dev/null || true; fi; rm -rf "$work"' EXIT
    command -v aws >/dev/null || { echo "$name: the AWS CLI is missing (scripts/install-test-deps.sh)" >&2; exit 1; }
    start_moto "$work"
}
