#!/usr/bin/env bash
# End-to-end: a handler written for the original project (handlers/original.l) on a layer that `picolayer build`
# compiles from the real pil21 25.8, picolisp-json v4.1.0 and picolisp-awscurl v1.0.0 in
# ../shared/testdata/thirdparty (test inputs kept outside the project: skipped, saying so, when absent).
# picolisp-awscurl calls a local moto_server (signature checking on) for EC2 DescribeAvailabilityZones, once on
# this machine and once in a bubblewrap sandbox shaped like provided.al2023 (no openssl command, no libcrypto.so,
# only /lib64/libcrypto.so.3). Ends with "N passed, M failed"; exits non-zero on any failure.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
thirdparty=$(cd "$here/../.." && pwd)/../shared/testdata/thirdparty
sources=(pil21-25.8.tgz picolisp-json-4.1.0.tar.gz picolisp-awscurl-1.0.0.tar.gz)
for source in "${sources[@]}"; do
    if [[ ! -f $thirdparty/$source ]]; then
        echo "e2e-thirdparty: skipped: $thirdparty/$source is absent (the real third-party libraries are test" \
            "inputs that live beside the project, not in it)"
        exit 0
    fi
done
# shellcheck source=Tests/runtime/e2e-lib.sh
source "$here/e2e-lib.sh"
handlers=$here/handlers

# The layer, as a user builds it (host compile: clang-14 and llvm-14 from scripts/install-test-deps.sh).
"$bin" build --engine none --project "$work/project" --cache-dir "$work/cache" --pil-source "$thirdparty/${sources[0]}" \
    --json-source "$thirdparty/${sources[1]}" --awscurl-source "$thirdparty/${sources[2]}" >"$work/build.log" 2>&1
if [[ $? -eq 0 && -L $work/project/build/layer/lib/libcrypto.so ]]; then
    ok "build from the real sources links lib/libcrypto.so"
else
    bad "build from the real sources" "$(tail -5 "$work/build.log")"
    finish
    exit 1
fi
layer=$work/project/build/layer

# The JSON codec's C helper, compiled by the build with pil21's compiler, loads in the built interpreter and agrees
# with the PicoLisp codec (the same differential suite as on Debian's picolisp).
if [[ -f $layer/picoLisp/lib/picolayer.so ]] && (cd "$layer/picoLisp" && bin/picolisp lib.l \
    "$here/codec-native-test.l" "$layer/picoLisp") >"$work/native.log" 2>&1; then
    ok "the build's lib/picolayer.so loads and agrees with json.l's PicoLisp code ($(tail -1 "$work/native.log"))"
else
    bad "lib/picolayer.so in the built layer" "$(ls "$layer/picoLisp/lib" | tr '\n' ' ') $(tail -3 "$work/native.log")"
fi

# The Runtime API protocol suite on the built interpreter (pil21 25.8): the helper reads the answers and builds
# cells through that interpreter's own functions
if python3 "$here/protocol_tests.py" "$layer" >"$work/protocol.log" 2>&1; then
    ok "the Runtime API protocol suite on the built layer ($(tail -1 "$work/protocol.log"))"
else
    bad "the Runtime API protocol suite on the built layer" "$(grep FAIL "$work/protocol.log" | head -5)"
fi

printf '{"do":"json"}' >"$work/json.json"
invoke json original.handler "$handlers" "$layer" "$work/json.json"
if [[ $rc -eq 0 ]] && json_eq "$out" '{"decoded":"café","control":"a\u0001b","hex":"FF"}'; then
    ok "picolisp-json decodes \\u escapes and encodes control characters (@lib/misc.l loaded first)"
else
    bad "picolisp-json" "rc=$rc $(head -c 300 "$out") $(tail -3 "$err")"
fi

# Each documented difference between picolisp-json's decoding and ours, against the real library.
if (cd "$layer/picoLisp" && bin/picolisp lib.l "$here/json-differences.l") >"$work/differences.log" 2>&1; then
    ok "the documented differences from picolisp-json hold ($(tail -1 "$work/differences.log"))"
else
    bad "differences from picolisp-json" "$(grep -v '^ok' "$work/differences.log" | head -5)"
fi

# The original's globals, and *Request_id per event.
printf '{"do":"globals"}\n{"do":"globals"}\n' >"$work/globals.jsonl"
invoke globals original.handler "$handlers" "$layer" "" --events "$work/globals.jsonl" --region eu-west-1 \
    --function-name orig --memory 256 --env AWS_ACCESS_KEY_ID=AKIDTEST --env AWS_SECRET_ACCESS_KEY=secret
if [[ $rc -eq 0 ]] && python3 - "$out" "$handlers" "$layer" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
assert len(lines) == 2, lines
ids = [l["requestId"] for l in lines]
assert all(l["requestId"] == l["awsRequestId"] != "NIL" for l in lines), lines
assert ids[0] != ids[1], ids
g = lines[1]["globals"]
expected = {
    "*Handler": "original.handler", "*Aws_region": "eu-west-1", "*Aws_execution_env": "NIL",
    "*Aws_function_name": "orig", "*Aws_lambda_function_memory_size": "256",
    "*Aws_lambda_function_version": "$LATEST", "*Aws_loggroup_name": "/aws/lambda/orig",
    "*Aws_access_key": "AKIDTEST", "*Aws_secret_key": "secret", "*Aws_session_token": "NIL",
    "*Lambda_task_root": sys.argv[2], "*Lambda_runtime_dir": sys.argv[3], "*Tz": ":UTC", "*Lang": "en_US.UTF-8",
}
for k, v in expected.items():
    assert g[k] == v, (k, g[k], v)
assert g["*Aws_logstream_name"].split("/")[-1].startswith("[$LATEST]"), g["*Aws_logstream_name"]
assert g["*Aws_lambda_runtime_api"].startswith("127.0.0.1:"), g["*Aws_lambda_runtime_api"]
assert sys.argv[3] + "/bin" in g["*Path"].split(":"), g["*Path"]
assert sys.argv[3] + "/lib" in g["*Ld_library_path"].split(":"), g["*Ld_library_path"]
assert lines[0]["pwd"] == sys.argv[2], lines[0]["pwd"]
PY
then ok "the original's globals, *Request_id per event, working directory"; else bad "globals" "rc=$rc $(head -c 600 "$out")"; fi

# moto with signature checking: an IAM user allowed everything, then auth on.
# shellcheck source=Benchmarks/lib.sh
source "$root/Benchmarks/lib.sh"
start_moto "$work" || { bad moto "moto_server did not start"; finish; exit 1; }
cleanups+=("kill $moto_pid 2>/dev/null")
port=${endpoint##*:}
keys=$(moto_user original "*")
moto_check_signatures
read -r key_id secret <<<"$keys"
printf '{"do":"aws","host":"127.0.0.1:%s"}' "$port" >"$work/aws.json"
aws_args=(--region eu-west-1 --timeout 20 --env "AWS_ACCESS_KEY_ID=$key_id" --env "AWS_SECRET_ACCESS_KEY=$secret")

# aws_ok NAME NATIVE: the answer lists eu-west-1's zones (the function's region, not awscurl's us-east-1), signed
# so that moto accepted it, hashed natively (yes) or with the openssl command (no).
aws_ok() {
    [[ $rc -eq 0 ]] && python3 - "$out" "$2" <<'PY'
import json, sys
r = json.load(open(sys.argv[1], encoding="utf-8"))
assert r["native"] == sys.argv[2], r
assert "<zoneName>eu-west-1a</zoneName>" in r["body"], r["body"][:400]
assert "us-east-1" not in r["body"], r["body"][:400]
PY
}

invoke aws-host original.handler "$handlers" "$layer" "$work/aws.json" "${aws_args[@]}"
native=yes
command -v openssl >/dev/null && native=no
if aws_ok aws-host "$native"; then ok "awscurl-start signs for the function's region (moto checks it)"; else
    bad "awscurl-start on this machine" "rc=$rc $(head -c 400 "$out") $(tail -3 "$err")"; fi

# The same call with a wrong secret: moto checks the signature.
invoke aws-wrong original.handler "$handlers" "$layer" "$work/aws.json" "${aws_args[@]/%$secret/wrong}"
if [[ $rc -eq 0 ]] && grep -q 'SignatureDoesNotMatch\|AuthFailure' "$out" && ! grep -q 'eu-west-1a' "$out"; then
    ok "moto refuses a wrong secret (signatures are checked)"
else
    bad "wrong secret" "rc=$rc $(head -c 300 "$out")"
fi

# provided.al2023 has curl but no openssl command and no libcrypto.so, only /lib64/libcrypto.so.3.
crypto=$(ldconfig -p 2>/dev/null | sed -n 's/.*libcrypto\.so\.3 (libc6,x86-64) => //p' | head -1)
loader=$(readlink -f /lib64/ld-linux-x86-64.so.2)
if ! command -v bwrap >/dev/null || ! bwrap --dev-bind / / true 2>/dev/null || [[ -z $crypto || ! -e $loader ]]; then
    echo "e2e-thirdparty: skipped the provided.al2023-shaped runs: bubblewrap, namespaces, an x86_64 libcrypto.so.3" \
        "or the loader is missing here"
    finish
    exit
fi
WRAP=(bwrap --dev-bind / / --tmpfs /usr/lib64 --ro-bind "$loader" /lib64/ld-linux-x86-64.so.2
    --ro-bind "$crypto" /lib64/libcrypto.so.3)
for hidden in $(command -v openssl) "$(dirname "$crypto")/libcrypto.so" /usr/lib/libcrypto.so; do
    [[ -e $hidden ]] && WRAP+=(--ro-bind /dev/null "$hidden")
done
invoke aws-al2023 original.handler "$handlers" "$layer" "$work/aws.json" "${aws_args[@]}"
if aws_ok aws-al2023 yes; then ok "awscurl-start where provided.al2023's facts hold: native hashing via lib/libcrypto.so"
else bad "awscurl-start, provided.al2023-shaped" "rc=$rc $(head -c 400 "$out") $(tail -3 "$err")"; fi

# Without the link the same call fails there, and verify says why.
cp -a "$layer" "$work/nolink"
rm "$work/nolink/lib/libcrypto.so"
invoke aws-nolink original.handler "$handlers" "$work/nolink" "$work/aws.json" "${aws_args[@]}"
if [[ $rc -ne 0 ]] && grep -q 'libcrypto' "$out" "$err"; then ok "without lib/libcrypto.so awscurl fails there"; else
    bad "without lib/libcrypto.so" "rc=$rc $(head -c 300 "$out")"; fi
WRAP=()
"$bin" verify "$work/nolink" --no-live-check >"$work/verify.out" 2>&1
if [[ $? -ne 0 ]] && grep -q 'libcrypto.so' "$work/verify.out" && grep -q 'libawscurl.l' "$work/verify.out"; then
    ok "verify names the missing libcrypto.so"
else
    bad "verify without lib/libcrypto.so" "$(head -c 400 "$work/verify.out")"
fi
"$bin" verify "$layer" --no-live-check >"$work/verify-ok.out" 2>&1
if [[ $? -eq 0 ]]; then ok "verify passes the built layer"; else bad "verify" "$(head -c 400 "$work/verify-ok.out")"; fi
finish
