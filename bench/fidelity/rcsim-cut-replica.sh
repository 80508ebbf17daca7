#!/bin/bash
# The simulated side of cut-replica.sh: 3 masters + 3 replicas, T = 2 s,
# validity factor 1; R1 cut from M1 (both ways) for 30 s from a start that
# varies with the seed over 10 s (the phase of the master's 10 s replication
# ping), M1 stopped 15 s into the cut and left stopped; 25 s watched after
# the heal. One run per seed.
#   bench/fidelity/rcsim-cut-replica.sh RCSIM SEEDS OUT.csv
# Writes seed,cut_s,elections_after_heal,first_after_heal_s,promoted.
set -u
rcsim=$1 seeds=$2 out=$3
[ "$seeds" -le 1000 ] || { echo "at most 1000 seeds" >&2; exit 2; }
work=$(mktemp -d /tmp/fid-rcsim.XXXXXX)
trap 'rm -rf "$work"' EXIT
echo "seed,cut_s,elections_after_heal,first_after_heal_s,promoted" >"$out"
for seed in $(seq 1 "$seeds"); do
    ms=$(( 20000 + (seed * 7919) % 10000 ))
    cut=$(awk -v m="$ms" 'BEGIN { printf "%.3f", m / 1000 }')
    stop=$(awk -v m="$ms" 'BEGIN { printf "%.3f", m / 1000 + 15 }')
    heal=$(awk -v m="$ms" 'BEGIN { printf "%.3f", m / 1000 + 30 }')
    cat >"$work/cut.scn" <<SCN
cluster masters=3 replicas=1 node-timeout=2000ms validity-factor=1
end $((ms / 1000 + 55))s
at ${cut}s partition R1 | M1
at ${stop}s stop M1
at ${heal}s heal
SCN
    "$rcsim" run "$work/cut.scn" --seed "$seed" --out "$work/out" --no-plots --quiet >/dev/null
    awk -v heal="$heal" -v seed="$seed" -v cut="$cut" '
        { split($5, hms, ":"); t = hms[1] * 3600 + hms[2] * 60 + hms[3] }
        /Start of election delayed/ && t >= heal { n++; if (first == "") first = sprintf("%.3f", t - heal) }
        /Failover election won/ { won = 1 }
        END { printf "%d,%s,%d,%s,%s\n", seed, cut, n, first, won ? "yes" : "no" }' \
        "$work/out/logs/R1.log" >>"$out"
done
