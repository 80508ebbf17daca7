#!/bin/bash
# Prints one CSV row of times after the SIGKILL of M1 from a run's output
# directory (rcsim run or rcsim real): kill_s,kill_phase,first_pfail_s,
# first_fail_s,promotion_s. kill_phase is the kill's position within the
# Unix second, the phase that matters for the pong times nodes learn from
# gossip (whole seconds): for a simulated run the kill time's fraction (its
# clock starts on a second boundary), for a real run it is derived from the
# "Marking node ... as failing" line of the first node that reached the
# quorum and the time of its fail event.
#   bench/fidelity/kill-times.sh DIR
set -u
dir=$1
ev="$dir/events.jsonl"
row=$(awk -F'"t":|,' '
    /"ev":"fault"/ && /"action":"kill"/ && kill == "" { kill = $2 }
    /"ev":"pfail"/ && /"about":"M1"/ && pf == "" { pf = $2 }
    /"ev":"fail"/ && /"about":"M1"/ && fl == "" { fl = $2 }
    /"ev":"fail"/ && /"about":"M1"/ && /"via":"quorum"/ && fnode == "" {
        fq = $2; if (match($0, /"node":"[^"]*"/)) fnode = substr($0, RSTART + 8, RLENGTH - 9) }
    /"ev":"promoted"/ && pr == "" { pr = $2 }
    END { printf "%s,%s,%s,%s,%s,%s\n", kill, pf, fl, pr, fq, fnode }' "$ev")
IFS=, read -r kill pf fl pr fq fnode <<<"$row"
phase=$(awk -v k="$kill" 'BEGIN { printf "%.3f", k - int(k) }')
wall=""
if [ -n "$fnode" ] && [ -f "$dir/logs/$fnode.log" ]; then
    wall=$(grep -m1 'Marking node .* as failing' "$dir/logs/$fnode.log" |
        awk '{ split($5, t, ":"); print t[1] * 3600 + t[2] * 60 + t[3] }')
fi
if [ -n "$wall" ]; then
    phase=$(awk -v w="$wall" -v f="$fq" -v k="$kill" 'BEGIN { x = w - f + k; printf "%.3f", x - int(x) }')
fi
awk -v k="$kill" -v ph="$phase" -v pf="$pf" -v fl="$fl" -v pr="$pr" 'BEGIN {
    printf "%.3f,%s,%s,%s,%s\n", k, ph,
        pf == "" ? "" : sprintf("%.3f", pf - k), fl == "" ? "" : sprintf("%.3f", fl - k),
        pr == "" ? "" : sprintf("%.3f", pr - k) }'
