/**
 * Process configuration, from the environment. Every option is documented where it is declared; the
 * README's configuration table is a copy of this list.
 */
import path from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { DEFAULT_REGISTRY_URLS, type RegistryUrls } from './registry/published.js';

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
  /**
   * What one cell's user may take of a shared database server (shared by every cell of the host): its
   * connections at once (PostgreSQL `CONNECTION LIMIT`, MariaDB `MAX_USER_CONNECTIONS`; the servers
   * allow 300 in all) and how long one statement may run (`statement_timeout`, `MAX_STATEMENT_TIME`),
   * kept well below a cell's own time limit (600 s by default) so a runaway query ends before the cell
   * does. Cells with a server of their own (`fixedConnection`) have no such limits.
   * @defaultValue 50 connections, 300 s (env COMPAT_CELL_DB_CONNECTIONS, COMPAT_CELL_DB_STATEMENT_SECONDS)
   */
  cellDatabaseLimits: CellDatabaseLimits;
  /** Cap on a cell side's log; the rest is dropped with a marker. @defaultValue 5 MiB (env COMPAT_LOG_LIMIT_BYTES) */
  logLimitBytes: number;
  /**
   * Cap on one built artifact (all files of $COMPAT_ARTIFACT_DIR together): a larger one fails its build.
   * It is kept in Redis and copied to every worker host. @defaultValue 200 MB (env COMPAT_ARTIFACT_LIMIT_MB)
   */
  artifactLimitMb: number;
  /**
   * Webhook secrets per library, keyed by {@link secretKey} of the library name: env
   * COMPAT_WEBHOOK_SECRET_<LIBRARY> (upper case, anything but letters and digits as "_"), and/or a JSON
   * file `{"<library>": "<secret>", "*": "<default>"}` named by COMPAT_WEBHOOK_SECRETS_FILE. Read them
   * with {@link webhookSecretFor}. @defaultValue none
   */
  webhookSecrets: Record<string, string>;
  /** Secret for libraries that have none of their own (an organisation-wide hook). @defaultValue none (env COMPAT_WEBHOOK_SECRET) */
  webhookSecretDefault: string | null;
  /** Largest webhook body accepted; a larger one gets 413. @defaultValue 1 MiB (env COMPAT_WEBHOOK_BODY_LIMIT_BYTES) */
  webhookBodyLimitBytes: number;
  /** GitHub REST API base, for commit statuses (GitHub Enterprise: https://HOST/api/v3). @defaultValue https://api.github.com (env COMPAT_GITHUB_API_URL) */
  githubApiUrl: string;
  /** Token that may write commit statuses; without it no GitHub status is posted. @defaultValue none (env COMPAT_GITHUB_TOKEN) */
  githubToken: string | null;
  /** GitHub App id, for check runs (with githubAppPrivateKey). @defaultValue none (env COMPAT_GITHUB_APP_ID) */
  githubAppId: string | null;
  /** The App's private key (PEM), read from the file env COMPAT_GITHUB_APP_PRIVATE_KEY_FILE names. @defaultValue none */
  githubAppPrivateKey: string | null;
  /** GitLab REST API base, for commit statuses. @defaultValue https://gitlab.com/api/v4 (env COMPAT_GITLAB_API_URL) */
  gitlabApiUrl: string;
  /** Token (api scope) that may write commit statuses; without it no GitLab status is posted. @defaultValue none (env COMPAT_GITLAB_TOKEN) */
  gitlabToken: string | null;
  /**
   * A consumer's install runs once per worker host and key, then every side starts from the container
   * filesystem it left (an image). "off" runs it on every side. @defaultValue on (env COMPAT_SNAPSHOTS)
   */
  snapshots: boolean;
  /** Disk the install snapshots of this deployment may take on a worker host; least recently used go first. @defaultValue 10240 (env COMPAT_SNAPSHOT_BUDGET_MB) */
  snapshotBudgetMb: number;
  /** npm and pip caches per worker host, mounted into install steps. "off" disables. @defaultValue on (env COMPAT_PACKAGE_CACHES) */
  packageCaches: boolean;
  /** How long a baseline side's result may be reused by later runs; 0 never reuses. @defaultValue 7 (env COMPAT_BASELINE_REUSE_DAYS) */
  baselineReuseDays: number;
  /** Package registries that libraries with `registry:` take their baselines from. @defaultValue npm and PyPI (env COMPAT_NPM_REGISTRY, COMPAT_PYPI_URL) */
  registries: RegistryUrls;
  /**
   * A private deployment: every route but /healthz and the webhooks needs a token (read or write scope),
   * the dashboard included (it asks for one and keeps it in a cookie). @defaultValue false: reads are
   * public (env COMPAT_READ_TOKEN_REQUIRED=1)
   */
  readTokenRequired: boolean;
  /**
   * How many long-lived answers the server holds at once, in total and per client address: followed
   * logs and `/events` streams. Past a cap the request gets 429 naming it. @defaultValue 1000 in total and
   * 50 per client for each (env COMPAT_MAX_LOG_FOLLOWERS, COMPAT_MAX_LOG_FOLLOWERS_PER_CLIENT,
   * COMPAT_MAX_EVENT_LISTENERS, COMPAT_MAX_EVENT_LISTENERS_PER_CLIENT)
   */
  streamCaps: StreamCaps;
}

export interface StreamCaps {
  logFollowers: number;
  logFollowersPerClient: number;
  eventListeners: number;
  eventListenersPerClient: number;
}

export const REPO_ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

/** An on/off switch: on/1/true/yes or off/0/false/no (any case); unset or empty takes the fallback. */
function flag(name: string, fallback = false): boolean {
  const raw = (process.env[name] ?? '').trim().toLowerCase();
  if (raw === '') return fallback;
  if (['on', '1', 'true', 'yes'].includes(raw)) return true;
  if (['off', '0', 'false', 'no'].includes(raw)) return false;
  throw new Error(`environment variable ${name} must be on/1 or off/0, got "${process.env[name]}"`);
}

function nonNegative(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`environment variable ${name} must be a number >= 0, got "${raw}"`);
  return value;
}

function int(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`environment variable ${name} must be a positive integer, got "${raw}"`);
  return value;
}

/** The form a library name takes in an environment variable name: `sql-alchemy` -> `SQL_ALCHEMY`. */
export function secretKey(library: string): string {
  return library.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

const SECRET_ENV_PREFIX = 'COMPAT_WEBHOOK_SECRET_';

function webhookSecretsFrom(env: NodeJS.ProcessEnv): { secrets: Record<string, string>; fallback: string | null } {
  const secrets: Record<string, string> = {};
  let fallback = env.COMPAT_WEBHOOK_SECRET || null;
  const file = env.COMPAT_WEBHOOK_SECRETS_FILE;
  if (file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      // The message names the file, never its content.
      throw new Error(`COMPAT_WEBHOOK_SECRETS_FILE ${file}: ${(error as Error).message.split('\n')[0]}`);
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new Error(`COMPAT_WEBHOOK_SECRETS_FILE ${file}: must be a JSON object {"<library>": "<secret>"}`);
    }
    for (const [library, secret] of Object.entries(parsed)) {
      if (typeof secret !== 'string' || secret.length === 0) throw new Error(`COMPAT_WEBHOOK_SECRETS_FILE ${file}: the secret of "${library}" must be a non-empty string`);
      if (library === '*') fallback ??= secret;
      else secrets[secretKey(library)] = secret;
    }
  }
  // The environment wins over the file, so one secret can be rotated without editing it.
  for (const [name, value] of Object.entries(env)) {
    if (name.startsWith(SECRET_ENV_PREFIX) && name.length > SECRET_ENV_PREFIX.length && value) secrets[name.slice(SECRET_ENV_PREFIX.length)] = value;
  }
  return { secrets, fallback };
}

/** The secret a library's webhooks are signed with: its own, else the default, else null (refused). */
export function webhookSecretFor(config: Pick<Config, 'webhookSecrets' | 'webhookSecretDefault'>, library: string): string | null {
  return config.webhookSecrets[secretKey(library)] ?? config.webhookSecretDefault ?? null;
}

export interface CellDatabaseLimits {
  connections: number;
  statementSeconds: number;
}

export function loadConfig(overrides: Partial<Config> = {}): Config {
  const env = process.env;
  const port = overrides.port ?? int('COMPAT_PORT', 8750);
  const hostCa = '/etc/ssl/certs/ca-certificates.crt';
  const caEnv = env.COMPAT_CA_BUNDLE;
  const caBundle = caEnv === 'none' ? null : caEnv ? caEnv : existsSync(hostCa) ? hostCa : null;
  const host = env.COMPAT_HOST ?? '127.0.0.1';
  const webhooks = overrides.webhookSecrets ? { secrets: overrides.webhookSecrets, fallback: overrides.webhookSecretDefault ?? null } : webhookSecretsFrom(env);
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
    cellDatabaseLimits: { connections: int('COMPAT_CELL_DB_CONNECTIONS', 50), statementSeconds: int('COMPAT_CELL_DB_STATEMENT_SECONDS', 300) },
    logLimitBytes: int('COMPAT_LOG_LIMIT_BYTES', 5 * 1024 * 1024),
    artifactLimitMb: int('COMPAT_ARTIFACT_LIMIT_MB', 200),
    webhookSecrets: webhooks.secrets,
    webhookSecretDefault: webhooks.fallback,
    webhookBodyLimitBytes: int('COMPAT_WEBHOOK_BODY_LIMIT_BYTES', 1024 * 1024),
    githubApiUrl: (env.COMPAT_GITHUB_API_URL || 'https://api.github.com').replace(/\/+$/, ''),
    githubToken: env.COMPAT_GITHUB_TOKEN || null,
    githubAppId: env.COMPAT_GITHUB_APP_ID || null,
    githubAppPrivateKey: env.COMPAT_GITHUB_APP_PRIVATE_KEY_FILE ? readFileSync(env.COMPAT_GITHUB_APP_PRIVATE_KEY_FILE, 'utf8') : null,
    gitlabApiUrl: (env.COMPAT_GITLAB_API_URL || 'https://gitlab.com/api/v4').replace(/\/+$/, ''),
    gitlabToken: env.COMPAT_GITLAB_TOKEN || null,
    snapshots: flag('COMPAT_SNAPSHOTS', true),
    snapshotBudgetMb: nonNegative('COMPAT_SNAPSHOT_BUDGET_MB', 10240),
    packageCaches: flag('COMPAT_PACKAGE_CACHES', true),
    baselineReuseDays: nonNegative('COMPAT_BASELINE_REUSE_DAYS', 7),
    registries: {
      npm: (env.COMPAT_NPM_REGISTRY || DEFAULT_REGISTRY_URLS.npm).replace(/\/+$/, ''),
      pypi: (env.COMPAT_PYPI_URL || DEFAULT_REGISTRY_URLS.pypi).replace(/\/+$/, ''),
    },
    readTokenRequired: flag('COMPAT_READ_TOKEN_REQUIRED'),
    streamCaps: {
      logFollowers: int('COMPAT_MAX_LOG_FOLLOWERS', 1000),
      logFollowersPerClient: int('COMPAT_MAX_LOG_FOLLOWERS_PER_CLIENT', 50),
      eventListeners: int('COMPAT_MAX_EVENT_LISTENERS', 1000),
      eventListenersPerClient: int('COMPAT_MAX_EVENT_LISTENERS_PER_CLIENT', 50),
    },
    ...overrides,
    port,
  };
}
