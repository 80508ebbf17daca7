#!/usr/bin/env bash
# Installs the build into a temporary DESTDIR and runs shipped scenarios by
# name from another directory with the installed binary: the library, the man
# page and the docs must be in place, and `rcsim run NAME` / `rcsim check
# NAME` must find the installed scenarios (not the source tree's).
set -u
build=${BUILD_ROOT:?BUILD_ROOT is not set}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "install test: $*" >&2; exit 1; }

meson install -C "$build" --destdir "$tmp/root" --no-rebuild --quiet >/dev/null \
    || fail "meson install failed"
bin=$(find "$tmp/root" -path '*/bin/rcsim' -type f | head -n1)
[ -x "$bin" ] || fail "no installed rcsim binary"
prefix=$(dirname "$(dirname "$bin")")
[ -f "$prefix/share/rcsim/scenarios/teaching/split-5-masters.scn" ] || fail "scenario library not installed"
[ -f "$prefix/share/man/man1/rcsim.1" ] || fail "man page not installed"
[ -f "$prefix/share/doc/rcsim/scenario-language.md" ] || fail "docs not installed"

# Make the source tree's library unusable so that only the installed copy
# can be found: run from an empty directory with the installed binary, and
# check that the scenario path names the installed library first.
mkdir -p "$tmp/work"
cd "$tmp/work" || fail "cd"
out=$("$bin" run teaching/split-5-masters --quiet --no-plots --out "$tmp/work/out") \
    || fail "rcsim run teaching/split-5-masters failed: $out"
case "$out" in *digest:*) ;; *) fail "no digest printed: $out" ;; esac
[ -s "$tmp/work/out/events.jsonl" ] || fail "no events.jsonl"
grep -q "\"scenario\": \"$prefix/share/rcsim/scenarios/teaching/split-5-masters.scn\"" \
    "$tmp/work/out/summary.json" || fail "the run did not use the installed scenario"
"$bin" check regression/02-failover --seeds 2 | grep -q '^2 passed, 0 failed$' \
    || fail "rcsim check regression/02-failover failed"
"$bin" run no-such-scenario >/dev/null 2>&1; st=$?
[ "$st" = 2 ] || fail "an unknown scenario name gave exit status $st, not 2"
echo "installed into $prefix; scenarios found by name"
