#!/bin/bash
# Item 3 of the fidelity work: how long after the new master announces
# itself does the old master reconfigure, after CLUSTER FAILOVER?
# 3 masters + 3 replicas, T = 2 s, loglevel notice (both lines are warnings,
# with ms timestamps).
#   bench/fidelity/run-netns bench/fidelity/manual-failover.sh RUNS OUT.csv
# Writes run,won_to_reconfig_ms,request_to_won_ms: from R1's "Failover
# election won" to M1's "Configuration change detected", and from M1's
# "Manual failover requested by replica" to R1's win.
set -u
here=$(dirname "$0")
. "$here/lib.sh"
runs=$1 out=$2
[ "$runs" -le 50 ] || { echo "at most 50 runs" >&2; exit 2; }
trap fid_kill_nodes EXIT
echo "run,won_to_reconfig_ms,request_to_won_ms" >"$out"
stamp_re='^[0-9]+:[A-Z] [0-9]{2} [A-Z][a-z]{2} [0-9]{4} '
for run in $(seq 1 "$runs"); do
    dir=$(mktemp -d /tmp/fid-mf.XXXXXX)
    fid_start_nodes "$dir" 6 2000 notice
    fid_create_cluster 6 1 || { echo "run $run: no convergence" >&2; fid_kill_nodes; continue; }
    sleep 3
    m1=$(fid_owner_of_slot0 6)
    m1id=$(fid_id "$m1")
    r1=""
    for k in $(seq 1 6); do
        fid_cli "$k" cluster nodes | grep -q "myself,slave $m1id" && r1=$k
    done
    fid_cli "$r1" cluster failover >/dev/null
    sleep 3
    fid_kill_nodes
    won=$(grep -E "$stamp_re" "$dir/n$r1/redis.log" | grep 'Failover election won' | fid_log_ms | awk '{print $1; exit}')
    req=$(grep -E "$stamp_re" "$dir/n$m1/redis.log" | grep 'Manual failover requested by replica' | fid_log_ms | awk '{print $1; exit}')
    rec=$(grep -E "$stamp_re" "$dir/n$m1/redis.log" | grep 'Configuration change detected' | fid_log_ms | awk '{print $1; exit}')
    if [ -n "$won" ] && [ -n "$rec" ] && [ -n "$req" ]; then
        echo "$run,$((rec - won)),$((won - req))" >>"$out"
    else
        echo "run $run: missing log lines" >&2
    fi
    rm -rf "$dir"
done
