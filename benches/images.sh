#!/usr/bin/env bash
# Images (issue 22): cold processing side by side with Zola's resize_image and Hugo's image
# processing on the same photos and sizes, and the warm rebuild against the same site
# without covers.
#
#   benches/images.sh                      # cold: 200 covers; warm: 4,016 entries
#   COLD=100 ROUNDS=3 WARM=1000 benches/images.sh
#
# Cold: a corpus of COLD entries, each with a 2,400 × 1,600 JPEG cover (examples/gen_corpus.rs
# --covers), is built with an empty image cache; the same JPEGs are given to Zola (a template
# calling resize_image for each) and to Hugo (resources.Match and .Resize/.Fill), each asked
# for what Gazette makes of a cover: 480, 960 and 1,600 wide in WebP and JPEG, and a
# 1,200 × 630 JPEG crop, quality 80. Each tool's cache and output are deleted before each of
# its runs; the tools alternate within a round. Gazette's time includes rendering its pages
# (small next to the images); the peers render one page.
#
# Warm: the corpus of WARM entries with covers (WARM_COVERS of them, default all) and the
# same corpus without covers are each
# built once, then ROUNDS rounds rebuild both over their output (cache full), alternating
# which goes first. Prints medians and the ratio.
#
# Environment: COLD (200), WARM (4016), WARM_COVERS (WARM), ROUNDS (5), GAZETTE_BIN, GEN_BIN, ZOLA_BIN (skipped if
# unset and `zola` is not on PATH), HUGO_BIN (`hugo`, Debian: apt-get install -y hugo),
# BENCH_TMP (/tmp). Peak memory (max RSS) comes from /usr/bin/time -v (apt-get install -y time).
set -euo pipefail
# Each build in the process GNU time measures: `gazette build` otherwise returns before its
# build process has given its memory back (see src/handoff.rs), and GNU time would report
# the CPU time and peak memory of a process that only waited.
export GAZETTE_FORK=0

cd "$(dirname "$0")/.."
ROOT=$PWD
COLD=${COLD:-200}
WARM=${WARM:-4016}
WARM_COVERS=${WARM_COVERS:-$WARM}
ROUNDS=${ROUNDS:-5}
BENCH_TMP=${BENCH_TMP:-${TMPDIR:-/tmp}}

if [ -z "${GAZETTE_BIN:-}" ] || [ -z "${GEN_BIN:-}" ]; then
    echo "building gazette and the corpus generator (release)…" >&2
    cargo build --release --quiet --bin gazette --example gen_corpus
fi
GAZETTE_BIN=${GAZETTE_BIN:-$ROOT/target/release/gazette}
GEN_BIN=${GEN_BIN:-$ROOT/target/release/examples/gen_corpus}
ZOLA_BIN=${ZOLA_BIN:-$(command -v zola || true)}
HUGO_BIN=${HUGO_BIN:-$(command -v hugo || true)}
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time: apt-get install -y time" >&2; exit 1; }

WORK=$(mktemp -d "$BENCH_TMP/gazette-images.XXXXXX")
cleanup() { rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# Wall seconds and peak resident MB of a command: "secs mb".
timed() {
    local log=$WORK/time.log
    /usr/bin/time -v -o "$log" "$@" >/dev/null 2>"$WORK/err.log" || {
        cat "$WORK/err.log" >&2
        return 1
    }
    awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i] }
                /Maximum resident/ { kb = $2 } END { printf "%.2f %d\n", s, kb / 1024 }' "$log"
}

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# ---- Cold: the same photos through the three tools.
echo "cold: $COLD covers of 2,400 × 1,600" >&2
"$GEN_BIN" --entries "$COLD" --releases 2 --covers "$COLD" --out "$WORK/cold" >/dev/null
mapfile -t PHOTOS < <(cd "$WORK/cold" && find content -name cover.jpg | sort)
[ "${#PHOTOS[@]}" -eq "$COLD" ] || { echo "expected $COLD covers, found ${#PHOTOS[@]}" >&2; exit 1; }

if [ -n "$ZOLA_BIN" ]; then
    Z=$WORK/zola
    mkdir -p "$Z/covers" "$Z/templates" "$Z/content"
    printf 'base_url = "https://example.org"\ncompile_sass = false\nbuild_search_index = false\n' >"$Z/config.toml"
    printf '+++\n+++\n' >"$Z/content/_index.md"
    {
        echo '{% for i in range(end='"$COLD"') %}{% set p = "covers/" ~ i ~ ".jpg" %}'
        for w in 480 960 1600; do
            for f in webp jpg; do
                # Zola's Tera 1 cannot take a field of a call's result: set it first.
                echo "{% set r = resize_image(path=p, width=$w, op=\"fit_width\", format=\"$f\", quality=80) %}{{ r.url }}"
            done
        done
        echo '{% set r = resize_image(path=p, width=1200, height=630, op="fill", format="jpg", quality=80) %}{{ r.url }}'
        echo '{% endfor %}'
    } >"$Z/templates/index.html"
    for i in "${!PHOTOS[@]}"; do cp "$WORK/cold/${PHOTOS[$i]}" "$Z/covers/$i.jpg"; done
fi
if [ -n "$HUGO_BIN" ]; then
    H=$WORK/hugo
    mkdir -p "$H/assets/covers" "$H/layouts"
    printf 'baseURL = "https://example.org/"\ndisableKinds = ["taxonomy", "term", "RSS", "sitemap", "404"]\n' >"$H/hugo.toml"
    {
        echo '{{ range resources.Match "covers/*.jpg" }}'
        for w in 480 960 1600; do
            for f in webp jpg; do echo "{{ (.Resize \"${w}x $f q80\").RelPermalink }}"; done
        done
        echo '{{ (.Fill "1200x630 jpg q80 Center").RelPermalink }}'
        echo '{{ end }}'
    } >"$H/layouts/index.html"
    for i in "${!PHOTOS[@]}"; do cp "$WORK/cold/${PHOTOS[$i]}" "$H/assets/covers/$i.jpg"; done
fi

declare -a G_T G_M Z_T Z_M H_T H_M
for r in $(seq 1 "$ROUNDS"); do
    rm -rf "$WORK/cold/output" "$WORK/cold/.gazette-cache"
    read -r t m < <(timed "$GAZETTE_BIN" build --root "$WORK/cold")
    G_T+=("$t"); G_M+=("$m")
    line="round $r: gazette ${t}s ${m}MB"
    if [ -n "$ZOLA_BIN" ]; then
        rm -rf "$Z/public" "$Z/static/processed_images" "$Z/processed_images"
        read -r t m < <(cd "$Z" && timed "$ZOLA_BIN" build)
        Z_T+=("$t"); Z_M+=("$m"); line="$line, zola ${t}s ${m}MB"
    fi
    if [ -n "$HUGO_BIN" ]; then
        rm -rf "$H/public" "$H/resources"
        read -r t m < <(cd "$H" && timed "$HUGO_BIN" --quiet)
        H_T+=("$t"); H_M+=("$m"); line="$line, hugo ${t}s ${m}MB"
    fi
    echo "$line" >&2
done
g=$(printf '%s\n' "${G_T[@]}" | median)
echo "cold, $COLD covers, medians of $ROUNDS: gazette ${g}s (peak $(printf '%s\n' "${G_M[@]}" | median) MB)"
best=""
if [ -n "$ZOLA_BIN" ]; then
    z=$(printf '%s\n' "${Z_T[@]}" | median); best=$z
    echo "  zola ${z}s (peak $(printf '%s\n' "${Z_M[@]}" | median) MB)"
fi
if [ -n "$HUGO_BIN" ]; then
    h=$(printf '%s\n' "${H_T[@]}" | median)
    [ -z "$best" ] || awk "BEGIN { exit !($h < $best) }" && best=$h
    echo "  hugo ${h}s (peak $(printf '%s\n' "${H_M[@]}" | median) MB)"
fi
[ -z "$best" ] || awk "BEGIN { printf \"  gazette / faster peer: %.2f (target <= 0.70)\n\", $g / $best }"
rm -rf "$WORK/cold" "${Z:-$WORK/none}" "${H:-$WORK/none}"

# ---- Warm: the same site with and without covers, each rebuilt over its output.
echo "warm: $WARM entries, $WARM_COVERS covers" >&2
"$GEN_BIN" --entries "$WARM" --releases 40 --covers "$WARM_COVERS" --out "$WORK/covers" >/dev/null
"$GEN_BIN" --entries "$WARM" --releases 40 --covers 0 --out "$WORK/plain" >/dev/null
echo "  cold build with $WARM_COVERS covers (fills the cache): $(timed "$GAZETTE_BIN" build --root "$WORK/covers")" >&2
timed "$GAZETTE_BIN" build --root "$WORK/plain" >/dev/null
declare -a WC WP
for r in $(seq 1 "$ROUNDS"); do
    if [ $((r % 2)) -eq 1 ]; then
        read -r c _ < <(timed "$GAZETTE_BIN" build --root "$WORK/covers")
        read -r p _ < <(timed "$GAZETTE_BIN" build --root "$WORK/plain")
    else
        read -r p _ < <(timed "$GAZETTE_BIN" build --root "$WORK/plain")
        read -r c _ < <(timed "$GAZETTE_BIN" build --root "$WORK/covers")
    fi
    WC+=("$c"); WP+=("$p")
    echo "round $r: with covers ${c}s, without ${p}s" >&2
done
c=$(printf '%s\n' "${WC[@]}" | median)
p=$(printf '%s\n' "${WP[@]}" | median)
echo "warm rebuild, $WARM entries ($WARM_COVERS with covers), medians of $ROUNDS: with covers ${c}s, without ${p}s"
awk "BEGIN { printf \"  added by the covers: %+.1f %% (target <= 5 %%)\n\", ($c / $p - 1) * 100 }"
