#!/usr/bin/env bash
# Page cost on a generated database (issue 17, item 9): wrk against the case list, a case
# page, "my tasks", the review queue and (issue 12) the home pages by role, each next to its floor (`gugus bench floor`: the
# page's own session lookup and queries, rows printed as text, no templates) and /healthz,
# all in the same run on the same database.
#
# Usage: bench/pages.sh BIN DB_URL KEY_FILE [DURATION_S]
#   BIN      a release build with `--features bench`
#   DB_URL   a database made with `gugus generate` (e.g. sqlite:///tmp/big.db)
#   KEY_FILE its secret key file
# The first run adds four users and (with `gugus bench tasks`) 10,000 open services and 300
# referrals to Kab. Belu; later runs reuse them.
set -euo pipefail
BIN=$1
URL=$2
KEY=$3
DUR=${4:-15}
PORT=18830
FLOOR=18831
PW='kata-sandi-bench-1'
export GUGUS_DATABASE_URL=$URL GUGUS_SECRET_KEY_FILE=$KEY GUGUS_LOG=warn
UNIT="GT PP-TPPO Kabupaten Belu"

add_user() { # username role unit
  if ! printf '%s\n' "$PW" | "$BIN" user add --username "$1" --name "Bench $1" --role "$2" --unit "$3" >/dev/null 2>&1; then
    : # already there
  fi
}
add_user bench.officer data_officer "$UNIT"
add_user bench.worker case_worker "$UNIT"
add_user bench.worker2 case_worker "GT PP-TPPO Kabupaten Kupang"
add_user bench.national verifier "Gugus Tugas PP-TPPO Nasional"
add_user bench.analyst analyst "Gugus Tugas PP-TPPO Nasional"
if [ ! -e "$KEY.tasks-filled" ]; then
  "$BIN" bench tasks --unit "$UNIT" --services 10000 --referrals 300 --seed 42 --queries 1 >/dev/null
  touch "$KEY.tasks-filled"
fi

"$BIN" serve --listen 127.0.0.1:$PORT --logins-per-minute 1000 >/dev/null 2>&1 &
server=$!
"$BIN" bench floor --listen 127.0.0.1:$FLOOR >/dev/null 2>&1 &
floor=$!
trap 'kill $server $floor 2>/dev/null || true' EXIT
until curl -sf -o /dev/null http://127.0.0.1:$PORT/healthz; do sleep 0.05; done
until curl -sf -o /dev/null http://127.0.0.1:$FLOOR/healthz; do sleep 0.05; done

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
OFFICER=$(login bench.officer)
WORKER=$(login bench.worker)
WORKER2=$(login bench.worker2)
NATIONAL=$(login bench.national)
ANALYST=$(login bench.analyst)
[ -n "$OFFICER" ] && [ -n "$WORKER" ] && [ -n "$NATIONAL" ] || { echo "login failed"; exit 1; }
# The data-quality page at national scope: the first request after the start computes it
# (cold), the second within five minutes reads the cache.
for n in cold cached; do
  t=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' -H "Cookie: gugus_session=$NATIONAL" "http://127.0.0.1:$PORT/quality")
  echo "/quality (national verifier), $n: HTTP ${t% *}, ${t#* } s"
done
CASE=$(curl -s -H "Cookie: gugus_session=$OFFICER" "http://127.0.0.1:$PORT/cases" |
  sed -n 's/.*href="\/cases\/\([0-9]*\)".*/\1/p' | head -n1)
[ -n "$CASE" ] || { echo "no case in the list"; exit 1; }
for u in "/cases" "/cases/$CASE" "/review"; do
  curl -sf -o /dev/null -H "Cookie: gugus_session=$OFFICER" "http://127.0.0.1:$PORT$u" || { echo "$u failed"; exit 1; }
done
curl -sf -o /dev/null -H "Cookie: gugus_session=$WORKER" "http://127.0.0.1:$PORT/tasks" || { echo "/tasks failed"; exit 1; }

run() { # label port path session
  local out
  out=$(wrk -t2 -c16 -d"${DUR}s" --latency -H "Cookie: gugus_session=$4" "http://127.0.0.1:$2$3")
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  local non2xx
  non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
  printf '| %s | %s | %s | %s | %s |\n' "$1" "$rps" "$p50" "$p99" "${non2xx:-0}"
}
echo "| what | requests/s | p50 | p99 | non-2xx |"
echo "| --- | ---: | ---: | ---: | ---: |"
run "/healthz" $PORT /healthz "$OFFICER"
run "floor: case list" $FLOOR /cases "$OFFICER"
run "/cases (data officer, Kab. Belu)" $PORT /cases "$OFFICER"
run "floor: case page" $FLOOR "/cases/$CASE" "$OFFICER"
run "/cases/$CASE (identities shown, audited)" $PORT "/cases/$CASE" "$OFFICER"
run "floor: my tasks" $FLOOR /tasks "$WORKER"
run "/tasks (case worker, 10,000 open services)" $PORT /tasks "$WORKER"
run "floor: my tasks, unit without services" $FLOOR /tasks "$WORKER2"
run "/tasks (case worker, unit without services)" $PORT /tasks "$WORKER2"
run "floor: review queue" $FLOOR /review "$OFFICER"
run "/review (data officer: drafts to submit)" $PORT /review "$OFFICER"
# Issue 12's home pages and totals (session 9).
run "/ (data officer: the unit's cases by state)" $PORT / "$OFFICER"
run "/ (national verifier: queue size and oldest)" $PORT / "$NATIONAL"
run "/ (national analyst: the country's cases by state)" $PORT / "$ANALYST"
run "/cases (national verifier: total counted to 10,000)" $PORT /cases "$NATIONAL"
run "/review (national verifier: total, page numbers)" $PORT /review "$NATIONAL"
run "/healthz again" $PORT /healthz "$OFFICER"
echo
echo "server VmHWM: $(awk '/VmHWM/ {print $2/1024 " MiB"}' /proc/$server/status)"
