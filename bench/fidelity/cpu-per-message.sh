#!/bin/bash
# CPU time a node spends per cluster bus message: N masters, no replicas,
# node timeout T ms; over WINDOW_S seconds, the CPU time (user + system,
# /proc/PID/stat) of every node divided by the bus messages it sent and
# received (CLUSTER INFO). An upper bound: cron work is included.
#   bench/fidelity/run-netns bench/fidelity/cpu-per-message.sh N T WINDOW_S OUT.csv
# Appends n,timeout_ms,window_s,messages_per_node_s,cpu_us_per_message.
set -u
here=$(dirname "$0")
. "$here/lib.sh"
n=$1 timeout=$2 window=$3 out=$4
[ "$n" -le 50 ] && [ "$window" -le 300 ] || { echo "at most 50 nodes, 300 s" >&2; exit 2; }
trap fid_kill_nodes EXIT
dir=$(mktemp -d /tmp/fid-cpu.XXXXXX)
fid_start_nodes "$dir" "$n" "$timeout" notice
fid_create_cluster "$n" 0 || { echo "no convergence" >&2; exit 1; }
sleep 10
hz=$(getconf CLK_TCK)
# Sums CPU ticks and bus messages (sent + received) over every node.
sample() {
    local ticks=0 msgs=0
    for k in $(seq 1 "$n"); do
        local t m
        t=$(awk '{print $14 + $15}' "/proc/${FID_PIDS[$k]}/stat")
        m=$(fid_cli "$k" cluster info | tr -d '\r' |
            awk -F: '$1 == "cluster_stats_messages_sent" || $1 == "cluster_stats_messages_received" {s += $2} END {print s}')
        ticks=$((ticks + t)) msgs=$((msgs + m))
    done
    echo "$ticks $msgs"
}
read -r t0 m0 < <(sample)
s0=$(fid_now_ms)
sleep "$window"
read -r t1 m1 < <(sample)
s1=$(fid_now_ms)
[ -s "$out" ] || echo "n,timeout_ms,window_s,messages_per_node_s,cpu_us_per_message" >"$out"
awk -v n="$n" -v t="$timeout" -v dt=$((s1 - s0)) -v dm=$((m1 - m0)) -v dc=$((t1 - t0)) -v hz="$hz" \
    'BEGIN { printf "%d,%d,%.1f,%.1f,%.1f\n", n, t, dt / 1000, dm * 1000 / dt / n, dc / hz * 1e6 / dm }' >>"$out"
rm -rf "$dir"
