#!/bin/bash
# Heartbeat volume of a healthy cluster: N masters, no replicas, node
# timeout T ms; after the cluster is ok and WARMUP_S more seconds, the
# pings every node sent during WINDOW_S seconds (CLUSTER INFO
# cluster_stats_messages_ping_sent), per node per second.
#   bench/fidelity/run-netns bench/fidelity/ping-volume.sh N T WARMUP_S WINDOW_S OUT.csv [PONGS.csv]
# Appends n,timeout_ms,warmup_s,window_s,pings_per_node_s,pongs_per_node_s.
# PONGS.csv (optional) gets, from one CLUSTER NODES snapshot of every node at
# the end, the millisecond within its second of every peer's pong time:
# n,timeout_ms,observer,ms_in_second (0 marks a time learned from gossip,
# which carries whole seconds).
set -u
here=$(dirname "$0")
. "$here/lib.sh"
n=$1 timeout=$2 warmup=$3 window=$4 out=$5 pongs=${6:-}
[ "$n" -le 120 ] && [ "$warmup" -le 300 ] && [ "$window" -le 300 ] ||
    { echo "at most 120 nodes, 300 s" >&2; exit 2; }
trap fid_kill_nodes EXIT
dir=$(mktemp -d /tmp/fid-volume.XXXXXX)
fid_start_nodes "$dir" "$n" "$timeout" notice
fid_create_cluster "$n" 0 || { echo "no convergence" >&2; exit 1; }
sleep "$warmup"
# Sums one CLUSTER INFO counter over every node.
total() {
    local sum=0
    for k in $(seq 1 "$n"); do
        local v
        v=$(fid_cli "$k" cluster info | tr -d '\r' | awk -F: -v f="$1" '$1 == f {print $2}')
        sum=$((sum + ${v:-0}))
    done
    echo "$sum"
}
ping0=$(total cluster_stats_messages_ping_sent)
pong0=$(total cluster_stats_messages_pong_sent)
t0=$(fid_now_ms)
sleep "$window"
ping1=$(total cluster_stats_messages_ping_sent)
pong1=$(total cluster_stats_messages_pong_sent)
t1=$(fid_now_ms)
[ -s "$out" ] || echo "n,timeout_ms,warmup_s,window_s,pings_per_node_s,pongs_per_node_s" >"$out"
awk -v n="$n" -v t="$timeout" -v w="$warmup" -v pi=$((ping1 - ping0)) -v po=$((pong1 - pong0)) \
    -v dt=$((t1 - t0)) 'BEGIN { printf "%d,%d,%d,%.1f,%.2f,%.2f\n", n, t, w, dt / 1000, pi * 1000 / dt / n, po * 1000 / dt / n }' >>"$out"
if [ -n "$pongs" ]; then
    [ -s "$pongs" ] || echo "n,timeout_ms,observer,ms_in_second" >"$pongs"
    for k in $(seq 1 "$n"); do
        fid_cli "$k" cluster nodes | awk -v n="$n" -v t="$timeout" -v k="$k" \
            '$3 !~ /myself/ && $6 > 0 { printf "%d,%d,%d,%d\n", n, t, k, $6 % 1000 }' >>"$pongs"
    done
fi
rm -rf "$dir"
