#!/usr/bin/env bash
# The national set-up, rehearsed on one machine: two stateless `gugus serve` nodes behind
# nginx (round robin), on a PostgreSQL 15 primary with a synchronous streaming standby.
# Under write load (API case creations through nginx, every acknowledged id recorded) the
# primary is killed (`pg_ctl stop -m immediate`), the standby promoted (`pg_ctl promote`),
# and the nodes reconnect through HAProxy, which sends database connections to whichever
# server is up (sqlx does not take libpq's multi-host URLs). At the end every acknowledged
# case must be on the new primary, and the audit chain must verify there.
#
# Run by hand, as root (it runs the clusters as the `postgres` OS user), from the repo:
#   apt-get install -y nginx haproxy curl jq     # Debian's PostgreSQL 15 is assumed
#   deploy/standby/failover.sh                    # LOAD_S=20 AFTER_S=20 WRITERS=4 KEEP=1 ...
# It uses ports 5433 (primary), 5434 (standby), 6432 (HAProxy → PostgreSQL), 8090 (nginx)
# and 8091/8092 (the nodes), and a temporary directory; it never touches a server on 5432.
# Not run in CI: it needs root, nginx and HAProxy, and takes about a minute.
set -euo pipefail
cd "$(dirname "$0")/../.."
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
BIN=${GUGUS_BIN:-target/release/gugus}
[ -x "$BIN" ] || BIN=target/debug/gugus
[ -x "$BIN" ] || { echo "build gugus first: cargo build --release -p gugus" >&2; exit 1; }
BIN=$(realpath "$BIN")
LOAD_S=${LOAD_S:-20}      # seconds of write load before the primary is killed
AFTER_S=${AFTER_S:-20}    # seconds of write load after it
WRITERS=${WRITERS:-4}     # concurrent writer loops
P1=5433 P2=5434 PGPROXY=6432 HTTP=8090 N1=8091 N2=8092
WORK=$(mktemp -d /tmp/gugus-standby.XXXXXX)
chmod 755 "$WORK"
chown postgres "$WORK"
as_pg() { runuser -u postgres -- "$@"; }
ms_now() { date +%s%3N; }
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }

cleanup() {
  set +e
  touch "$WORK/stop"
  for f in "$WORK"/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
  wait 2>/dev/null
  for d in primary standby; do
    [ -f "$WORK/$d/postmaster.pid" ] && as_pg "$PGBIN/pg_ctl" -D "$WORK/$d" -m immediate stop >/dev/null 2>&1
  done
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# 1. The primary: WAL for replication. Commits wait for the standby's flush once it is
#    attached (synchronous_standby_names is set in step 2: before that, a commit would wait
#    for a standby that does not exist yet).
log "primary on $P1"
as_pg "$PGBIN/initdb" -D "$WORK/primary" -A trust -U postgres >/dev/null
cat >> "$WORK/primary/postgresql.conf" <<EOF
port = $P1
listen_addresses = '127.0.0.1'
unix_socket_directories = '$WORK'
wal_level = replica
max_wal_senders = 5
synchronous_commit = on
EOF
as_pg "$PGBIN/pg_ctl" -D "$WORK/primary" -l "$WORK/primary.log" -w start >/dev/null \
  || { tail -n 20 "$WORK/primary.log" >&2; exit 1; }
as_pg "$PGBIN/createdb" -h 127.0.0.1 -p $P1 gugus

# 2. The standby: a base backup with -R (standby.signal and primary_conninfo), named
#    standby1 so the primary's synchronous_standby_names picks it. Once promoted it has no
#    standby of its own, so it must not wait for one (synchronous_standby_names = '').
log "standby on $P2 (pg_basebackup -R)"
as_pg "$PGBIN/pg_basebackup" -d "host=127.0.0.1 port=$P1 user=postgres application_name=standby1" \
  -D "$WORK/standby" -R -X stream -c fast
cat >> "$WORK/standby/postgresql.conf" <<EOF
port = $P2
synchronous_standby_names = ''
EOF
as_pg "$PGBIN/pg_ctl" -D "$WORK/standby" -l "$WORK/standby.log" -w start >/dev/null \
  || { tail -n 20 "$WORK/standby.log" >&2; exit 1; }
psql -h 127.0.0.1 -p $P1 -U postgres -qc "ALTER SYSTEM SET synchronous_standby_names = 'standby1'" \
  -qc "SELECT pg_reload_conf()" >/dev/null
for _ in $(seq 1 100); do
  state=$(psql -h 127.0.0.1 -p $P1 -U postgres -Atc "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby1'")
  [ "$state" = sync ] && break
  sleep 0.1
done
[ "$state" = sync ] || { echo "the standby is not synchronous: '$state'" >&2; exit 1; }
log "replication: standby1 is $state"

# 3. HAProxy in front of PostgreSQL: the primary, or (when it is down) the standby. A
#    connection to a server marked down is cut, so the nodes' pools reconnect.
cat > "$WORK/haproxy.cfg" <<EOF
global
    maxconn 200
defaults
    mode tcp
    # A refused connection is retried after up to 1 s, per retry: once is enough, and
    # "redispatch" sends the retry to the server that is up.
    retries 1
    option redispatch 1
    timeout connect 1s
    timeout client 1h
    timeout server 1h
listen postgres
    bind 127.0.0.1:$PGPROXY
    option pgsql-check user postgres
    default-server inter 200ms fall 1 rise 2 on-marked-down shutdown-sessions
    server primary 127.0.0.1:$P1 check
    server standby 127.0.0.1:$P2 check backup
EOF
haproxy -f "$WORK/haproxy.cfg" -D -p "$WORK/haproxy.pid"
DB="postgres://postgres@127.0.0.1:$PGPROXY/gugus"

# 4. Gugus: one key for both nodes, the schema and regions, a data officer, its API token.
export GUGUS_SECRET_KEY_FILE="$WORK/gugus.key" GUGUS_LOG=warn
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$GUGUS_SECRET_KEY_FILE"
chmod 600 "$GUGUS_SECRET_KEY_FILE"
log "migrate"
"$BIN" migrate --database-url "$DB" >/dev/null
PASSWORD="failover-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
echo "$PASSWORD" | "$BIN" user add --database-url "$DB" --username data.failover \
  --name "Petugas Uji Failover" --role data_officer >/dev/null
for n in 1 2; do
  port=$([ $n = 1 ] && echo $N1 || echo $N2)
  GUGUS_AUDIT_CHECKPOINT_FILE="$WORK/checkpoints-$n.txt" "$BIN" serve --database-url "$DB" \
    --listen 127.0.0.1:$port --trust-proxy --logins-per-minute 1000 >"$WORK/node$n.log" 2>&1 &
  echo $! > "$WORK/node$n.pid"
done
mkdir -p "$WORK/nginx"
cat > "$WORK/nginx/nginx.conf" <<EOF
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 256; }
http {
    access_log $WORK/nginx-access.log;
    log_format up '\$upstream_addr \$status';
    upstream gugus {
        server 127.0.0.1:$N1 max_fails=0;
        server 127.0.0.1:$N2 max_fails=0;
    }
    server {
        listen 127.0.0.1:$HTTP;
        access_log $WORK/upstreams.log up;
        location / {
            proxy_pass http://gugus;
            proxy_set_header Host \$host;
            proxy_set_header X-Forwarded-For \$remote_addr;
            # A POST is not retried on the other node (it may have been written).
            proxy_next_upstream error timeout;
        }
    }
}
EOF
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf"
BASE="http://127.0.0.1:$HTTP"
until curl -sf -o /dev/null "http://127.0.0.1:$N1/healthz" && curl -sf -o /dev/null "http://127.0.0.1:$N2/healthz"; do sleep 0.1; done
JAR="$WORK/jar"
csrf=$(curl -s -c "$JAR" "$BASE/login" | sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' | head -n1)
curl -s -b "$JAR" -c "$JAR" -o /dev/null --data-urlencode "csrf=$csrf" --data-urlencode "username=data.failover" \
  --data-urlencode "password=$PASSWORD" "$BASE/login"
csrf=$(curl -s -b "$JAR" -c "$JAR" "$BASE/account" | sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' | head -n1)
TOKEN=$(curl -s -b "$JAR" -c "$JAR" --data-urlencode "csrf=$csrf" --data-urlencode "name=failover" \
  --data-urlencode "days=1" "$BASE/account/tokens" | sed -n 's/.*id="new-token">\(gug_[^<]*\)<.*/\1/p')
[ -n "$TOKEN" ] || { echo "no API token" >&2; exit 1; }

# 5. Write load: each writer creates cases in a loop and records, per request, its start
#    and end (ms), the HTTP status and the id of an acknowledged (201) case.
writer() {
  local w=$1 i=0
  while [ ! -f "$WORK/stop" ]; do
    i=$((i + 1))
    local body t0 out t1 code id
    body=$(printf '{"channel":"police","reported_on":"2026-03-02","rescued_on":"2026-02-20","trafficking_status":"confirmed","exploitation":["forced_labour"],"chronology":"Uji failover %s-%s.","victims":[{"name":"Korban Uji %s %s","sex":"female","birth_date":"1999-08-17"}]}' "$w" "$i" "$w" "$i")
    t0=$(ms_now)
    out=$(curl -s -m 10 -w '\n%{http_code}' -H "Authorization: Bearer $TOKEN" \
      -H 'Content-Type: application/json' -d "$body" "$BASE/api/v1/cases" || true)
    t1=$(ms_now)
    code=$(tail -n1 <<<"$out")
    id=""
    [ "$code" = 201 ] && id=$(head -n-1 <<<"$out" | jq -r .id)
    echo "$t0 $t1 $code $id" >> "$WORK/writes-$w.txt"
  done
}
log "write load: $WRITERS writers, ${LOAD_S}s before the kill"
WPIDS=()
for w in $(seq 1 "$WRITERS"); do writer "$w" & WPIDS+=($!); done
sleep "$LOAD_S"

# 6. The primary dies; the standby is promoted at once (by hand here; by a failover
#    manager such as Patroni or pg_auto_failover in production).
T_KILL=$(ms_now)
as_pg "$PGBIN/pg_ctl" -D "$WORK/primary" -m immediate stop >/dev/null
log "primary killed"
as_pg "$PGBIN/pg_ctl" -D "$WORK/standby" -w promote >/dev/null
T_PROMOTED=$(ms_now)
log "standby promoted after $((T_PROMOTED - T_KILL)) ms"
sleep "$AFTER_S"
touch "$WORK/stop"
wait "${WPIDS[@]}" 2>/dev/null || true

# 7. The figures.
cat "$WORK"/writes-*.txt > "$WORK/writes.txt"
acked=$(awk '$3 == 201 {print $4}' "$WORK/writes.txt" | sort -n)
n_acked=$(wc -w <<<"$acked")
failed=$(awk '$3 != 201' "$WORK/writes.txt" | wc -l)
codes=$(awk '$3 != 201 {print $3}' "$WORK/writes.txt" | sort | uniq -c | awk '{printf "%s×%s ", $1, $2}')
before=$(awk -v k="$T_KILL" '$3 == 201 && $2 <= k' "$WORK/writes.txt" | wc -l)
first_after=$(awk -v k="$T_KILL" '$3 == 201 && $1 >= k {print $2}' "$WORK/writes.txt" | sort -n | head -n1)
ids=$(tr '\n' ',' <<<"$acked" | sed 's/,$//')
present=$(psql -h 127.0.0.1 -p $P2 -U postgres -d gugus -Atc "SELECT COUNT(*) FROM cases WHERE id IN ($ids)")
in_recovery=$(psql -h 127.0.0.1 -p $P2 -U postgres -d gugus -Atc "SELECT pg_is_in_recovery()")
leases=$(psql -h 127.0.0.1 -p $P2 -U postgres -d gugus -Atc "SELECT job || '=' || holder FROM job_leases ORDER BY job" | tr '\n' ' ')
nodes_used=$(awk '{print $1}' "$WORK/upstreams.log" | sort | uniq -c | tr -s ' ' | tr '\n' ';')
verify=$("$BIN" audit verify --database-url "postgres://postgres@127.0.0.1:$P2/gugus" 2>&1 | tail -n1)

echo "# Gugus failover rehearsal — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(basename "$BIN") build ($BIN)"
echo "writers: $WRITERS; load ${LOAD_S}s before the kill, ${AFTER_S}s after"
echo "requests: $(wc -l < "$WORK/writes.txt"); acknowledged (201): $n_acked ($before before the kill); not acknowledged: $failed ${codes:+(HTTP $codes— refused to the client, which retries)}"
echo "kill → standby promoted: $((T_PROMOTED - T_KILL)) ms"
if [ -n "$first_after" ]; then
  echo "failover time (kill → first acknowledged write sent after the kill): $((first_after - T_KILL)) ms"
else
  echo "failover time: no write succeeded after the kill"
fi
echo "acknowledged cases on the new primary: $present of $n_acked; writes lost: $((n_acked - present))"
echo "new primary in recovery: $in_recovery (f = read-write)"
echo "job leases: $leases"
echo "requests by node (nginx upstream): $nodes_used"
echo "audit verify on the new primary: $verify"
[ "$present" = "$n_acked" ] || { echo "FAIL: acknowledged writes are missing" >&2; exit 1; }
