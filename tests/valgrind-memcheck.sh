#!/usr/bin/env bash
# Valgrind memcheck over a 60-node run with a master killed and restarted
# (tests/data/valgrind-60-nodes.scn: failure detection, election, promotion,
# rejoin, writers), writing every output, pictures included; then `rcsim
# check` of the same file with two seeds on two threads. Any invalid read or
# write, use of uninitialised memory, bad free or definite leak fails the
# test. Exit status 77 (skipped, for meson) when valgrind is not installed.
# Usage: RCSIM=path/to/release/rcsim $0 (from the source root).
set -u
if ! command -v valgrind >/dev/null; then
    echo "valgrind is not installed (apt-get install valgrind): skipped"
    exit 77
fi
scn=tests/data/valgrind-60-nodes.scn
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
vg=(valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite
    --suppressions=tests/valgrind.supp --num-callers=30)
# GLib: plain malloc for every allocation, pointers cleared when freed.
export G_SLICE=always-malloc G_DEBUG=gc-friendly
unset RCSIM_MEMORY_LIMIT
failed=0

# Runs "$@" under valgrind with its report in $out/$1.log; prints the report
# and marks the test failed when valgrind or the run reports an error.
check() {
    local name=$1; shift
    if ! "${vg[@]}" --log-file="$out/$name.log" "$@" >"$out/$name.out" 2>&1; then
        echo "FAIL $name: $*"
        cat "$out/$name.out" "$out/$name.log"
        failed=1
    else
        grep -h "ERROR SUMMARY" "$out/$name.log" | sed "s/^==[0-9]*==/$name:/"
    fi
}

check run "$RCSIM" run "$scn" --out "$out/run" --format png,svg --quiet
for f in events.jsonl summary.json writes.csv trace.json timeline.png slots.png \
         timeline.svg slots.svg logs/M1.log; do
    [ -s "$out/run/$f" ] || { echo "FAIL run: $f missing"; failed=1; }
done
ls "$out"/run/snapshots/*-M1.txt >/dev/null 2>&1 || { echo "FAIL run: no snapshot"; failed=1; }
check check "$RCSIM" check "$scn" --seeds 2 --jobs 2
exit $failed
