#!/bin/bash
# The real side of the kill measurement (docs/fidelity-notes.md §4): 3
# masters + 3 replicas, node timeout T, M1 SIGKILLed at 10.37 s, RUNS runs
# of `rcsim real` (each in its own network namespace; the kill's phase
# against the nodes' ping schedules differs from run to run).
#   bench/fidelity/real-kill.sh RCSIM RUNS T_MS OUTDIR OUT.csv
# Writes run,kill_s,kill_phase,first_pfail_s,first_fail_s,promotion_s (times
# after the kill) and keeps the runs' outputs in OUTDIR/run-N. (The T = 2 s
# set, real-kill-T2000.csv, was made with `rcsim real
# bench/fidelity/kill-master.scn --runs 12` and kill-times.sh on each run:
# the same cluster and kill, with the file's expectations judged too.)
set -u
rcsim=$1 runs=$2 timeout=$3 outdir=$4 out=$5
here=$(dirname "$0")
[ "$runs" -le 100 ] || { echo "at most 100 runs" >&2; exit 2; }
mkdir -p "$outdir"
scn="$outdir/kill-master-T$timeout.scn"
sed "s/node-timeout=2000ms/node-timeout=${timeout}ms/; s/T = 2 s;/T = ${timeout} ms;/
     s/^end 22s/end $((12 + timeout * 3 / 1000))s/" \
    "$here/kill-master.scn" | grep -v '^always\|^expect' >"$scn"
"$rcsim" real "$scn" --runs "$runs" --no-plots --out "$outdir" >"$outdir/real.log" 2>&1
echo "run,kill_s,kill_phase,first_pfail_s,first_fail_s,promotion_s" >"$out"
for k in $(seq 1 "$runs"); do
    [ -f "$outdir/run-$k/events.jsonl" ] || continue
    echo "$k,$("$here/kill-times.sh" "$outdir/run-$k")" >>"$out"
done
