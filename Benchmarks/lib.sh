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
