#!/usr/bin/env bash
# Every shipped scenario (except the 1000-master scale runs) renders all its
# outputs, pictures included, without error. Usage: RCSIM=path/to/rcsim $0
set -u
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
failed=0
for f in scenarios/teaching/*.scn scenarios/regression/*.scn scenarios/calibration/*.scn; do
    name=$(basename "$f" .scn)
    if ! "$RCSIM" run "$f" --out "$out/$name" --quiet >/dev/null 2>"$out/err"; then
        st=$?
        # Exit 1 is a failed expectation (checked by `rcsim check`); only
        # errors and crashes matter here.
        if [ "$st" -ne 1 ]; then echo "FAIL $f (exit $st)"; cat "$out/err"; failed=1; fi
    fi
    for p in timeline.png slots.png events.jsonl summary.json trace.json; do
        [ -s "$out/$name/$p" ] || { echo "FAIL $f: $p missing"; failed=1; }
    done
done
exit $failed
