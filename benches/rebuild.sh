#!/usr/bin/env bash
# Rebuilds on disk (issue 21): a one-entry edit then `gazette build`, a rebuild with no change,
# and a cold build, side by side in each round.
#
#   benches/rebuild.sh            # N = 4016
#   ROUNDS=7 benches/rebuild.sh 1000
#
# It generates a corpus with examples/gen_corpus.rs into BENCH_TMP (default /tmp: on this
# machine, the disk), builds it into its output/ three times with an edit between (so the
# staging folder kept beside output/ is populated, as on any site built before), then runs
# ROUNDS rounds of: cold build, edit one entry's body (another entry each round) and rebuild,
# rebuild again with no change. A cold build is the build of an empty site, as
# benches/cold_vs_hugo.sh times it: a new folder with the site's files (content/ hard-linked)
# and no output/, no .gazette-cache/ and no staging folder, so nothing kept by an earlier
# build is found. With FULL=1, each round also times a build of the primed site into a new
# output folder (`--output`): every page written, but the checked fields, bodies and matches
# read back from .gazette-cache/. Which of cold and edit goes first alternates by round;
# every timed step starts after `sync`, and each edit rebuild right after an untimed build
# of the site, as its editor last left it (after a cold build of another copy of a large
# site, the site's own files and caches were partly out of memory: at 100,000 entries such
# an edit rebuild took twice as long, whatever Gazette did). It prints each round's wall times and the files
# written, then medians and spreads. Cold sites are not deleted until the end (deleting many
# files slows creating files on this ext4 for minutes, see benches/run.sh); at 100,000
# entries each takes about 8 GB. COLD_TMP puts the cold sites elsewhere (each deleted after
# its build; /dev/shm keeps them off the disk, and being faster there only makes the edit
# rebuild's share of a cold build larger).
#
# Environment: ROUNDS (default 5), SEED (1), FULL, COLD_TMP, GAZETTE_BIN, GEN_BIN, BENCH_TMP;
# BASELINE_BIN, an
# older gazette binary whose edit rebuild (of its own copy of the site, after the same edit)
# is timed in the same rounds (a copy: the work a build keeps for the next one lives in the
# site's .gazette-cache/ and is tied to the binary that kept it, so two binaries building one
# site would each find the other's and redo it); HUGO=1 (needs `hugo` on the PATH, Debian: apt-get install -y
# hugo): the corpus is also turned into a Hugo site (benches/hugo_site.sh) and, in each
# round, Hugo's rebuild into its existing destination after the same edit is timed right
# before or right after Gazette's (alternating).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
N=${1:-4016}
ROUNDS=${ROUNDS:-5}
SEED=${SEED:-1}
BENCH_TMP=${BENCH_TMP:-${TMPDIR:-/tmp}}
[[ "$N" =~ ^[0-9]+$ && "$N" -gt 0 ]] || { echo "not an entry count: $N" >&2; exit 2; }

if [ -z "${GAZETTE_BIN:-}" ] || [ -z "${GEN_BIN:-}" ]; then
    echo "building gazette and the corpus generator (release)…" >&2
    cargo build --release --quiet --bin gazette --example gen_corpus
fi
GAZETTE_BIN=${GAZETTE_BIN:-$ROOT/target/release/gazette}
GEN_BIN=${GEN_BIN:-$ROOT/target/release/examples/gen_corpus}

WORK=$(mktemp -d "$BENCH_TMP/gazette-rebuild.XXXXXX")
cleanup() { rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
cp "$GAZETTE_BIN" "$WORK/gazette"
if [ -n "${BASELINE_BIN:-}" ]; then cp "$BASELINE_BIN" "$WORK/baseline"; fi
SITE=$WORK/site
releases=$(( N / 500 > 8 ? N / 500 : 8 ))
echo "generating $N entries in $releases releases…" >&2
"$GEN_BIN" --entries "$N" --releases "$releases" --seed "$SEED" --out "$SITE" >/dev/null

if [ -n "${BASELINE_BIN:-}" ]; then cp -r "$SITE" "$WORK/base-site"; fi
if [ -n "${HUGO:-}" ]; then
    command -v hugo >/dev/null || { echo "HUGO=1 needs hugo (apt-get install -y hugo)" >&2; exit 2; }
    benches/hugo_site.sh "$SITE" "$WORK/hugo"
fi
now() { date +%s.%N; }
# Hugo's rebuild into its existing destination; print "seconds".
hugo_build() {
    if [ -z "${HUGO:-}" ]; then echo 0; return; fi
    local t0 t1
    t0=$(now)
    hugo --source "$WORK/hugo" --destination "$WORK/hugo/public" --quiet >/dev/null 2>&1
    t1=$(now)
    awk -v a="$t1" -v b="$t0" 'BEGIN { print a - b }'
}
# Wait for the survey of the staging folder that a gazette build starts in a process of its
# own once it is done (`sink::ahead`) to end: an editor edits for longer than it takes, and
# it must not run beside the next timed step (Hugo's build, say). Not timed.
settle() {
    while pgrep -f -- "survey-ahead --output $WORK/" >/dev/null; do sleep 0.05; done
}
# Run a build; print "seconds written removed".
build() {
    local t0 t1 out
    t0=$(now)
    out=$("${BIN:-$WORK/gazette}" build --root "$SITE" "$@" 2>/dev/null)
    t1=$(now)
    settle
    local written removed
    written=$(sed -n 's/.* files in .* (\([0-9]*\) written, \([0-9]*\) removed).*/\1/p' <<<"$out")
    removed=$(sed -n 's/.* files in .* (\([0-9]*\) written, \([0-9]*\) removed).*/\2/p' <<<"$out")
    echo "$(awk -v a="$t1" -v b="$t0" 'BEGIN { print a - b }') $written $removed"
}

# An entry file to edit in round $1 (another one each round): published entries only (an
# edit to a draft or an embargoed entry changes no page, and its rebuild is a no-change one).
ENTRIES=()
while IFS= read -r f; do ENTRIES+=("$f"); done < <(find "$SITE/content/releases" -name '*.md' ! -name '_*' ! -name '*.en.md' | sort | head -n 60 | xargs grep -LE '^(draft|embargo) =' | head -n 50)
edit() {
    local f=${ENTRIES[$(( $1 % ${#ENTRIES[@]} ))]}
    printf '\n本轮（%s）补充一句正文。\n' "$1" >>"$f"
    if [ -n "${BASELINE_BIN:-}" ]; then
        printf '\n本轮（%s）补充一句正文。\n' "$1" >>"$WORK/base-site/${f#"$SITE"/}"
    fi
    if [ -n "${HUGO:-}" ]; then
        printf '\n本轮（%s）补充一句正文。\n' "$1" >>"$WORK/hugo/${f#"$SITE"/}"
    fi
}

echo "priming: three builds into output/ with an edit between…" >&2
build >/dev/null
hugo_build >/dev/null
# The baseline primes its own copy the same way.
base() { BIN=$WORK/baseline SITE=$WORK/base-site build "$@"; }
edit 1000; build >/dev/null
edit 1001; build >/dev/null
if [ -n "${BASELINE_BIN:-}" ]; then base >/dev/null; base >/dev/null; base >/dev/null; fi

# A cold build of round $1: an empty site with the site's files; print "seconds written removed".
cold() {
    local site f r
    if [ -n "${COLD_TMP:-}" ]; then site=$(mktemp -d "$COLD_TMP/gazette-cold.XXXXXX"); else site=$WORK/cold-$1; mkdir "$site"; fi
    for f in "$SITE"/*; do
        case "${f##*/}" in
            output) ;;
            content) cp -al "$f" "$site/" 2>/dev/null || cp -r "$f" "$site/" ;;
            *) cp -r "$f" "$site/" ;;
        esac
    done
    sync
    r=$(SITE=$site build)
    if [ -n "${COLD_TMP:-}" ]; then rm -rf "$site"; fi
    echo "$r"
}
# The site built once, untimed, before its edit rebuild is timed (see the header).
warm() {
    build >/dev/null
    if [ -n "${BASELINE_BIN:-}" ]; then base >/dev/null; fi
}
# With FULL=1, a build of the primed site into a new folder; else nothing ("0 - -").
full() {
    if [ -n "${FULL:-}" ]; then sync; build --output "$WORK/full-$1"; else echo "0 - -"; fi
}

printf '| round | cold s (files written) | edit rebuild s (written, removed) | no-change rebuild s (written) | full build into a new folder s | baseline edit rebuild s | Hugo edit rebuild s |\n|---|---|---|---|---|---|---|\n'
COLD=(); EDIT=(); SAME=(); FULLS=(); BASE=(); HUGOS=()
baseline() {
    if [ -n "${BASELINE_BIN:-}" ]; then base; else echo "0 - -"; fi
}
# Each timed step starts once the files the step before wrote are on disk (`sync`, not
# timed): otherwise a step after a cold build or after Hugo paid for their write-back too,
# and which tool came after which decided the figures more than the tools did.
for r in $(seq 1 "$ROUNDS"); do
    if (( r % 2 )); then
        c=$(cold "$r"); fu=$(full "$r"); warm; edit "$r"; sync; b=$(baseline)
        sync; h=$(hugo_build); sync; e=$(build); sync; s=$(build)
    else
        edit "$r"; sync; e=$(build); sync; h=$(hugo_build); sync; b=$(baseline)
        sync; s=$(build); fu=$(full "$r"); c=$(cold "$r")
    fi
    read -r ct cw _ <<<"$c"; read -r et ew er <<<"$e"; read -r st sw _ <<<"$s"; read -r bt _ <<<"$b"
    read -r ft _ <<<"$fu"
    COLD+=("$ct"); EDIT+=("$et"); SAME+=("$st"); FULLS+=("$ft"); BASE+=("$bt"); HUGOS+=("$h")
    printf '| %d | %.2f (%s) | %.3f (%s, %s) | %.3f (%s) | %.2f | %.3f | %.3f |\n' "$r" "$ct" "$cw" "$et" "$ew" "$er" "$st" "$sw" "$ft" "$bt" "$h"
done
stats() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.3f (%.3f–%.3f)", m, a[1], a[NR] }'; }
echo
echo "medians (min–max) of $ROUNDS rounds, N=$N: cold $(stats "${COLD[@]}") s; edit rebuild $(stats "${EDIT[@]}") s; no-change rebuild $(stats "${SAME[@]}") s; full build into a new folder $(stats "${FULLS[@]}") s; baseline edit rebuild $(stats "${BASE[@]}") s; Hugo edit rebuild $(stats "${HUGOS[@]}") s"
ratio() { awk -v e="$1" -v c="$2" 'BEGIN { if (c > 0) printf "%.1f %%", 100 * e / c; else printf "-" }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
echo "edit rebuild / cold build (medians): $(ratio "$(median "${EDIT[@]}")" "$(median "${COLD[@]}")"); / full build into a new folder: $(ratio "$(median "${EDIT[@]}")" "$(median "${FULLS[@]}")")"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "one traced edit rebuild:" >&2
edit 999
GAZETTE_TRACE=1 "$WORK/gazette" build --root "$SITE" 2>&1 >/dev/null | grep -E '^(trace|files|pages)' >&2
