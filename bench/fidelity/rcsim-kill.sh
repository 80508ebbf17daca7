#!/bin/bash
# The simulated side of real-kill.sh: the same cluster (3 masters + 3
# replicas, node timeout T), M1 killed at 10 s plus a fraction of a second
# that varies with the seed (real kills fall at any point of the second,
# and the pong times nodes learn from gossip are whole seconds), one run per
# seed.
#   bench/fidelity/rcsim-kill.sh RCSIM SEEDS OUT.csv [T_MS]
# Writes seed,kill_s,kill_phase,first_pfail_s,first_fail_s,promotion_s.
set -u
rcsim=$1 seeds=$2 out=$3 timeout=${4:-2000}
here=$(dirname "$0")
[ "$seeds" -le 1000 ] || { echo "at most 1000 seeds" >&2; exit 2; }
work=$(mktemp -d /tmp/fid-kill.XXXXXX)
trap 'rm -rf "$work"' EXIT
echo "seed,kill_s,kill_phase,first_pfail_s,first_fail_s,promotion_s" >"$out"
for seed in $(seq 1 "$seeds"); do
    kill="10.$(printf '%03d' $(( (seed * 7919) % 1000 )))"
    cat >"$work/k.scn" <<SCN
cluster masters=3 replicas=1 node-timeout=${timeout}ms
end $((12 + timeout * 3 / 1000))s
at ${kill}s kill M1
SCN
    "$rcsim" run "$work/k.scn" --seed "$seed" --out "$work/out" --no-plots --quiet >/dev/null
    echo "$seed,$("$here/kill-times.sh" "$work/out")" >>"$out"
done
