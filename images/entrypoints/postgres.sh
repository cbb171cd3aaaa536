#!/bin/sh
# PostgreSQL 15 entrypoint, compatible with the official image's environment: POSTGRES_PASSWORD
# (required), POSTGRES_USER (default postgres), POSTGRES_DB (default = user), PGDATA.
# Tuned for throwaway test databases: durability off (fsync, synchronous_commit, full_page_writes).
set -eu
BIN=/usr/lib/postgresql/15/bin
PGDATA=${PGDATA:-/var/lib/postgresql/data}
USER_NAME=${POSTGRES_USER:-postgres}
DB_NAME=${POSTGRES_DB:-$USER_NAME}
mkdir -p "$PGDATA" /run/postgresql
chown -R postgres:postgres "$PGDATA" /run/postgresql
chmod 700 "$PGDATA"
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  : "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set}"
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  chown postgres "$pwfile"
  as_postgres "$BIN/initdb" -D "$PGDATA" -U "$USER_NAME" --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  if [ "$DB_NAME" != postgres ]; then
    # Single-user mode: the database exists before the server first listens.
    echo "CREATE DATABASE \"$DB_NAME\" OWNER \"$USER_NAME\";" | as_postgres "$BIN/postgres" --single -D "$PGDATA" postgres >/dev/null
  fi
fi

exec setpriv --reuid=postgres --regid=postgres --init-groups "$BIN/postgres" -D "$PGDATA" \
  -c listen_addresses='*' -c unix_socket_directories=/run/postgresql \
  -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 "$@"
