#!/bin/bash
# The simulated side of ping-schedule.sh: the same cluster (3 masters, no
# replicas, T = 2 s), M1 stopped at 20 s plus a fraction of a second that
# varies with the seed, one run per seed.
#   bench/fidelity/rcsim-ping-schedule.sh RCSIM SEEDS OUT.csv [UPTIME_S]
# Writes seed,stop_s,first_pfail_s,fail_minus_pfail_s,pfail_spread_s (times
# after the stop; the spread is between the two observers' PFAIL times).
set -u
rcsim=$1 seeds=$2 out=$3 uptime=${4:-20}
[ "$seeds" -le 1000 ] || { echo "at most 1000 seeds" >&2; exit 2; }
work=$(mktemp -d /tmp/fid-rcsim.XXXXXX)
trap 'rm -rf "$work"' EXIT
echo "seed,stop_s,first_pfail_s,fail_minus_pfail_s,pfail_spread_s" >"$out"
for seed in $(seq 1 "$seeds"); do
    frac=$(( (seed * 7919) % 1000 ))
    stop="$uptime.$(printf '%03d' $frac)"
    cat >"$work/ps.scn" <<SCN
cluster masters=3 replicas=0 node-timeout=2000ms
end $((uptime + 10))s
at ${stop}s stop M1
SCN
    "$rcsim" run "$work/ps.scn" --seed "$seed" --out "$work/out" --no-plots --quiet >/dev/null
    awk -v stop="$stop" -v seed="$seed" -F'"t":|,' '
        /"ev":"pfail"/ && /"about":"M1"/ { if (pf == "") pf = $2; else if (pf2 == "") pf2 = $2 }
        /"ev":"fail"/ && /"about":"M1"/ && fl == "" { fl = $2 }
        END { printf "%d,%s,%.3f,%.3f,%s\n", seed, stop, pf - stop, fl - pf,
                    pf2 == "" ? "" : sprintf("%.3f", pf2 - pf) }' \
        "$work/out/events.jsonl" >>"$out"
done
