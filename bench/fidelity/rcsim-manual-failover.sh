#!/bin/bash
# The simulated side of manual-failover.sh: 3 masters + 3 replicas, T = 2 s,
# CLUSTER FAILOVER on R1 at 10 s plus a fraction of a second that varies
# with the seed; one run per seed.
#   bench/fidelity/rcsim-manual-failover.sh RCSIM SEEDS OUT.csv
# Writes seed,won_to_reconfig_ms,request_to_won_ms (as the real script).
set -u
rcsim=$1 seeds=$2 out=$3
[ "$seeds" -le 1000 ] || { echo "at most 1000 seeds" >&2; exit 2; }
work=$(mktemp -d /tmp/fid-rcsim.XXXXXX)
trap 'rm -rf "$work"' EXIT
echo "seed,won_to_reconfig_ms,request_to_won_ms" >"$out"
for seed in $(seq 1 "$seeds"); do
    at="10.$(printf '%03d' $(( (seed * 7919) % 1000 )))"
    printf 'cluster masters=3 replicas=1 node-timeout=2000ms\nend 15s\nat %ss failover R1\n' "$at" >"$work/mf.scn"
    "$rcsim" run "$work/mf.scn" --seed "$seed" --out "$work/out" --no-plots --quiet >/dev/null
    cat "$work/out/logs/"*.log | awk -v seed="$seed" '
        { split($5, hms, ":"); t = hms[1] * 3600 + hms[2] * 60 + hms[3] }
        /Manual failover requested/ && req == "" { req = t }
        /Failover election won/ && won == "" { won = t }
        /Configuration change detected/ && rec == "" { rec = t }
        END { printf "%d,%.0f,%.0f\n", seed, (rec - won) * 1000, (won - req) * 1000 }' >>"$out"
done
