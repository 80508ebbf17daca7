#!/bin/bash
# Makes the measured part of docs/fidelity.md: real runs of every scenario the
# page lists (kept outside the repository), then `rcsim compare` of each
# against the simulator, assembled as markdown.
#
#   bench/fidelity/fidelity-tables.sh real   [NAME...]   # the real runs (root, wall clock)
#   bench/fidelity/fidelity-tables.sh tables [NAME...]   # the tables from the kept runs
#
# Environment: RCSIM (default build/rcsim), DATA (default /work/realdata),
# SEEDS (simulated seeds per scenario, default 20; 10 for the heartbeat),
# OUT (the markdown, default $DATA/fidelity-tables.md).
#
# The real phase runs each scenario R times, one run after the other, into
# $DATA/<scenario>/run-k (seed k), and skips runs already made or tried
# (delete run-k.load to try again), so it can be interrupted and resumed. Each run's load average (before and after, from
# /proc/loadavg) goes into run-k.load beside it. The table phase needs no
# root and no server: it reads the kept runs only, so the simulator's columns
# can be remade with a newer simulator without rerunning Redis.
set -u
cd "$(dirname "$0")/../.." || exit 2
RCSIM=${RCSIM:-build/rcsim}
DATA=${DATA:-/work/realdata}
SEEDS=${SEEDS:-20}
OUT=${OUT:-$DATA/fidelity-tables.md}

# name and runs, in the order they are run: calibration first (5 runs), then
# the teaching scenarios and the regression scenarios that fit (3 runs), then
# the other teaching scenarios and a start=create one, once each.
SCENARIOS="
calibration/A-sigstop-master 5
calibration/C-even-partition 5
teaching/crash-one-master 3
teaching/crash-two-of-three-masters 3
teaching/manual-failover 3
teaching/manual-failover-force 3
teaching/manual-failover-takeover 3
teaching/heal-does-not-cancel-failover 3
teaching/build-a-cluster 3
teaching/replica-migration 3
teaching/split-3-masters 3
teaching/split-4-masters 3
teaching/split-5-masters 3
teaching/split-6-masters 3
teaching/split-7-masters 3
regression/cluster-tcl-sigstop 3
regression/01-faildet 3
regression/02-failover 3
regression/08-update-msg 3
regression/10-manual-failover 3
teaching/double-failure-within-2t 1
teaching/empty-primary-replica 1
teaching/replica-of-a-replaced-master 1
teaching/stale-replica-validity 1
teaching/post-heal-fail-storm 1
teaching/forget-needs-everyone 1
regression/02-failover-triggers 1
"
# Heartbeat volume: N nodes (N/2 masters with a replica each), node timeout
# T in seconds, a healthy cluster for 30 s; one real run each (the table reads
# the first run that was made: a failed attempt can be followed by a run-2).
HEARTBEAT="6:2 20:2 50:2 100:2 6:15 20:15 50:15 100:15"

# The 1-minute load average now.
load_now() { cut -d' ' -f1 /proc/loadavg; }

# Writes the heartbeat scenario of N nodes and T seconds; prints its path.
heartbeat_file() {
    local n=$1 t=$2 f=$DATA/heartbeat/N$1-T$2.scn
    mkdir -p "$DATA/heartbeat"
    printf '# Heartbeat volume: %d nodes, T = %d s, no fault.\ncluster masters=%d replicas=1 node-timeout=%dms\nend 30s\n' \
        "$n" "$t" $((n / 2)) $((t * 1000)) >"$f"
    echo "$f"
}

# Real runs 1..R of FILE into DIR (those already there are kept).
real_runs() {
    local file=$1 dir=$2 runs=$3 k
    mkdir -p "$dir"
    for ((k = 1; k <= runs; k++)); do
        # A run that was made, or tried and failed (its .load says how), is kept.
        [ -f "$dir/run-$k/summary.json" ] || [ -f "$dir/run-$k.load" ] && continue
        local before=$(load_now)
        echo "$(date -u +%T) $file run $k (load $before)"
        "$RCSIM" real "$file" --seed "$k" --out "$dir/run-$k" --no-plots >"$dir/run-$k.txt" 2>&1
        echo "status $? load $before $(load_now)" >"$dir/run-$k.load"
        tail -n 1 "$dir/run-$k.load"
    done
}

# Whether NAME was asked for (all when no name was given).
wanted() {
    local name=$1; shift
    [ $# -eq 0 ] && return 0
    local w
    for w in "$@"; do [ "$w" = "$name" ] && return 0; done
    return 1
}

phase_real() {
    local name runs
    while read -r name runs; do
        [ -n "$name" ] && wanted "$name" "$@" &&
            real_runs "scenarios/$name.scn" "$DATA/$name" "$runs"
    done <<<"$SCENARIOS"
    local nt
    for nt in $HEARTBEAT; do
        wanted "heartbeat" "$@" || continue
        real_runs "$(heartbeat_file "${nt%:*}" "${nt#*:}")" "$DATA/heartbeat/N${nt%:*}-T${nt#*:}" 1
    done
}

# A header field of a run's events.jsonl.
header_field() { head -n 1 "$1/events.jsonl" | grep -o "\"$2\":[0-9.]*" | cut -d: -f2; }

# "min–max" of numbers on stdin, with printf format FMT.
range() { sort -g | awk -v f="$1" 'NR == 1 { lo = $1 } { hi = $1 } END {
    if (NR == 0) print "—"; else if (sprintf(f, lo) == sprintf(f, hi)) printf f "\n", lo;
    else printf f "–" f "\n", lo, hi }'; }

# The completed runs of DIR.
runs_of() { local d; for d in "$1"/run-*/; do [ -f "$d/summary.json" ] && echo "${d%/}"; done; }

# One line on the conditions of the runs in DIR: load, poll intervals.
conditions() {
    local dirs=$(runs_of "$1")
    local loads=$(for d in $dirs; do cut -d' ' -f4,5 "$d.load" | tr ' ' '\n'; done | range '%.1f')
    local mean=$(for d in $dirs; do header_field "$d" poll_interval_ms; done | range '%.0f')
    local longest=$(for d in $dirs; do header_field "$d" poll_max_ms; done | range '%.0f')
    echo "load average $loads; polls every $mean ms on average, longest gap $longest ms"
}

# What the scenario does (its statements without expectations, comments or
# blank lines); the expectations are the file's own business.
statements() {
    sed -e 's/[[:space:]]*#.*$//' "$1" | awk '
        /^[[:space:]]*$/ && stmt == "" { next }
        { stmt = stmt $0 }
        /\\$/ { stmt = stmt "\n"; next }
        stmt !~ /^[[:space:]]*(expect|always|never)[[:space:]]/ { print stmt }
        { stmt = "" }'
}

# One scenario's section; appends its overview row to $OVERVIEW.
section() {
    local name=$1 file=scenarios/$1.scn dir=$DATA/$1 cmp=$TMP/$1
    local dirs=$(runs_of "$dir")
    if [ -z "$dirs" ]; then
        echo "warning: no real run of $name in $dir" >&2
        return
    fi
    mkdir -p "$cmp"
    # shellcheck disable=SC2086
    "$RCSIM" compare "$file" --seeds "$SEEDS" --real $dirs --out "$cmp" >/dev/null 2>"$cmp.err"
    if [ ! -f "$cmp/compare.md" ]; then
        echo "warning: rcsim compare failed for $name: $(head -n 1 "$cmp.err")" >&2
        return
    fi
    local agree=$(grep -o '^[0-9]* of [0-9]* rows agree' "$cmp/compare.md")
    local apart=$(grep '| MISMATCH' "$cmp/compare.md" | cut -d'|' -f2 | sed 's/^ //;s/ *$//' |
        paste -sd';' | sed 's/;/; /g')
    echo "| $name | ${agree% rows agree} | ${apart:-—} |" >>"$OVERVIEW"
    {
        echo "### $name"
        echo
        echo '```'
        statements "$file"
        echo '```'
        echo
        echo "Real runs: $(conditions "$dir")."
        echo
        sed -n '3,$p' "$cmp/compare.md"
        echo
    } >>"$SECTIONS"
}

# The heartbeat table: one row per N and T.
heartbeat_table() {
    echo "| N | T | sim msgs/s per node (min / median / max) | real msgs/s per node | real / sim median | real poll interval (mean, longest) | load average |"
    echo "|---|---|---|---|---|---|---|"
    local nt
    for nt in $HEARTBEAT; do
        local n=${nt%:*} t=${nt#*:} dir=$DATA/heartbeat/N${nt%:*}-T${nt#*:}
        # The first run that was made; a case no run of which was made says why.
        local run=$(runs_of "$dir" | head -n 1) cmp=$TMP/heartbeat-N$n-T$t
        if [ -z "$run" ]; then
            echo "| $n | $t s | — | not measured: $(grep -m1 -v '^$' "$dir/run-1.txt" 2>/dev/null | cut -c1-120) | — | — | $(cut -d' ' -f4 "$dir/run-1.load" 2>/dev/null) |"
            continue
        fi
        mkdir -p "$cmp"
        "$RCSIM" compare "$dir.scn" --seeds "${HEARTBEAT_SEEDS:-10}" --real "$run" --out "$cmp" \
            >/dev/null 2>&1
        local row=$(grep '^| messages per node per second' "$cmp/compare.md")
        local sim=$(echo "$row" | cut -d'|' -f3 | sed 's/^ //;s/ *$//')
        local real=$(echo "$row" | cut -d'|' -f5 | awk -F' / ' '{ print $2 }')
        local med=$(echo "$sim" | awk -F' / ' '{ print $2 }')
        local ratio=$(awk -v r="$real" -v s="$med" 'BEGIN { if (s > 0) printf "%.2f", r / s }')
        printf '| %d | %d s | %s | %s | %s | %.0f ms, %.0f ms | %s |\n' "$n" "$t" "$sim" "$real" \
            "$ratio" "$(header_field "$run" poll_interval_ms)" "$(header_field "$run" poll_max_ms)" \
            "$(cut -d' ' -f4,5 "$run.load" | tr ' ' '\n' | range '%.1f')"
    done
}

phase_tables() {
    TMP=$(mktemp -d /tmp/fidelity-tables-XXXXXX)
    OVERVIEW=$TMP/overview.md
    SECTIONS=$TMP/sections.md
    : >"$OVERVIEW"
    : >"$SECTIONS"
    local name runs
    while read -r name runs; do
        [ -n "$name" ] && wanted "$name" "$@" && section "$name"
    done <<<"$SCENARIOS"
    {
        echo "<!-- made by bench/fidelity/fidelity-tables.sh with $($RCSIM --version 2>/dev/null | head -n 1), simulator at $(git rev-parse --short HEAD), $(date -u +%F) -->"
        echo
        echo "## Overview"
        echo
        echo "| scenario | rows that agree | rows that do not |"
        echo "|---|---|---|"
        cat "$OVERVIEW"
        echo
        echo "## Scenario by scenario"
        echo
        cat "$SECTIONS"
        if wanted heartbeat "$@"; then
            echo "## Heartbeat volume"
            echo
            heartbeat_table
        fi
    } >"$OUT"
    rm -rf "$TMP"
    echo "wrote $OUT"
}

case "${1:-}" in
real) shift; phase_real "$@" ;;
tables) shift; phase_tables "$@" ;;
*) echo "usage: $0 real|tables [NAME...]" >&2; exit 2 ;;
esac
