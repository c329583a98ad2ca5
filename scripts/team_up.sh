#!/usr/bin/env bash
# A shiftbrief team on one machine (docs/team.md):
#   PostgreSQL  — a cluster in $TEAM_DIR/postgres, run as its own user, on 127.0.0.1:$PG_PORT
#   Chroma      — `chroma run` on 127.0.0.1:$CHROMA_PORT, its data in $TEAM_DIR/chroma
#   corpus/     — ingested once into the shared library
#   two apps    — Streamlit on each of $APP_PORTS, each with its own data directory (caches only)
# The settings every node uses are written to $TEAM_DIR/team.env (source it to run more workers).
# Ctrl-C stops everything this script started.
#
#   bash scripts/team_up.sh [VENV]        (make team)
set -euo pipefail

VENV=${1:-.venv}
TEAM_DIR=${TEAM_DIR:-data/team}
PG_PORT=${PG_PORT:-5433}
CHROMA_PORT=${CHROMA_PORT:-8000}
APP_PORTS=${APP_PORTS:-"8501 8502"}
LIBRARY=${SHIFTBRIEF_LIBRARY:-shiftbrief}
PG_USER=shiftbrief-pg  # PostgreSQL refuses to run as root

PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$PGBIN/initdb" ] || { echo "PostgreSQL is not installed: run \`make install-postgres\`" >&2; exit 1; }
mkdir -p "$TEAM_DIR"
TEAM_DIR=$(realpath "$TEAM_DIR")
PGDATA="$TEAM_DIR/postgres"

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u "$PG_USER" -- "$@"; else "$@"; fi
}

if [ "$(id -u)" = 0 ] && ! id "$PG_USER" >/dev/null 2>&1; then
  useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_USER"
fi

# The cluster's password stays in the team directory (mode 0600), never on a command line.
if [ ! -f "$PGDATA/PG_VERSION" ]; then
  mkdir -p "$PGDATA"
  [ "$(id -u)" = 0 ] && chown "$PG_USER" "$PGDATA"
  chmod 700 "$PGDATA"
  umask 077
  python3 -c "import secrets; print(secrets.token_urlsafe(24))" > "$TEAM_DIR/postgres.password"
  PWFILE="$TEAM_DIR/postgres.pwfile"  # initdb wants an empty data directory
  cp "$TEAM_DIR/postgres.password" "$PWFILE"
  [ "$(id -u)" = 0 ] && chown "$PG_USER" "$PWFILE"
  if ! as_pg "$PGBIN/initdb" -D "$PGDATA" -U shiftbrief --pwfile="$PWFILE" --auth=scram-sha-256 \
      -E UTF8 --locale=C.UTF-8 >"$TEAM_DIR/initdb.log" 2>&1; then
    rm -f "$PWFILE"
    rm -rf "$PGDATA"
    echo "initdb failed (see $TEAM_DIR/initdb.log); the user $PG_USER must be able to reach $PGDATA" >&2
    exit 1
  fi
  rm -f "$PWFILE"
fi
PASSWORD=$(cat "$TEAM_DIR/postgres.password")
DATABASE_URL="postgresql://shiftbrief:${PASSWORD}@127.0.0.1:${PG_PORT}/shiftbrief"

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null 2>&1 || true
}
trap cleanup EXIT INT TERM

# Keepalives: a worker whose machine vanishes loses its document claims within about a minute.
as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w start -o \
  "-p $PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories='$PGDATA' \
   -c tcp_keepalives_idle=30 -c tcp_keepalives_interval=10 -c tcp_keepalives_count=3" >/dev/null
if ! PGPASSWORD=$PASSWORD "$PGBIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U shiftbrief -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = 'shiftbrief'" | grep -q 1; then
  PGPASSWORD=$PASSWORD "$PGBIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U shiftbrief shiftbrief
fi
echo "PostgreSQL on 127.0.0.1:$PG_PORT (data $PGDATA)"

"$VENV/bin/chroma" run --path "$TEAM_DIR/chroma" --host 127.0.0.1 --port "$CHROMA_PORT" \
  >"$TEAM_DIR/chroma.log" 2>&1 &
pids+=($!)
"$VENV/bin/python" - "$CHROMA_PORT" <<'EOF'
import sys, time, urllib.request
for _ in range(300):
    try:
        if urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/api/v2/heartbeat", timeout=1).status == 200:
            break
    except OSError:
        time.sleep(0.2)
else:
    sys.exit("the Chroma server did not start; see its log")
EOF
echo "Chroma on 127.0.0.1:$CHROMA_PORT (data $TEAM_DIR/chroma)"

umask 077
cat >"$TEAM_DIR/team.env" <<EOF
export SHIFTBRIEF_DATABASE_URL='$DATABASE_URL'
export CHROMA_HOST=127.0.0.1
export CHROMA_PORT=$CHROMA_PORT
export SHIFTBRIEF_LIBRARY=$LIBRARY
EOF
umask 022
# shellcheck disable=SC1091
source "$TEAM_DIR/team.env"

SHIFTBRIEF_DATA_DIR="$TEAM_DIR/node-ingest" "$VENV/bin/shiftbrief" ingest corpus/
for port in $APP_PORTS; do
  SHIFTBRIEF_DATA_DIR="$TEAM_DIR/node-$port" "$VENV/bin/streamlit" run app.py --server.address 127.0.0.1 \
    --server.port "$port" --server.headless true >"$TEAM_DIR/app-$port.log" 2>&1 &
  pids+=($!)
  echo "app on http://127.0.0.1:$port (caches in $TEAM_DIR/node-$port)"
done
echo "More workers: source $TEAM_DIR/team.env, set SHIFTBRIEF_DATA_DIR, run shiftbrief ingest. Ctrl-C stops all."
wait
