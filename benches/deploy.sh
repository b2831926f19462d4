#!/usr/bin/env bash
# `gazette deploy` against `rclone sync --checksum` (issue 23), both to the same local S3
# server (examples/s3_server.rs: s3s + s3s-fs on 127.0.0.1), on a generated corpus.
#
#   benches/deploy.sh              # 4,016 entries, 5 rounds
#   RUNS=3 N=1000 benches/deploy.sh
#
# Each round deploys the built corpus into a fresh bucket per tool and times, side by side:
#   first      the first deploy into an empty bucket
#   unchanged  a second deploy with nothing changed
#   one-edit   a deploy after editing one entry's body and rebuilding (build not timed)
# Gazette and rclone alternate within a round; both use 8 transfers at once. Medians are
# printed as a Markdown table. Needs rclone (Debian: apt-get install rclone).
#
# Environment: RUNS (default 5), N (entries, default 4016), PORT (default 9753),
# BENCH_TMP (default $TMPDIR or /tmp), GAZETTE_BIN, GEN_BIN, SERVER_BIN (prebuilt binaries).
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-5}
N=${N:-4016}
PORT=${PORT:-9753}
TMP=$(mktemp -d "${BENCH_TMP:-${TMPDIR:-/tmp}}/gazette-deploy-bench.XXXXXX")
command -v rclone >/dev/null || { echo "rclone is missing: apt-get install rclone" >&2; exit 1; }

if [ -z "${GAZETTE_BIN:-}" ] || [ -z "${GEN_BIN:-}" ] || [ -z "${SERVER_BIN:-}" ]; then
  cargo build --release --bin gazette --example gen_corpus --example s3_server >&2
fi
GAZETTE_BIN=${GAZETTE_BIN:-target/release/gazette}
GEN_BIN=${GEN_BIN:-target/release/examples/gen_corpus}
SERVER_BIN=${SERVER_BIN:-target/release/examples/s3_server}

SITE=$TMP/site
"$GEN_BIN" --entries "$N" --releases $(( N / 500 > 8 ? N / 500 : 8 )) --out "$SITE" >&2
"$GAZETTE_BIN" --root "$SITE" build >&2
mkdir -p "$TMP/store"
"$SERVER_BIN" "$TMP/store" "$PORT" > "$TMP/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
sleep 1
ENDPOINT="http://127.0.0.1:$PORT"

export AWS_ACCESS_KEY_ID=GAZETTETESTKEY
export AWS_SECRET_ACCESS_KEY=$(sed -n 's/^pub const SECRET_KEY: &str = "\(.*\)";/\1/p' tests/common/s3.rs)
export AWS_EC2_METADATA_DISABLED=true
# rclone's AWS SDK refuses a custom CA bundle with its own HTTP transport; none is needed here.
unset AWS_CA_BUNDLE
export RCLONE_CONFIG_BENCH_TYPE=s3
export RCLONE_CONFIG_BENCH_PROVIDER=Other
export RCLONE_CONFIG_BENCH_ENDPOINT=$ENDPOINT
export RCLONE_CONFIG_BENCH_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID
export RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY
export RCLONE_CONFIG_BENCH_REGION=us-east-1

# One target per round, appended to the corpus's site.toml.
for r in $(seq 1 "$RUNS"); do
  mkdir -p "$TMP/store/gz$r" "$TMP/store/rc$r"
  printf '\n[[deploy.targets]]\nname = "r%s"\nkind = "s3"\nbucket = "gz%s"\nendpoint = "%s"\nregion = "us-east-1"\n' \
    "$r" "$r" "$ENDPOINT" >> "$SITE/site.toml"
done
touch -d '-1 minute' "$SITE/site.toml"

secs() { local t0 t1; t0=$(date +%s.%N); "$@" > /dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }; t1=$(date +%s.%N); echo "$t1 - $t0" | bc; }
gz() { "$GAZETTE_BIN" --root "$SITE" deploy --target "r$1" --workers 8; }
rc() { rclone sync --checksum --transfers 8 --checkers 8 --s3-no-check-bucket "$SITE/output" "bench:rc$1"; }

ENTRY=$(find "$SITE/content/releases" -name '*.md' ! -name '_*' ! -name '*.en.md' | sort | sed -n 1p)
declare -a G1 G2 G3 R1 R2 R3
for r in $(seq 1 "$RUNS"); do
  G1+=("$(secs gz "$r")"); R1+=("$(secs rc "$r")")
  G2+=("$(secs gz "$r")"); R2+=("$(secs rc "$r")")
  printf '\n\nEdited in round %s of the deploy benchmark.\n' "$r" >> "$ENTRY"
  "$GAZETTE_BIN" --root "$SITE" build > /dev/null 2>&1
  G3+=("$(secs gz "$r")"); R3+=("$(secs rc "$r")")
  echo "round $r: gazette ${G1[-1]} ${G2[-1]} ${G3[-1]}; rclone ${R1[-1]} ${R2[-1]} ${R3[-1]}" >&2
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {printf "%.2f", (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
FILES=$(find "$SITE/output" -type f | wc -l)
echo
echo "$N entries, $FILES files, medians of $RUNS rounds (seconds)"
echo
echo "| deploy | gazette deploy | rclone sync --checksum | ratio |"
echo "|---|---|---|---|"
for k in 1 2 3; do
  case $k in 1) name=first; g=("${G1[@]}"); c=("${R1[@]}");; 2) name=unchanged; g=("${G2[@]}"); c=("${R2[@]}");; 3) name=one-edit; g=("${G3[@]}"); c=("${R3[@]}");; esac
  mg=$(median "${g[@]}"); mc=$(median "${c[@]}")
  echo "| $name | $mg | $mc | $(echo "scale=2; $mg / $mc" | bc) |"
done
kill $SERVER 2>/dev/null || true
rm -rf "$TMP"
