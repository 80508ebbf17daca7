#!/bin/bash
# Shared helpers for the real-Redis fidelity measurements. Every script that
# sources this file must run inside its own network namespace (see run-netns)
# so the nodes' loopback addresses and iptables rules touch nothing else.
# Node k (1-based) listens on 127.0.0.(10+k):6379, bus port 16379.

FID_PORT=6379
FID_PIDS=()

# Returns the address of node k.
fid_addr() { echo "127.0.0.$((10 + $1))"; }

# Runs redis-cli against node k with the remaining arguments.
fid_cli() { local k=$1; shift; redis-cli -h "$(fid_addr "$k")" -p $FID_PORT "$@"; }

# Starts n redis-server processes in directory $1 with node timeout $3 ms and
# log level $4; extra config lines may follow. Records the pids in FID_PIDS.
fid_start_nodes() {
    local dir=$1 n=$2 timeout=$3 level=$4; shift 4
    ip link set lo up
    for k in $(seq 1 "$n"); do
        mkdir -p "$dir/n$k"
        redis-server --bind "$(fid_addr "$k")" --bind-source-addr "$(fid_addr "$k")" --port $FID_PORT --protected-mode no \
            --cluster-enabled yes --cluster-config-file "$dir/n$k/nodes.conf" \
            --cluster-node-timeout "$timeout" --dir "$dir/n$k" --save "" --appendonly no \
            --loglevel "$level" --logfile "$dir/n$k/redis.log" --daemonize no "$@" &
        FID_PIDS[$k]=$!
    done
    for k in $(seq 1 "$n"); do
        for _ in $(seq 1 100); do
            fid_cli "$k" ping >/dev/null 2>&1 && break
            sleep 0.05
        done
    done
}

# Creates the cluster over nodes 1..n with r replicas per master, as an
# operator would, and waits (at most 30 s) until every node reports ok.
fid_create_cluster() {
    local n=$1 r=$2 hosts=()
    for k in $(seq 1 "$n"); do hosts+=("$(fid_addr "$k"):$FID_PORT"); done
    redis-cli --cluster create "${hosts[@]}" --cluster-replicas "$r" --cluster-yes >/dev/null
    fid_wait_ok "$n" 300
}

# Waits until all n nodes report cluster_state:ok and know n nodes, polling
# every 100 ms at most `tries` times. Returns 1 on timeout.
fid_wait_ok() {
    local n=$1 tries=$2
    for _ in $(seq 1 "$tries"); do
        local good=0
        for k in $(seq 1 "$n"); do
            local info
            info=$(fid_cli "$k" cluster info 2>/dev/null | tr -d '\r')
            if grep -q '^cluster_state:ok' <<<"$info" &&
               grep -q "^cluster_known_nodes:$n\$" <<<"$info"; then
                good=$((good + 1))
            fi
        done
        [ "$good" -eq "$n" ] && return 0
        sleep 0.1
    done
    return 1
}

# The node number (1..n) that owns slot 0: M1 in the project's labels.
fid_owner_of_slot0() {
    local n=$1 id
    id=$(fid_cli 1 cluster nodes | awk '$3 ~ /master/ && $9 ~ /^0-/ {print $1}')
    for k in $(seq 1 "$n"); do
        [ "$(fid_cli "$k" cluster myid)" = "$id" ] && { echo "$k"; return; }
    done
}

# The node ID of node k.
fid_id() { fid_cli "$1" cluster myid; }

# Wall clock in milliseconds since the epoch.
fid_now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# Converts Redis log lines on stdin ("pid:R 04 Dec 2026 04:10:11.123 * msg")
# to "epoch_ms msg" lines, with one call of date for the whole batch.
fid_log_ms() {
    local tmp
    tmp=$(mktemp)
    cat >"$tmp"
    paste -d' ' <(cut -d' ' -f2-5 "$tmp" | TZ=UTC date -f - +%s%3N) <(cut -d' ' -f6- "$tmp")
    rm -f "$tmp"
}

# Kills every node this script started (SIGCONT first so stopped ones die).
fid_kill_nodes() {
    for pid in "${FID_PIDS[@]}"; do
        kill -CONT "$pid" 2>/dev/null
        kill -KILL "$pid" 2>/dev/null
    done
    wait 2>/dev/null
}
