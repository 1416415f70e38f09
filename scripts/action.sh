#!/usr/bin/env bash
# The logic of action.yml, run by GitHub's runner and by the tests (Tests/dist/action-test.sh) alike.
# Inputs come as INPUT_* variables (see action.yml); results go to $GITHUB_OUTPUT, the binary's folder to
# $GITHUB_PATH. The binary is installed with scripts/install.sh into $RUNNER_TOOL_CACHE/picolayer/VERSION
# (cached by the action) unless that folder already holds it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
say() { printf 'picolayer action: %s\n' "$*" >&2; }
yes() { [[ ${1:-false} == true ]]; }

version=${PICOLAYER_VERSION:?set by action.yml}
prefix=${RUNNER_TOOL_CACHE:?set by the runner}/picolayer/$version
if [[ -x $prefix/bin/picolayer && $("$prefix/bin/picolayer" --version 2>/dev/null) == "$version" ]]; then
    say "picolayer $version from the cache ($prefix)"
else
    PREFIX=$prefix PICOLAYER_VERSION=$version sh "$here/install.sh"
fi
echo "$prefix/bin" >>"${GITHUB_PATH:-/dev/null}"
picolayer=$prefix/bin/picolayer
output() { echo "$1=$2" >>"${GITHUB_OUTPUT:-/dev/null}"; }

[[ -n ${INPUT_REGION:-} ]] && export AWS_REGION=$INPUT_REGION
# GitHub's OIDC token is exchanged by picolayer itself for this role (ACTIONS_ID_TOKEN_REQUEST_* are set by
# GitHub in jobs with id-token: write).
[[ -n ${INPUT_ROLE:-} ]] && export AWS_ROLE_ARN=$INPUT_ROLE

arch=$(uname -m)
case $arch in aarch64 | arm64) arch=arm64 ;; *) arch=x86_64 ;; esac
if yes "${INPUT_BUILD:-}"; then
    read -r -a extra <<<"${INPUT_BUILD_ARGS:-}"
    "$picolayer" build --engine none --arch "$arch" --output "build/layer-$arch" "${extra[@]}"
fi
zip=${INPUT_ZIP:-}
if yes "${INPUT_PACKAGE:-}"; then
    zip=picolisp-$arch.zip
    layer=build/layer-$arch
    [[ -d $layer ]] || layer=build/layer
    "$picolayer" package "$layer" -o "$zip" --json >"$RUNNER_TEMP/picolayer-package.json"
    output code-sha256 "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["codeSha256"])' \
        "$RUNNER_TEMP/picolayer-package.json")"
fi
[[ -n $zip ]] && output zip "$zip"

if yes "${INPUT_PUBLISH:-}"; then
    [[ -n $zip ]] || { say "publish: no zip; set package: true or zip"; exit 1; }
    regions=${INPUT_REGIONS:-${AWS_REGION:-}}
    [[ -n $regions ]] || { say "publish: no region; set regions or region"; exit 1; }
    args=(--layer-name "${INPUT_LAYER_NAME:-picolisp}" --regions "$regions" --json)
    yes "${INPUT_PUBLIC:-}" && args+=(--public)
    "$picolayer" publish "$zip" "${args[@]}" >"$RUNNER_TEMP/picolayer-publish.json"
    arns=$(python3 -c '
import json, sys
report = json.load(open(sys.argv[1]))
print(json.dumps({r: v["layerVersionArn"] for r, v in sorted(report["regions"].items())}, separators=(",", ":")))
' "$RUNNER_TEMP/picolayer-publish.json")
    output layer-arns "$arns"
    say "published: $arns"
fi

if [[ -n ${INPUT_FUNCTION:-} ]]; then
    args=(--function "$INPUT_FUNCTION" --code "${INPUT_CODE:-.}" --handler "${INPUT_HANDLER:-main.handler}"
        --with-published-layer --layer-name "${INPUT_LAYER_NAME:-picolisp}" --arch "$arch")
    if yes "${INPUT_CREATE:-}"; then args+=(--create --role "${INPUT_EXECUTION_ROLE:?create needs execution-role}"); fi
    "$picolayer" deploy "${args[@]}"
fi
