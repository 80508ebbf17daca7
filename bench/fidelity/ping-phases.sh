#!/bin/bash
# When in the second does each node ping each peer, and does that drift?
# 3 masters, no replicas, T = 2 s, loglevel debug; no fault.
#   bench/fidelity/run-netns bench/fidelity/ping-phases.sh SECONDS OUT.csv
# Writes every PING a node logged as received: s_after_ok,ms_in_second,sender,receiver.
set -u
here=$(dirname "$0")
. "$here/lib.sh"
secs=$1 out=$2
[ "$secs" -le 600 ] || { echo "at most 600 s" >&2; exit 2; }
trap fid_kill_nodes EXIT
dir=$(mktemp -d /tmp/fid-phase.XXXXXX)
fid_start_nodes "$dir" 3 2000 debug
fid_create_cluster 3 0 || exit 1
t0=$(fid_now_ms)
sleep "$secs"
fid_kill_nodes
declare -A num=()
for k in 1 2 3; do num[$(awk '/myself/ {print $1}' "$dir/n$k/nodes.conf")]=$k; done
echo "s_after_ok,ms_in_second,sender,receiver" >"$out"
stamp_re='^[0-9]+:[A-Z] [0-9]{2} [A-Z][a-z]{2} [0-9]{4} '
for k in 1 2 3; do
    grep -E "$stamp_re" "$dir/n$k/redis.log" | grep 'ping packet received' | fid_log_ms |
        while read -r ms _ _ _ _ sender; do
            echo "$(( (ms - t0) / 1000 )),$((ms % 1000)),${num[$sender]:-0},$k"
        done >>"$out"
done
rm -rf "$dir"
