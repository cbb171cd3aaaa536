/** The CLI's HTTP client for a compat server (local by default). */
import { existsSync, readFileSync } from 'node:fs';
import type { Config } from '../common/config.js';
import type { QuarantineEntry, QuarantineListJson } from '../common/quarantine/entry.js';
import type { FlakesJson } from '../common/flakes/rule.js';
import type { BisectJson, GateJson, RunJson } from '../common/wire.js';
import { localTokenFile } from '../server/auth/tokens.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export class Client {
  constructor(
    readonly baseUrl: string,
    private readonly token: string | null,
  ) {}

  static for(config: Config): Client {
    const url = process.env.COMPAT_SERVER_URL ?? `http://127.0.0.1:${config.port}`;
    const file = localTokenFile(config.dataDir);
    const token = process.env.COMPAT_TOKEN ?? (existsSync(file) ? readFileSync(file, 'utf8').trim() : null);
    return new Client(url.replace(/\/$/, ''), token);
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    // Reads too: a private deployment (COMPAT_READ_TOKEN_REQUIRED=1) answers nothing without a token.
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    const res = await fetch(`${this.baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(120_000) });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = { error: text };
    }
    if (!res.ok) throw new ApiError(res.status, (json as { error?: string }).error ?? res.statusText);
    return json as T;
  }

  async healthy(): Promise<boolean> {
    try {
      const res = await fetch(`${this.baseUrl}/healthz`, { signal: AbortSignal.timeout(2000) });
      return res.ok;
    } catch {
      return false;
    }
  }

  createRun(body: unknown): Promise<{ id: string; run: RunJson }> {
    return this.request('POST', '/api/runs', body);
  }

  getRun(id: string): Promise<RunJson> {
    return this.request('GET', `/api/runs/${encodeURIComponent(id)}`);
  }

  startBisect(runId: string, cellId: string): Promise<{ bisect: BisectJson }> {
    return this.request('POST', `/api/runs/${encodeURIComponent(runId)}/cells/${encodeURIComponent(cellId)}/bisect`);
  }

  cancelRun(runId: string): Promise<{ run: RunJson }> {
    return this.request('POST', `/api/runs/${encodeURIComponent(runId)}/cancel`);
  }

  calibrate(body: { library: string; consumers?: string[]; runs?: number; version?: string }): Promise<{ version: string; runs: string[] }> {
    return this.request('POST', '/api/calibrations', body);
  }

  flakes(library: string, consumer?: string): Promise<FlakesJson> {
    return this.request('GET', `/api/flakes?library=${encodeURIComponent(library)}${consumer ? `&consumer=${encodeURIComponent(consumer)}` : ''}`);
  }

  quarantineList(filter: { library?: string; consumer?: string }): Promise<QuarantineListJson> {
    const query = new URLSearchParams(Object.entries(filter).filter((e): e is [string, string] => Boolean(e[1]))).toString();
    return this.request('GET', `/api/quarantine${query ? `?${query}` : ''}`);
  }

  quarantineAdd(body: { library: string; consumer: string; test: string; reason: string; until: string }): Promise<QuarantineEntry> {
    return this.request('POST', '/api/quarantine', body);
  }

  quarantineRemove(body: { library: string; consumer: string; test: string }): Promise<unknown> {
    return this.request('DELETE', '/api/quarantine', body);
  }

  gate(library: string, version: string): Promise<GateJson> {
    return this.request('GET', `/api/gate?library=${encodeURIComponent(library)}&version=${encodeURIComponent(version)}`);
  }
}
