#!/usr/bin/env bash
# The release path, tested on this machine: the workflows and action.yml pass actionlint and zizmor; install.sh
# installs a tarball from a local release server and refuses a wrong checksum; the action's script (what a runner
# executes) installs picolayer, packages, publishes and deploys against moto with an OIDC token from a local
# stand-in for GitHub's token endpoint; the static release binary (`make dist`) runs in a bare Debian 12 root.
# Ends with "N passed, M failed"; exits non-zero on any failure.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=Tests/runtime/e2e-lib.sh
source "$here/../runtime/e2e-lib.sh"
# shellcheck source=Benchmarks/lib.sh
source "$root/Benchmarks/lib.sh"
version=$(make -s -C "$root" print-version)
case $(uname -m) in aarch64 | arm64) arch=arm64 ;; *) arch=x86_64 ;; esac

# serve MODE ARG: starts servers.py, sets $port
serve() {
    python3 "$here/servers.py" "$1" "$2" >"$work/server-$1.log" 2>&1 &
    cleanups+=("kill $! 2>/dev/null")
    port=$(port_from_log "$work/server-$1.log" 's/^port \([0-9]*\)$/\1/p' 100)
    [[ -n $port ]] || { bad "server $1" "did not start: $(cat "$work/server-$1.log")"; finish; exit 1; }
}

# 1. The workflows, the action and the function template, with the linters GitHub users run.
mkdir -p "$work/lint/.github/workflows"
cp "$root"/.github/workflows/*.yml "$root"/docs/templates/*.yml "$work/lint/.github/workflows/"
cp "$root/action.yml" "$work/lint/action.yml"
if (cd "$work/lint" && actionlint .github/workflows/*.yml) >"$work/actionlint.log" 2>&1; then
    ok "actionlint: .github/workflows, docs/templates"
else
    bad actionlint "$(head -20 "$work/actionlint.log")"
fi
if (cd "$work/lint" && zizmor --offline --no-progress .github/workflows/*.yml action.yml) >"$work/zizmor.log" 2>&1; then
    ok "zizmor: .github/workflows, docs/templates, action.yml"
else
    bad zizmor "$(grep -v INFO "$work/zizmor.log" | head -20)"
fi

# 2. install.sh from a local release server: a tarball of this build's binary under both names.
DIST_BINARY=$bin DIST_DIR=$work/release "$root/scripts/make-dist.sh" >"$work/dist.log" 2>&1 ||
    { bad "make-dist" "$(tail -5 "$work/dist.log")"; finish; exit 1; }
name=picolayer-$version-linux-$arch
cp "$work/release/$name.tar.gz" "$work/release/picolayer-linux-$arch.tar.gz"
(cd "$work/release" && sha256sum "picolayer-linux-$arch.tar.gz" >"picolayer-linux-$arch.tar.gz.sha256")
tar -tzf "$work/release/$name.tar.gz" >"$work/contents"
if grep -q "^$name/share/man/man1/picolayer.1$" "$work/contents" &&
    grep -q "^$name/share/bash-completion/completions/picolayer$" "$work/contents"; then
    ok "the tarball holds the man page and completions"
else
    bad "tarball contents" "$(head "$work/contents")"
fi
serve files "$work/release"
release_url=http://127.0.0.1:$port
install_with() { # PREFIX VERSION [URL]: runs install.sh under dash (POSIX sh)
    PREFIX=$1 PICOLAYER_VERSION=$2 PICOLAYER_DOWNLOAD_URL=${3:-$release_url} dash "$root/scripts/install.sh" \
        >"$work/install.out" 2>&1
}
if install_with "$work/p1" "$version" && [[ $("$work/p1/bin/picolayer" --version) == "$version" ]] &&
    [[ -f $work/p1/share/man/man1/picolayer.1 ]] && grep -q "picolayer $version is in $work/p1/bin" "$work/install.out"
then
    ok "install.sh installs a version from the release server and says so"
else
    bad "install.sh version" "$(cat "$work/install.out")"
fi
if install_with "$work/p2" latest && [[ -x $work/p2/bin/picolayer ]]; then ok "install.sh installs the latest"; else
    bad "install.sh latest" "$(cat "$work/install.out")"; fi
mkdir -p "$work/tampered"
cp "$work/release/$name.tar.gz.sha256" "$work/tampered/"
{ cat "$work/release/$name.tar.gz"; printf 'x'; } >"$work/tampered/$name.tar.gz"
serve files "$work/tampered"
if ! install_with "$work/p3" "$version" "http://127.0.0.1:$port" && [[ ! -e $work/p3 ]] &&
    grep -q "nothing was installed" "$work/install.out" && grep -q "SHA-256" "$work/install.out"; then
    ok "install.sh refuses a tarball whose checksum differs, installing nothing"
else
    bad "install.sh tampered" "$(cat "$work/install.out")"
fi
rm "$work/tampered/$name.tar.gz.sha256"
if ! install_with "$work/p4" "$version" "http://127.0.0.1:$port" && [[ ! -e $work/p4 ]] &&
    grep -q "refusing" "$work/install.out"; then
    ok "install.sh refuses a tarball without a checksum"
else
    bad "install.sh without checksum" "$(cat "$work/install.out")"
fi

# 3. The action's script end to end: install (then from the cache), package, publish to two regions, deploy,
# with GitHub's OIDC token exchanged for a role on moto (signatures checked).
start_moto "$work" || { bad moto "did not start"; finish; exit 1; }
cleanups+=("kill $moto_pid 2>/dev/null")
python3 - "$endpoint" <<'PY' || bad "moto setup" "boto3 failed"
import json, sys, urllib.request, boto3
iam = boto3.client("iam", endpoint_url=sys.argv[1], region_name="us-east-1",
                   aws_access_key_id="setup", aws_secret_access_key="setup")
trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
         "Principal": {"Federated": "token.actions.githubusercontent.com"}}]}
iam.create_role(RoleName="gha-deploy", AssumeRolePolicyDocument=json.dumps(trust))
iam.put_role_policy(RoleName="gha-deploy", PolicyName="allow", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["lambda:*", "iam:PassRole"],
     "Resource": "*"}]}))
iam.create_role(RoleName="fn", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
PY
# Signature checking on, after one unsigned request: each picolayer run's AssumeRoleWithWebIdentity (which STS
# takes unsigned; moto lets through only what reset-auth counts).
allow_one_unsigned() {
    curl -fsS -X POST -H 'Content-Type: text/plain' --data 1 "$endpoint/moto-api/reset-auth" >/dev/null
}
TOKEN_LOG=$work/token.log serve token request-token
token_url="http://127.0.0.1:$port/token?api-version=2.0"
mkdir -p "$work/repo/fn" "$work/runner-temp" "$work/tool-cache"
"$root/Tests/runtime/stage-layer.sh" "$work/repo/build/layer" >/dev/null
interpreter=$work/repo/build/layer/picoLisp/bin/picolisp
cp --remove-destination "$(readlink -f "$interpreter")" "$interpreter" # a real ELF, whose architecture publish reads
printf '(de handler (Event Headers) "hi")\n' >"$work/repo/fn/main.l"
run_action() { # extra VAR=VALUE ... for the step's environment
    (cd "$work/repo" && env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN -u AWS_PROFILE \
        HOME="$work/home" RUNNER_TOOL_CACHE="$work/tool-cache" RUNNER_TEMP="$work/runner-temp" \
        GITHUB_OUTPUT="$work/output" GITHUB_PATH="$work/path" PICOLAYER_VERSION="$version" \
        PICOLAYER_DOWNLOAD_URL="$release_url" ACTIONS_ID_TOKEN_REQUEST_URL="$token_url" \
        ACTIONS_ID_TOKEN_REQUEST_TOKEN=request-token AWS_ENDPOINT_URL="$endpoint" AWS_EC2_METADATA_DISABLED=true \
        "$@" "$root/scripts/action.sh") >"$work/action.out" 2>&1
}
: >"$work/output"
role=(INPUT_ROLE=arn:aws:iam::123456789012:role/gha-deploy INPUT_REGION=eu-west-1)
# As in docs/templates/deploy.yml: one step publishes, the next deploys with the published layer.
if allow_one_unsigned && run_action "${role[@]}" INPUT_PACKAGE=true INPUT_PUBLISH=true \
    INPUT_REGIONS=us-east-1,eu-west-1 INPUT_LAYER_NAME=picolisp &&
    allow_one_unsigned && run_action "${role[@]}" INPUT_FUNCTION=hello INPUT_CODE=fn INPUT_CREATE=true \
        INPUT_EXECUTION_ROLE=arn:aws:iam::123456789012:role/fn INPUT_LAYER_NAME=picolisp &&
    allow_one_unsigned && python3 - "$work/output" "$endpoint" <<'PY'
import json, sys, boto3
out = dict(line.rstrip("\n").split("=", 1) for line in open(sys.argv[1]) if "=" in line)
arns = json.loads(out["layer-arns"])
assert sorted(arns) == ["eu-west-1", "us-east-1"], arns
assert all(a.startswith("arn:aws:lambda:%s:123456789012:layer:picolisp:" % r) for r, a in arns.items()), arns
assert out["zip"].startswith("picolisp-") and len(out["code-sha256"]) == 44, out
lam = boto3.client("lambda", endpoint_url=sys.argv[2], region_name="eu-west-1", aws_access_key_id="x",
                   aws_secret_access_key="x")
layers = [l["Arn"] for l in lam.get_function(FunctionName="hello")["Configuration"].get("Layers", [])]
assert layers == [arns["eu-west-1"]], (layers, arns)
PY
then
    ok "the action's script: install, package, publish to two regions, deploy, through GitHub's OIDC token"
else
    bad "action script" "$(tail -15 "$work/action.out"; cat "$work/output")"
fi
if grep -q "audience=sts.amazonaws.com" "$work/token.log" 2>/dev/null && grep -q "$work/tool-cache/picolayer/$version/bin" "$work/path"; then
    ok "the token was asked for sts.amazonaws.com; the binary's folder went to GITHUB_PATH"
else
    bad "token request / GITHUB_PATH" "$(cat "$work/token.log" "$work/path" 2>&1 | head -5)"
fi
if run_action INPUT_PACKAGE=true && grep -q "from the cache" "$work/action.out"; then
    ok "a second run takes picolayer from the tool cache"
else
    bad "action cache" "$(tail -5 "$work/action.out")"
fi

# 4. The real release binary (make dist: static Swift runtime, stripped) in a bare Debian 12 minbase root with
# no Swift: --version, package and verify run; ldd names no libswift; it stays under 50 MB.
dist_bare_root() {
    DIST_DIR=$work/real "$root/scripts/make-dist.sh" >"$work/real-dist.log" 2>&1 ||
        { bad "make dist" "$(tail -5 "$work/real-dist.log")"; return; }
    tar -xzf "$work/real/$name.tar.gz" -C "$work/real"
    local binary=$work/real/$name/bin/picolayer size
    size=$(stat -c %s "$binary")
    if ((size <= 50 * 1024 * 1024)); then ok "make dist: bin/picolayer is $size bytes (at most 50 MiB)"; else
        bad "make dist size" "$size bytes"; fi
    if ldd "$binary" >"$work/ldd" 2>&1 && ! grep -qi swift "$work/ldd"; then
        ok "ldd names no Swift library: $(awk '{print $1}' "$work/ldd" | tr '\n' ' ')"
    else
        bad "ldd" "$(cat "$work/ldd")"
    fi
    local cache=$root/.build/test-roots/debian-bookworm-minbase.tar.gz bare=$work/bare
    if [[ ! -s $cache ]]; then
        if [[ $(id -u) != 0 ]] || ! command -v debootstrap >/dev/null; then
            echo "SKIP bare root: needs root and debootstrap to make a Debian 12 minbase root"
            return
        fi
        mkdir -p "$work/debootstrap" "${cache%/*}"
        debootstrap --variant=minbase bookworm "$work/debootstrap" http://deb.debian.org/debian \
            >"$work/debootstrap.log" 2>&1 || { bad debootstrap "$(tail -5 "$work/debootstrap.log")"; return; }
        tar -czf "$cache.partial" -C "$work/debootstrap" . && mv "$cache.partial" "$cache"
        rm -rf "$work/debootstrap"
    fi
    mkdir -p "$bare" && tar -xzf "$cache" -C "$bare" 2>/dev/null
    if [[ -e $bare/opt/swift ]] || compgen -G "$bare/usr/lib/*/libswiftCore*" >/dev/null; then
        bad "bare root" "it has Swift in it"
        return
    fi
    mkdir -p "$bare/work/layer/picoLisp/bin" "$bare/work/layer/lib"
    printf '#!/bin/sh\nexec /opt/picoLisp/bin/picolisp /opt/picoLisp/lib.l @runtime.l\n' >"$bare/work/layer/bootstrap"
    chmod 755 "$bare/work/layer/bootstrap"
    cp /bin/true "$bare/work/layer/picoLisp/bin/picolisp"
    local inside=(bwrap --bind "$bare" / --ro-bind "$binary" /usr/local/bin/picolayer --proc /proc --dev /dev
        --tmpfs /tmp --unshare-all --die-with-parent --clearenv --setenv PATH /usr/local/bin:/usr/bin:/bin
        --setenv HOME /root)
    # The root really has no Swift: the debug build (Swift's libraries linked dynamically) cannot start there.
    if ! bwrap --bind "$bare" / --ro-bind "$bin" /usr/local/bin/picolayer --proc /proc --dev /dev --tmpfs /tmp \
        --unshare-all --die-with-parent --clearenv /usr/local/bin/picolayer --version >"$work/bare.out" 2>&1 &&
        grep -q "libswift" "$work/bare.out"; then
        ok "the bare root has no Swift: a build linked to Swift's libraries does not start there"
    else
        bad "bare root has Swift?" "$(cat "$work/bare.out")"
    fi
    if "${inside[@]}" picolayer --version >"$work/bare.out" 2>&1 && grep -qx "$version" "$work/bare.out"; then
        ok "the release binary prints its version in a bare Debian 12 root"
    else
        bad "bare --version" "$(cat "$work/bare.out")"
    fi
    if "${inside[@]}" picolayer package /work/layer --output /work/layer.zip >"$work/bare.out" 2>&1 &&
        python3 -c 'import sys, zipfile; n = zipfile.ZipFile(sys.argv[1]).namelist(); assert "bootstrap" in n, n' \
            "$bare/work/layer.zip"; then
        ok "package writes a zip that Python's zipfile reads, in the bare root"
    else
        bad "bare package" "$(cat "$work/bare.out")"
    fi
    "${inside[@]}" picolayer verify /work/layer.zip --no-live-check >"$work/bare.out" 2>&1
    local status=$?
    if ((status == 0 || status == 1)) && grep -q "unzipped" "$work/bare.out"; then
        ok "verify checks the zip in the bare root (exit $status, its findings and size table printed)"
    else
        bad "bare verify" "exit $status: $(cat "$work/bare.out")"
    fi
}
dist_bare_root

finish
