#!/bin/bash
# Item 2 of the fidelity work: a replica cut from its master (iptables DROP
# both ways, cluster bus and replication) for 30 s, the master SIGSTOPped
# 15 s into the cut and left stopped; validity factor 1, T = 2 s. Does the
# replica schedule an election after the heal?
#   bench/fidelity/run-netns bench/fidelity/cut-replica.sh RUNS OUT.csv
# Writes run,elections_before_heal,elections_after_heal,first_after_heal_s,
# promoted,cant_failover_lines (times after the heal; the run watches 25 s
# after it).
set -u
here=$(dirname "$0")
. "$here/lib.sh"
runs=$1 out=$2
[ "$runs" -le 30 ] || { echo "at most 30 runs" >&2; exit 2; }
cleanup() { iptables -F OUTPUT 2>/dev/null; fid_kill_nodes; }
trap cleanup EXIT
echo "run,elections_before_heal,elections_after_heal,first_after_heal_s,promoted,cant_failover_lines" >"$out"
stamp_re='^[0-9]+:[A-Z] [0-9]{2} [A-Z][a-z]{2} [0-9]{4} '
for run in $(seq 1 "$runs"); do
    dir=$(mktemp -d /tmp/fid-cut.XXXXXX)
    fid_start_nodes "$dir" 6 2000 verbose --cluster-replica-validity-factor 1
    fid_create_cluster 6 1 || { echo "run $run: no convergence" >&2; fid_kill_nodes; continue; }
    sleep 3
    m1=$(fid_owner_of_slot0 6)
    m1id=$(fid_id "$m1")
    r1=""
    for k in $(seq 1 6); do
        fid_cli "$k" cluster nodes | grep -q "myself,slave $m1id" && r1=$k
    done
    a=$(fid_addr "$m1") b=$(fid_addr "$r1")
    iptables -A OUTPUT -s "$a" -d "$b" -j DROP
    iptables -A OUTPUT -s "$b" -d "$a" -j DROP
    sleep 15
    kill -STOP "${FID_PIDS[$m1]}"
    sleep 15
    iptables -F OUTPUT
    heal=$(fid_now_ms)
    sleep 25
    fid_kill_nodes
    grep -E "$stamp_re" "$dir/n$r1/redis.log" | fid_log_ms >"$dir/r1.log"
    awk -v heal="$heal" -v run="$run" '
        /Start of election delayed/ { if ($1 < heal) before++; else { after++; if (first == "") first = ($1 - heal) / 1000 } }
        /Failover election won/ { won = 1 }
        /Currently unable to failover/ { cant++ }
        END { printf "%d,%d,%d,%s,%s,%d\n", run, before, after, first, won ? "yes" : "no", cant }' \
        "$dir/r1.log" >>"$out"
    rm -rf "$dir"
done
