#!/bin/bash
# The preview's resident memory: starts `gazette serve` on a site, waits until it answers,
# reads its VmRSS, asks for one search shard (which builds the index and keeps every
# record's tokens), reads VmRSS again, and stops it. Prints one line.
#
#   benches/serve_memory.sh BINARY SITE_DIR [PORT]
#   e.g. benches/serve_memory.sh target/release/gazette /tmp/corpus-4016 18111
set -euo pipefail
bin=$1; site=$2; port=${3:-18111}
log=$(mktemp)
"$bin" serve --root "$site" --port "$port" >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$log"' EXIT
until curl -sf -o /dev/null "http://127.0.0.1:$port/"; do
  sleep 0.2
  kill -0 $pid 2>/dev/null || { echo "serve stopped:"; cat "$log"; exit 1; }
done
sleep 1
rss() { awk '/VmRSS/ {print int($2 / 1024)}' /proc/$pid/status; }
started=$(rss)
shard=$(curl -s -o /dev/null -w "%{http_code}" "http://127.0.0.1:$port/search/index/0.json")
sleep 1
searched=$(rss)
echo "$(head -1 "$log" | sed 's/ (Ctrl-C.*//'); RSS after start ${started} MiB, after a search shard (HTTP $shard) ${searched} MiB"
