/**
 * Process configuration, from the environment. Every option is documented where it is declared; the
 * README's configuration table is a copy of this list.
 */
import path from 'node:path';
import { existsSync } from 'node:fs';
import os from 'node:os';

export interface Config {
  /** Root of everything compat-matrix keeps on disk. @defaultValue `<repo>/.compat` (env COMPAT_DATA_DIR) */
  dataDir: string;
  /** @defaultValue redis://127.0.0.1:6379 (env COMPAT_REDIS_URL) */
  redisUrl: string;
  /** Prefix of every BullMQ queue and Redis key, so test runs can be isolated. @defaultValue compat (env COMPAT_PREFIX) */
  prefix: string;
  /** @defaultValue `<repo>/matrix.yaml` (env COMPAT_MATRIX) */
  matrixFile: string;
  /** HTTP port of `compat server`, bound to 127.0.0.1 unless COMPAT_HOST says otherwise. @defaultValue 8750 */
  port: number;
  host: string;
  /** Public base URL of the dashboard, used in status target_url. @defaultValue http://127.0.0.1:PORT */
  publicUrl: string;
  /**
   * Extra CA bundle mounted into containers (at /etc/ssl/certs/ca-certificates.crt) so that npm and apt
   * inside them reach registries behind TLS-intercepting proxies. @defaultValue the host's bundle if present (env COMPAT_CA_BUNDLE; "none" disables)
   */
  caBundle: string | null;
  /** Docker network the worker's containers share. @defaultValue compat-net (env COMPAT_NETWORK) */
  network: string;
  /** Identifies this worker host's long-lived database servers. @defaultValue hostname (env COMPAT_HOST_ID) */
  hostId: string;
  /** Cap on a cell side's log; the rest is dropped with a marker. @defaultValue 5 MiB (env COMPAT_LOG_LIMIT_BYTES) */
  logLimitBytes: number;
}

export const REPO_ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

function int(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`environment variable ${name} must be a positive integer, got "${raw}"`);
  return value;
}

export function loadConfig(overrides: Partial<Config> = {}): Config {
  const env = process.env;
  const port = overrides.port ?? int('COMPAT_PORT', 8750);
  const hostCa = '/etc/ssl/certs/ca-certificates.crt';
  const caEnv = env.COMPAT_CA_BUNDLE;
  const caBundle = caEnv === 'none' ? null : caEnv ? caEnv : existsSync(hostCa) ? hostCa : null;
  const host = env.COMPAT_HOST ?? '127.0.0.1';
  return {
    dataDir: path.resolve(env.COMPAT_DATA_DIR ?? path.join(REPO_ROOT, '.compat')),
    redisUrl: env.COMPAT_REDIS_URL ?? 'redis://127.0.0.1:6379',
    prefix: env.COMPAT_PREFIX ?? 'compat',
    matrixFile: path.resolve(env.COMPAT_MATRIX ?? path.join(REPO_ROOT, 'matrix.yaml')),
    host,
    publicUrl: env.COMPAT_PUBLIC_URL ?? `http://127.0.0.1:${port}`,
    caBundle,
    network: env.COMPAT_NETWORK ?? 'compat-net',
    hostId: (env.COMPAT_HOST_ID ?? os.hostname()).toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 40),
    logLimitBytes: int('COMPAT_LOG_LIMIT_BYTES', 5 * 1024 * 1024),
    ...overrides,
    port,
  };
}
