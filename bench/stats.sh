#!/usr/bin/env bash
# Statistics, maps and the vulnerability index on a generated database (issue 13): the
# first start after the upgrade (statistics rows rebuilt), each page cold (first request
# after the start) and warm under wrk -c16, next to /healthz in the same run, and the
# server's peak RSS.
#
# Usage: bench/stats.sh BIN DB_URL KEY_FILE [DURATION_S]
#   BIN      a release build with `--features bench`
#   DB_URL   a database made with `gugus generate` (e.g. sqlite:///tmp/big.db)
#   KEY_FILE its secret key file
set -euo pipefail
BIN=$1
URL=$2
KEY=$3
DUR=${4:-15}
PORT=18840
PW='kata-sandi-bench-1'
export GUGUS_DATABASE_URL=$URL GUGUS_SECRET_KEY_FILE=$KEY
LOG=$(mktemp)

add_user() { # username role unit
  if ! printf '%s\n' "$PW" | GUGUS_LOG=warn "$BIN" user add --username "$1" --name "Bench $1" --role "$2" --unit "$3" >/dev/null 2>&1; then
    : # already there
  fi
}
start=$(date +%s.%N)
add_user bench.analyst analyst "Gugus Tugas PP-TPPO Nasional"
echo "first command after the upgrade (migrations, statistics rows if their version moved): $(echo "$(date +%s.%N) - $start" | bc) s"

GUGUS_LOG=${GUGUS_LOG:-info} "$BIN" serve --listen 127.0.0.1:$PORT --logins-per-minute 1000 >"$LOG" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -f "$LOG"' EXIT
until curl -sf -o /dev/null http://127.0.0.1:$PORT/healthz; do sleep 0.05; done

login() { # username -> session token
  local jar
  jar=$(mktemp)
  local csrf
  csrf=$(curl -s -c "$jar" http://127.0.0.1:$PORT/login | sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' | head -n1)
  curl -s -b "$jar" -c "$jar" -o /dev/null --data-urlencode "csrf=$csrf" --data-urlencode "username=$1" \
    --data-urlencode "password=$PW" http://127.0.0.1:$PORT/login
  awk '$6 == "gugus_session" {print $7}' "$jar"
  rm -f "$jar"
}
ANALYST=$(login bench.analyst)
[ -n "$ANALYST" ] || { echo "login failed"; exit 1; }

# The worker publishes the public statistics snapshot of the last month on its first pass
# (unless the file already has it): wait for it, and say how long it took.
pub_start=$(date +%s.%N)
for _ in $(seq 1 600); do
  if curl -s http://127.0.0.1:$PORT/statistik-publik | grep -q 'wilayah=53'; then break; fi
  sleep 0.5
done
echo "public snapshot visible $(echo "$(date +%s.%N) - $pub_start" | bc) s after the first login"
grep -o '"public statistics snapshot[^"]*"' "$LOG" || true

PAGES=("/statistik" "/peta" "/peta?focus=53" "/peta?focus=53.04" "/kerawanan" "/jaringan")
echo
echo "| page (national analyst) | cold (first request) | second request |"
echo "| --- | ---: | ---: |"
for p in "${PAGES[@]}"; do
  a=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' -H "Cookie: gugus_session=$ANALYST" "http://127.0.0.1:$PORT$p")
  b=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' -H "Cookie: gugus_session=$ANALYST" "http://127.0.0.1:$PORT$p")
  echo "| $p | HTTP ${a% *}, ${a#* } s | HTTP ${b% *}, ${b#* } s |"
done
PUBLIC=("/" "/statistik-publik" "/statistik-publik?wilayah=53" "/data")
echo
echo "| public page (no session) | first request | second request | bytes |"
echo "| --- | ---: | ---: | ---: |"
for p in "${PUBLIC[@]}"; do
  a=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' "http://127.0.0.1:$PORT$p")
  b=$(curl -s -o /dev/null -w '%{http_code} %{time_total} %{size_download}' "http://127.0.0.1:$PORT$p")
  read -r code t size <<<"$b"
  echo "| $p | HTTP ${a% *}, ${a#* } s | HTTP $code, $t s | $size |"
done
echo
echo "server VmHWM after the cold requests: $(awk '/VmHWM/ {print $2/1024 " MiB"}' /proc/$server/status)"

run() { # label path
  local out
  out=$(wrk -t2 -c16 -d"${DUR}s" --latency -H "Cookie: gugus_session=$ANALYST" "http://127.0.0.1:$PORT$2")
  local rps p50 p99 non2xx
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
  printf '| %s | %s | %s | %s | %s |\n' "$1" "$rps" "$p50" "$p99" "${non2xx:-0}"
}
run_anon() { # label path: as a visitor (an empty session cookie)
  ANALYST='' run "$@"
}
echo
echo "| warm, wrk -c16 ${DUR}s | requests/s | p50 | p99 | non-2xx |"
echo "| --- | ---: | ---: | ---: | ---: |"
run "/healthz" /healthz
for p in "${PAGES[@]}"; do run "$p" "$p"; done
for p in "${PUBLIC[@]}"; do run_anon "public $p" "$p"; done
run "/healthz again" /healthz
echo
echo "server VmHWM: $(awk '/VmHWM/ {print $2/1024 " MiB"}' /proc/$server/status)"
grep -o "built the statistics rows.*" "$LOG" || true
if [ -n "${KEEP_LOG:-}" ]; then cp "$LOG" "$KEEP_LOG"; fi
