#!/usr/bin/env bash
# Foundation benchmarks for Gugus: first-start region load, cold start, idle memory, and an
# authenticated page next to /healthz under wrk, all in one run on this machine.
# Usage: bench/foundation.sh [sqlite|postgres]   (needs: curl, wrk; a release build)
# PostgreSQL: uses GUGUS_BENCH_PG (default postgres://postgres@127.0.0.1:5432/postgres) to
# create and drop a database named gugus_bench.
set -euo pipefail
cd "$(dirname "$0")/.."
BACKEND="${1:-sqlite}"
BIN=target/release/gugus
[ -x "$BIN" ] || cargo build --release -p gugus
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
PG_ADMIN="${GUGUS_BENCH_PG:-postgres://postgres@127.0.0.1:5432/postgres}"
export GUGUS_SECRET_KEY_FILE="$WORK/bench.key"
export GUGUS_LOG=warn
printf '%s\n' "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" > "$GUGUS_SECRET_KEY_FILE"

fresh_db() {
  if [ "$BACKEND" = postgres ]; then
    psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS gugus_bench WITH (FORCE)" -qc "CREATE DATABASE gugus_bench"
    echo "${PG_ADMIN%/*}/gugus_bench"
  else
    rm -f "$WORK"/bench.db*
    echo "sqlite://$WORK/bench.db"
  fi
}
ms_now() { date +%s%3N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
PORT=18765

echo "# Gugus foundation benchmark ($BACKEND) — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores"
echo

# 1. First start: migrations + loading all 91,599 regions (5 runs on an empty database).
loads=(); totals=()
for _ in 1 2 3 4 5; do
  URL=$(fresh_db)
  t0=$(ms_now)
  out=$(GUGUS_LOG=info "$BIN" migrate --database-url "$URL" 2>&1)
  t1=$(ms_now)
  totals+=($((t1 - t0)))
  loads+=($(echo "$out" | sed -n 's/.*loaded the region reference.* ms=\([0-9]*\).*/\1/p' | sed 's/\x1b\[[0-9;]*m//g'))
done
echo "first start (migrate + region load), ms: total median $(printf '%s\n' "${totals[@]}" | median) [${totals[*]}]; region load alone median $(printf '%s\n' "${loads[@]}" | median) [${loads[*]}]"

# A database with the demo accounts for the remaining measurements.
URL=$(fresh_db)
"$BIN" demo --no-serve --database-url "$URL" > /dev/null

# 2. Cold start on the existing database: exec → first 200 from /healthz (10 runs).
starts=()
for _ in $(seq 1 10); do
  t0=$(ms_now)
  "$BIN" serve --database-url "$URL" --listen 127.0.0.1:$PORT > /dev/null 2>&1 &
  pid=$!
  until curl -sf -o /dev/null http://127.0.0.1:$PORT/healthz; do sleep 0.005; done
  t1=$(ms_now)
  starts+=($((t1 - t0)))
  kill -TERM $pid; wait $pid || true
done
echo "cold start to first /healthz 200, ms: median $(printf '%s\n' "${starts[@]}" | median) [${starts[*]}]"

# 3. Idle RSS, and wrk on an authenticated page next to /healthz in the same run.
"$BIN" serve --database-url "$URL" --listen 127.0.0.1:$PORT --logins-per-minute 1000 > /dev/null 2>&1 &
pid=$!
until curl -sf -o /dev/null http://127.0.0.1:$PORT/healthz; do sleep 0.01; done
sleep 1
echo "idle RSS after start: $(awk '/VmRSS/ {print $2/1024 " MiB"}' /proc/$pid/status)"
JAR="$WORK/jar"
csrf=$(curl -s -c "$JAR" http://127.0.0.1:$PORT/login | sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' | head -n1)
curl -s -b "$JAR" -c "$JAR" -o /dev/null --data-urlencode "csrf=$csrf" --data-urlencode "username=admin.kalteng" \
  --data-urlencode "password=Demo-Gugus-2026" http://127.0.0.1:$PORT/login
SESSION=$(awk '$6 == "gugus_session" {print $7}' "$JAR")
[ -n "$SESSION" ] || { echo "login failed"; exit 1; }
curl -sf -o /dev/null -H "Cookie: gugus_session=$SESSION" http://127.0.0.1:$PORT/units
echo "RSS after a few requests: $(awk '/VmRSS/ {print $2/1024 " MiB"}' /proc/$pid/status)"
echo
for target in "/healthz" "/units" "/"; do
  echo "## wrk -t2 -c16 -d10s --latency $target"
  wrk -t2 -c16 -d10s --latency -H "Cookie: gugus_session=$SESSION" "http://127.0.0.1:$PORT$target" \
    | grep -E 'Requests/sec|^ +50%|^ +99%|Non-2xx|Socket errors'
done
echo "RSS after load: $(awk '/VmRSS/ {print $2/1024 " MiB"}' /proc/$pid/status)"
kill -TERM $pid; wait $pid || true
if [ "$BACKEND" = postgres ]; then psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS gugus_bench WITH (FORCE)"; fi
