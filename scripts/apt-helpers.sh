# Shared by install-test-deps.sh and install-build-deps.sh (source it; bash only).

# missing_packages "probe package" ...: prints, one per line and without repeats, the package of every entry
# whose probe is absent. A probe starting with / is a path that must exist; otherwise a command on PATH.
missing_packages() {
    local entry probe package
    for entry in "$@"; do
        probe=${entry%% *}
        package=${entry#* }
        if [[ $probe == /* ]]; then
            [[ -e $probe ]] || echo "$package"
        else
            command -v "$probe" >/dev/null 2>&1 || echo "$package"
        fi
    done | awk '!seen[$0]++'
}

# apt_install WHO package ...: installs the packages with apt-get, as root directly, else through sudo.
apt_install() {
    local who=$1
    shift
    (($# > 0)) || return 0
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "$who: missing $*; install them with your package manager" >&2
        return 1
    fi
    local sudo_cmd=()
    if [[ $(id -u) -ne 0 ]]; then
        if ! command -v sudo >/dev/null 2>&1; then
            echo "$who: need root or sudo to install: $*" >&2
            return 1
        fi
        sudo_cmd=(sudo)
    fi
    echo "$who: installing $*"
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "$@"
}
