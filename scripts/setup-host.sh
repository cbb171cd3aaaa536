#!/usr/bin/env bash
# Prepares this machine for compat-matrix, idempotently: Debian packages (Docker engine, Redis,
# debootstrap, chromium for the dashboard tests), a running dockerd and Redis, npm dependencies and
# the images matrix.yaml names. Safe to run again and again; each step skips what is already done.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DATA_DIR=${COMPAT_DATA_DIR:-$ROOT/.compat}
mkdir -p "$DATA_DIR/run" "$DATA_DIR/logs"
log() { printf '[setup] %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# 1. Debian packages. docker.io brings dockerd; the client may already be elsewhere on PATH.
need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v redis-server >/dev/null || need+=(redis-server)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v git >/dev/null || need+=(git)
command -v sqlite3 >/dev/null || need+=(sqlite3)
command -v docker-compose >/dev/null || need+=(docker-compose)
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -f /etc/ssl/certs/ca-certificates.crt ] || need+=(ca-certificates)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# 2. Docker engine. Started in the background when no daemon answers; waits until it does.
if ! docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then
  log "starting dockerd"
  as_root sh -c 'nohup dockerd >/var/log/compat-dockerd.log 2>&1 &'
  for _ in $(seq 1 60); do
    docker version --format '{{.Server.Version}}' >/dev/null 2>&1 && break
    sleep 1
  done
  docker version --format '{{.Server.Version}}' >/dev/null 2>&1 || { log "dockerd did not start; see /var/log/compat-dockerd.log"; exit 1; }
fi

# 3. Redis on loopback, with append-only persistence (a restart loses no job) and no eviction
#    (BullMQ needs every key it wrote).
REDIS_URL=${COMPAT_REDIS_URL:-redis://127.0.0.1:6379}
REDIS_PORT=$(printf '%s' "$REDIS_URL" | sed -E 's#^redis://([^@/]*@)?[^:/]+:?([0-9]*).*#\2#')
REDIS_PORT=${REDIS_PORT:-6379}
if ! redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
  log "starting redis on 127.0.0.1:$REDIS_PORT"
  mkdir -p "$DATA_DIR/redis"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes \
    --dir "$DATA_DIR/redis" --appendonly yes --appendfsync everysec \
    --maxmemory-policy noeviction --logfile "$DATA_DIR/logs/redis.log" >/dev/null
  for _ in $(seq 1 30); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.2; done
fi

# 4. npm dependencies, when the lockfile changed since the last install.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

# 5. The dashboard's bundle (a few seconds with esbuild; the server serves what is there when it starts).
node dashboards/build.js >/dev/null

# 6. Images matrix.yaml names (and the fixtures' runner, Redis and the service for docker-compose.yml),
#    built offline where nothing can be pulled. The example repositories first: the service image has them.
if [ "${COMPAT_SKIP_IMAGES:-0}" != 1 ]; then
  node --import tsx examples/materialize.ts >/dev/null
  node bin/compat.js images
fi
log "ready"
