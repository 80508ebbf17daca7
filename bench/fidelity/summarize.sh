#!/bin/bash
# Prints n, min, median and max of column COL (1-based) of a CSV file with a
# header line: bench/fidelity/summarize.sh FILE.csv COL
sort -t, -k"$2" -g <(tail -n +2 "$1" | awk -F, -v c="$2" '$c != ""') |
    awk -F, -v c="$2" '{ v[NR] = $c } END {
        if (NR == 0) { print "n=0"; exit }
        m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "n=%d min=%.3f median=%.3f max=%.3f\n", NR, v[1], m, v[NR] }'
