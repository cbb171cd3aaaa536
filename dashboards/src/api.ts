/**
 * The dashboard's side of the HTTP API. Its answers' types come from common/wire.ts, which the server's
 * JSON builders return too (one definition of a run, a cell, a verdict); only `import type`, so nothing
 * of the server ends up in the bundle.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Side } from '../../common/types.js';
import type { CellDetailJson, HistoryJson, RunJson, RunSummaryJson } from '../../common/wire.js';

export type { CellDetailJson, HistoryJson, RunJson, RunSummaryJson };

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

async function request(url: string, accept: string, signal?: AbortSignal): Promise<Response> {
  const res = await fetch(url, { signal, headers: { Accept: accept } });
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    try {
      const body = (await res.json()) as { error?: string };
      if (body.error) message = body.error;
    } catch {
      /* not JSON */
    }
    throw new ApiError(res.status, message);
  }
  return res;
}

export async function getJson<T>(url: string, signal?: AbortSignal): Promise<T> {
  return (await (await request(url, 'application/json', signal)).json()) as T;
}

export async function getText(url: string, signal?: AbortSignal): Promise<string> {
  return (await request(url, 'text/plain', signal)).text();
}

/** `POST /api/runs/:id/cancel` with a write token the user typed (reads alone go by the cookie). */
export async function cancelRun(id: string, token: string): Promise<void> {
  const res = await fetch(`/api/runs/${encodeURIComponent(id)}/cancel`, { method: 'POST', headers: { Accept: 'application/json', Authorization: `Bearer ${token}` } });
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { error?: string };
    throw new ApiError(res.status, body.error ?? `${res.status} ${res.statusText}`);
  }
}

const e = encodeURIComponent;
export const api = {
  runs: (library?: string | null, limit = 200) => `/api/runs?limit=${limit}${library ? `&library=${e(library)}` : ''}`,
  run: (id: string) => `/api/runs/${e(id)}`,
  events: (id: string) => `/api/runs/${e(id)}/events`,
  cell: (id: string, cellId: string) => `/api/runs/${e(id)}/cells/${e(cellId)}`,
  cellLog: (id: string, cellId: string, side: Side, attempt: number, follow: boolean) =>
    `/api/runs/${e(id)}/cells/${e(cellId)}/logs?side=${side}&attempt=${attempt}&follow=${follow ? 1 : 0}`,
  buildLog: (id: string, side: Side) => `/api/runs/${e(id)}/builds/${side}/logs`,
  bisectStepLog: (id: string, consumer: string, seq: number) => `/api/runs/${e(id)}/bisects/${e(consumer)}/steps/${seq}/logs`,
  repro: (id: string, cellId: string, side: Side) => `/api/runs/${e(id)}/cells/${e(cellId)}/repro?side=${side}`,
  history: (library: string, consumer: string) => `/api/history?library=${e(library)}&consumer=${e(consumer)}`,
  flakes: (library: string, consumer: string) => `/api/flakes?library=${e(library)}&consumer=${e(consumer)}`,
};

export interface Loaded<T> {
  data: T | null;
  error: ApiError | Error | null;
  loading: boolean;
}

/** Fetches a URL, again every `pollMs` if given (while `poll` says so), and again whenever `reloadKey` changes. */
export function useJson<T>(url: string | null, options: { pollMs?: number; poll?: (data: T) => boolean; reloadKey?: unknown } = {}): Loaded<T> {
  return useLoaded(url, getJson<T>, options);
}

/** A plain-text answer (a script the server wrote), fetched again when the URL changes. */
export function useText(url: string | null): Loaded<string> {
  return useLoaded(url, getText, {});
}

function useLoaded<T>(
  url: string | null,
  read: (url: string, signal: AbortSignal) => Promise<T>,
  options: { pollMs?: number; poll?: (data: T) => boolean; reloadKey?: unknown },
): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({ data: null, error: null, loading: true });
  const pollRef = useRef(options.poll);
  pollRef.current = options.poll;
  useEffect(() => {
    if (!url) return;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async () => {
      try {
        const data = await read(url, controller.signal);
        setState({ data, error: null, loading: false });
        if (options.pollMs && (pollRef.current?.(data) ?? true)) timer = setTimeout(load, options.pollMs);
      } catch (error) {
        if (controller.signal.aborted) return;
        setState((s) => ({ data: s.data, error: error as Error, loading: false }));
        if (options.pollMs) timer = setTimeout(load, options.pollMs * 2);
      }
    };
    setState((s) => ({ ...s, loading: true }));
    void load();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [url, options.pollMs, options.reloadKey]);
  return state;
}

export type LiveState = 'connecting' | 'live' | 'closed' | 'reconnecting';

/**
 * A run, kept current by its server-sent events: the first event is the whole run, and each later one
 * too (the server coalesces bursts). The stream is closed once the run is done.
 *
 * `fetchFirst` reads the run by plain GET before opening the stream (a 404 is a clear error, and a
 * finished run needs no stream); `enabled: false` opens nothing.
 */
/** Nothing more will change: the run is done and no bisect of it is still running. */
export function settled(run: RunJson): boolean {
  return run.status === 'done' && !run.cells.some((c) => c.bisect?.status === 'running');
}

export function useLiveRun(id: string, options: { enabled?: boolean; fetchFirst?: boolean } = {}): { run: RunJson | null; error: Error | null; live: LiveState } {
  const enabled = options.enabled ?? true;
  const fetchFirst = options.fetchFirst ?? true;
  const [run, setRun] = useState<RunJson | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [live, setLive] = useState<LiveState>('connecting');
  useEffect(() => {
    setRun(null);
    setError(null);
    setLive('connecting');
    if (!enabled) return;
    let source: EventSource | null = null;
    let closed = false;
    const controller = new AbortController();
    const stream = () => {
      source = new EventSource(api.events(id));
      source.addEventListener('open', () => setLive('live'));
      source.addEventListener('run', (event) => {
        const next = JSON.parse((event as MessageEvent<string>).data) as RunJson | null;
        if (!next) return;
        setRun(next);
        if (settled(next)) {
          source?.close();
          setLive('closed');
        }
      });
      // EventSource reconnects by itself; say so instead of failing.
      source.addEventListener('error', () => setLive(source?.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting'));
    };
    if (!fetchFirst) stream();
    else
      getJson<RunJson>(api.run(id), controller.signal).then(
        (first) => {
          if (closed) return;
          setRun(first);
          if (settled(first)) setLive('closed');
          else stream();
        },
        (err: Error) => {
          if (!closed) setError(err);
        },
      );
    return () => {
      closed = true;
      controller.abort();
      source?.close();
    };
  }, [id, enabled, fetchFirst]);
  return { run, error, live };
}
