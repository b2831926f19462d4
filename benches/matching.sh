#!/usr/bin/env bash
# What matching costs a full build (issue 20): the same corpus of N results and D demands
# built with `[matching] enabled = true` and `= false`, alternating in each round, each build
# into a new output folder, with the work the last build kept (.gazette-cache/: the matches,
# rendered bodies, checked fields, safe SVG verdicts; thumbnails stay) removed first, so each
# build is a cold build and each "on" build computes the matches as a cold build does. A first
# round warms up and is not counted.
# Prints per round the wall time and CPU time (user+sys) of both,
# then the medians and the ratio on/off. Timings stay out of `cargo test`.
#
#   benches/matching.sh                  # N = 10000, D = 1000
#   benches/matching.sh 100000 10000     # the issue's scale target
#   RUNS=3 benches/matching.sh 10000 1000
#
# Environment:
#   RUNS         rounds (default 5)
#   GAZETTE_BIN  use this gazette binary instead of `cargo build --release`
#   GEN_BIN      use this gen_corpus binary instead of building the example
#   BENCH_TMP    where the corpus goes (default: $TMPDIR or /tmp)
#   OUT_TMP      where the outputs go (default: /dev/shm when it exists, so that the disk's
#                noise stays out of a comparison of CPU work)
set -euo pipefail
# Each build in the process GNU time measures: `gazette build` otherwise returns before its
# build process has given its memory back (see src/handoff.rs), and GNU time would report
# the CPU time and peak memory of a process that only waited.
export GAZETTE_FORK=0
cd "$(dirname "$0")/.."
N=${1:-10000}
D=${2:-1000}
RUNS=${RUNS:-5}
BENCH_TMP=${BENCH_TMP:-${TMPDIR:-/tmp}}
if [ -z "${OUT_TMP:-}" ]; then
    if [ -d /dev/shm ]; then OUT_TMP=/dev/shm; else OUT_TMP=$BENCH_TMP; fi
fi
if [ ! -x /usr/bin/time ]; then
    if [ "$(id -u)" -eq 0 ]; then apt-get install -y time >&2; else sudo apt-get install -y time >&2; fi
fi
if [ -z "${GAZETTE_BIN:-}" ]; then
    cargo build --release --bin gazette >&2
    GAZETTE_BIN=$PWD/target/release/gazette
fi
if [ -z "${GEN_BIN:-}" ]; then
    cargo build --release --example gen_corpus >&2
    GEN_BIN=$PWD/target/release/examples/gen_corpus
fi
WORK=$(mktemp -d "$BENCH_TMP/gazette-matching.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
SITE=$WORK/site
"$GEN_BIN" --entries "$N" --releases $(( N / 100 > 8 ? N / 100 : 8 )) --demands "$D" --out "$SITE" >/dev/null 2>&1
grep -q '^\[matching\]' "$SITE/site.toml" || { echo "the corpus has no [matching] section" >&2; exit 1; }

set_matching() { # true|false
    sed -i "/^\[matching\]/,/^\[/{/^enabled = /d}" "$SITE/site.toml"
    sed -i "s/^\[matching\]$/[matching]\nenabled = $1/" "$SITE/site.toml"
}
# One build: prints "wall cpu" in seconds.
one() {
    local out
    out=$(mktemp -d "$OUT_TMP/gazette-matching-out.XXXXXX")
    rmdir "$out"
    rm -rf "$SITE/.gazette-cache/matches.bin" "$SITE/.gazette-cache/bodies" \
        "$SITE/.gazette-cache/fields" "$SITE/.gazette-cache/svg"
    /usr/bin/time -f '%e %U %S' -o "$WORK/time" "$GAZETTE_BIN" build --root "$SITE" --output "$out" >/dev/null 2>"$WORK/err" \
        || { cat "$WORK/err" >&2; exit 1; }
    rm -rf "$out" "$(dirname "$out")/.$(basename "$out").gazette"
    awk '{ printf "%.2f %.2f\n", $1, $2 + $3 }' "$WORK/time"
}
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

echo "corpus: $N results, $D demands; $RUNS rounds; outputs in $OUT_TMP; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
# One round first, not counted: the first build after the corpus is written ran a fifth
# slower than the next ones at 100,000 results, whichever setting it had.
set_matching true; one > /dev/null; set_matching false; one > /dev/null
printf '%-6s %-22s %-22s\n' round "on: wall cpu (s)" "off: wall cpu (s)"
: > "$WORK/on"; : > "$WORK/off"
for r in $(seq 1 "$RUNS"); do
    set_matching true;  on=$(one)
    set_matching false; off=$(one)
    echo "$on" >> "$WORK/on"; echo "$off" >> "$WORK/off"
    printf '%-6s %-22s %-22s\n' "$r" "$on" "$off"
done
won=$(cut -d' ' -f1 "$WORK/on" | median); con=$(cut -d' ' -f2 "$WORK/on" | median)
woff=$(cut -d' ' -f1 "$WORK/off" | median); coff=$(cut -d' ' -f2 "$WORK/off" | median)
echo "median  on: wall $won s, cpu $con s   off: wall $woff s, cpu $coff s"
awk -v a="$won" -v b="$woff" -v c="$con" -v d="$coff" 'BEGIN { printf "matching adds: wall %+.1f %%, cpu %+.1f %%\n", (a / b - 1) * 100, (c / d - 1) * 100 }'
