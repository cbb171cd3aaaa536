#!/bin/sh
# MariaDB 10.11 entrypoint, compatible with the official image's environment: MARIADB_ROOT_PASSWORD
# (or MYSQL_ROOT_PASSWORD), MARIADB_DATABASE/MARIADB_USER/MARIADB_PASSWORD (or the MYSQL_ names).
# Tuned for throwaway test databases: no binary log, no doublewrite, lazy log flush.
set -eu
DATADIR=/var/lib/mysql
ROOT_PW=${MARIADB_ROOT_PASSWORD:-${MYSQL_ROOT_PASSWORD:-}}
DB=${MARIADB_DATABASE:-${MYSQL_DATABASE:-}}
DB_USER=${MARIADB_USER:-${MYSQL_USER:-}}
DB_PW=${MARIADB_PASSWORD:-${MYSQL_PASSWORD:-}}
mkdir -p /run/mysqld "$DATADIR"
chown -R mysql:mysql /run/mysqld "$DATADIR"

# SQL string literal: backslashes and quotes doubled.
quote() { printf "'%s'" "$(printf '%s' "$1" | sed -e "s/\\\\/\\\\\\\\/g" -e "s/'/''/g")"; }

init=
if [ ! -d "$DATADIR/mysql" ]; then
  [ -n "$ROOT_PW" ] || { echo "MARIADB_ROOT_PASSWORD must be set" >&2; exit 1; }
  mariadb-install-db --user=mysql --datadir="$DATADIR" --auth-root-authentication-method=normal \
    --skip-test-db --skip-name-resolve >/dev/null
  init=$(mktemp)
  {
    echo "ALTER USER 'root'@'localhost' IDENTIFIED BY $(quote "$ROOT_PW");"
    # install-db also makes password-less root@127.0.0.1 and root@::1, which would shadow root@'%' on TCP.
    echo "DROP USER IF EXISTS 'root'@'127.0.0.1';"
    echo "DROP USER IF EXISTS 'root'@'::1';"
    echo "CREATE USER 'root'@'%' IDENTIFIED BY $(quote "$ROOT_PW");"
    echo "GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;"
    if [ -n "$DB" ]; then echo "CREATE DATABASE IF NOT EXISTS \`$DB\`;"; fi
    if [ -n "$DB_USER" ]; then
      echo "CREATE USER '$DB_USER'@'%' IDENTIFIED BY $(quote "$DB_PW");"
      if [ -n "$DB" ]; then echo "GRANT ALL ON \`$DB\`.* TO '$DB_USER'@'%';"; fi
    fi
    echo "FLUSH PRIVILEGES;"
  } >"$init"
  chown mysql "$init"
fi

exec mariadbd --user=mysql --datadir="$DATADIR" --bind-address=0.0.0.0 --port=3306 \
  --socket=/run/mysqld/mysqld.sock --skip-name-resolve --skip-log-bin \
  --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 --max-connections=300 \
  ${init:+--init-file="$init"} "$@"
