#!/bin/bash
# Item 1 of the fidelity work: when do the other masters flag a SIGSTOPped
# master PFAIL and FAIL? 3 masters, no replicas, T = 2 s, loglevel debug (the
# nodes log "possibly failing" and "Marking node ... as failing" with ms).
#   bench/fidelity/run-netns bench/fidelity/ping-schedule.sh RUNS UPTIME_S OUT.csv [TRACE.csv]
# Each run: start 3 nodes, create the cluster, wait UPTIME_S seconds plus a
# random 0-1999 ms, SIGSTOP the owner of slot 0 (M1), wait 6 s, read the
# logs, kill everything. Times in the CSV are seconds after the SIGSTOP.
# TRACE.csv (optional) keeps every bus packet each node logged as received
# in the 8 s before the stop and after it: run,receiver,ms,type,sender.
set -u
here=$(dirname "$0")
. "$here/lib.sh"
runs=$1 uptime=$2 out=$3 trace=${4:-}
[ "$runs" -le 50 ] || { echo "at most 50 runs" >&2; exit 2; }
trap fid_kill_nodes EXIT
echo "run,uptime_s,m1,observer,pfail_s,fail_s" >"$out"
[ -n "$trace" ] && echo "run,receiver,ms_after_stop,type,sender" >"$trace"
stamp_re='^[0-9]+:[A-Z] [0-9]{2} [A-Z][a-z]{2} [0-9]{4} '
for run in $(seq 1 "$runs"); do
    dir=$(mktemp -d /tmp/fid-ping.XXXXXX)
    fid_start_nodes "$dir" 3 2000 debug
    fid_create_cluster 3 0 || { echo "run $run: no convergence" >&2; fid_kill_nodes; continue; }
    sleep "$uptime"
    sleep "0.$(printf '%03d' $((RANDOM % 1000)))"
    sleep "0.$(printf '%03d' $((RANDOM % 1000)))"
    m1=$(fid_owner_of_slot0 3)
    declare -A ids=()
    for k in 1 2 3; do ids[$k]=$(fid_id "$k"); done
    t0=$(fid_now_ms)
    kill -STOP "${FID_PIDS[$m1]}"
    sleep 6
    fid_kill_nodes
    for k in 1 2 3; do
        grep -E "$stamp_re" "$dir/n$k/redis.log" | fid_log_ms >"$dir/n$k/ms.log"
    done
    for k in 1 2 3; do
        [ "$k" = "$m1" ] && continue
        pf=$(awk -v id="${ids[$m1]}" -v t0="$t0" \
             '$0 ~ "NODE " id " possibly failing" {printf "%.3f", ($1 - t0) / 1000; exit}' "$dir/n$k/ms.log")
        fl=$(awk -v id="${ids[$m1]}" -v t0="$t0" \
             '$0 ~ "Marking node " id " as failing" {printf "%.3f", ($1 - t0) / 1000; exit}' "$dir/n$k/ms.log")
        echo "$run,$uptime,$m1,$k,$pf,$fl" >>"$out"
    done
    if [ -n "$trace" ]; then
        for k in 1 2 3; do
            awk -v t0="$t0" -v run="$run" -v me="$k" -v i1="${ids[1]}" -v i2="${ids[2]}" -v i3="${ids[3]}" '
                / packet received: / && $1 >= t0 - 8000 {
                    s = $NF; n = (s == i1) ? 1 : (s == i2) ? 2 : (s == i3) ? 3 : 0
                    printf "%s,%d,%d,%s,%d\n", run, me, $1 - t0, $3, n
                }' "$dir/n$k/ms.log" >>"$trace"
        done
    fi
    rm -rf "$dir"
done
