#!/usr/bin/env bash
# Cold builds side by side with Hugo (issue 21's "cold builds keep their speed"): the same
# generated corpus built by Gazette into an empty site (no output/, no .gazette-cache/, no
# staging folder) and by Hugo 0.111 into an empty destination, alternating which goes first
# in each round, on BENCH_TMP (default /dev/shm: tmpfs, so the disk's noise is left out).
#
#   benches/cold_vs_hugo.sh            # N = 4016, 7 rounds
#   ROUNDS=5 benches/cold_vs_hugo.sh 10000
#
# Needs `hugo` on the PATH (Debian: apt-get install -y hugo). Prints each build's wall time,
# CPU time and peak resident memory (GNU time), then the medians and Gazette's ratio.
set -euo pipefail
# Each build in the process GNU time measures: `gazette build` otherwise returns before its
# build process has given its memory back (see src/handoff.rs), and GNU time would report
# the CPU time and peak memory of a process that only waited.
export GAZETTE_FORK=0

cd "$(dirname "$0")/.."
N=${1:-4016}
ROUNDS=${ROUNDS:-7}
BENCH_TMP=${BENCH_TMP:-/dev/shm}
[[ "$N" =~ ^[0-9]+$ && "$N" -gt 0 ]] || { echo "not an entry count: $N" >&2; exit 2; }
command -v hugo >/dev/null || { echo "needs hugo (apt-get install -y hugo)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install -y time)" >&2; exit 2; }
cargo build --release --quiet --bin gazette --example gen_corpus
WORK=$(mktemp -d "$BENCH_TMP/gazette-cold.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
releases=$(( N / 500 > 8 ? N / 500 : 8 ))
target/release/examples/gen_corpus --entries "$N" --releases "$releases" --seed 1 --out "$WORK/site" >/dev/null 2>&1
benches/hugo_site.sh "$WORK/site" "$WORK/hugo" >/dev/null
cp target/release/gazette "$WORK/gazette"
: >"$WORK/times"
run_gazette() {
    /usr/bin/time -a -o "$WORK/times" -f "gazette %e %U %S %M" "$WORK/gazette" build --root "$WORK/site" >/dev/null
    # The survey of the staging folder it starts for the next build is not timed; wait for it.
    while pgrep -f -- "survey-ahead --output $WORK/" >/dev/null; do sleep 0.05; done
}
run_hugo() {
    /usr/bin/time -a -o "$WORK/times" -f "hugo %e %U %S %M" hugo --source "$WORK/hugo" --destination "$WORK/hugo/public" --quiet >/dev/null
}
for r in $(seq 1 "$ROUNDS"); do
    rm -rf "$WORK/site/output" "$WORK/site/.gazette-cache" "$WORK/site/.output.gazette" "$WORK/hugo/public" "$WORK/hugo/resources"
    if (( r % 2 )); then run_gazette; run_hugo; else run_hugo; run_gazette; fi
done
cat "$WORK/times"
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
# column $2 of tool $1's rows (an awk expression of fields), median
col() { awk -v t="$1" "\$1 == t { print $2 }" "$WORK/times" | median; }
for t in gazette hugo; do
    echo "$t: wall $(col $t '$2') s, CPU $(col $t '$3 + $4') s, peak $(col $t '$5') KB (medians of $ROUNDS)"
done
awk -v g="$(col gazette '$2')" -v h="$(col hugo '$2')" 'BEGIN { printf "gazette / hugo: %.2f\n", g / h }'
