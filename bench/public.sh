#!/usr/bin/env bash
# The public site under load (issue 14): each public page's weight (as sent plain and
# gzipped) and its requests/s and p99 under wrk -c16, next to /healthz in the same run.
# Runs `gugus demo` (demo data with two published snapshots) in a temporary directory.
#
# Usage: bench/public.sh BIN [DURATION_S]
#   BIN  a release build (cargo build --release -p gugus)
set -euo pipefail
BIN=$(realpath "$1")
DUR=${2:-10}
PORT=18850
DIR=$(mktemp -d)
cd "$DIR"
GUGUS_LOG=warn "$BIN" demo --listen 127.0.0.1:$PORT >demo.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$DIR"' EXIT
until curl -sf -o /dev/null http://127.0.0.1:$PORT/healthz; do sleep 0.2; done

printf '| page | bytes | gzipped | requests/s | p99 |\n|---|---:|---:|---:|---:|\n'
for p in /healthz / /statistik-publik '/statistik-publik?wilayah=53' '/statistik-publik/peta.svg?wilayah=' \
  '/statistik-publik/peta.svg?wilayah=53' /data /data.jsonld /pengaduan /status /static/gugus.css; do
  url="http://127.0.0.1:$PORT$p"
  plain=$(curl -s "$url" | wc -c)
  gz=$(curl -s -H 'Accept-Encoding: gzip' "$url" | wc -c)
  out=$(wrk -t2 -c16 -d"${DUR}s" --latency "$url")
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
  printf '| `%s` | %s | %s | %s | %s |\n' "$p" "$plain" "$gz" "$rps" "$p99"
done
echo
echo "server peak RSS: $(awk '/VmHWM/ {print $2, $3}' /proc/$server/status)"
