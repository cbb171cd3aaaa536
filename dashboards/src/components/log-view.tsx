/**
 * A cell side's log: streamed as it is written (the server holds the response open while the side
 * runs), searchable, and fast however long it gets. Lines live in a plain array outside component
 * state; only the lines in view (plus a margin) are in the DOM, at a fixed line height, so a 100,000
 * line log costs the same to show as a 100 line one.
 */
import type { JSX } from 'preact';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';

const LINE_HEIGHT = 18; // px; must match .log-line in styles.css
const OVERSCAN = 30;
const MIN_VIEW_LINES = 6;
const MAX_VIEW_LINES = 24;
/** Longer lines are cut when shown (the raw log link has them whole). */
const MAX_LINE_CHARS = 4000;
// Colour codes and cursor moves from test runners.
// eslint-disable-next-line no-control-regex -- ESC starts every one of them
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]/g;

export interface LogStream {
  lines: string[];
  /** Bumped when lines change, to re-render. */
  version: number;
  state: 'loading' | 'streaming' | 'done' | 'error';
  error: string | null;
}

function cleanLine(line: string): string {
  let out = line.includes('\x1b') ? line.replace(ANSI, '') : line;
  // A progress bar redraws with \r: what a terminal would show is the last redraw.
  if (out.includes('\r')) {
    const parts = out.split('\r').filter((p) => p.length > 0);
    out = parts[parts.length - 1] ?? '';
  }
  return out;
}

/** Reads a log URL as a stream of lines. Re-renders at most once a frame however fast chunks arrive. */
export function useLogStream(url: string | null): LogStream {
  const lines = useRef<string[]>([]);
  const [version, setVersion] = useState(0);
  const [state, setState] = useState<LogStream['state']>('loading');
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    lines.current = [];
    setVersion((v) => v + 1);
    setError(null);
    if (!url) {
      setState('done');
      return;
    }
    setState('loading');
    const controller = new AbortController();
    let frame = 0;
    const bump = () => {
      if (frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        setVersion((v) => v + 1);
      });
    };
    (async () => {
      const res = await fetch(url, { signal: controller.signal });
      if (!res.ok || !res.body) throw new Error(`${res.status} ${res.statusText}`);
      setState('streaming');
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let partial = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const parts = (partial + value).split('\n');
        partial = parts.pop() ?? '';
        for (const part of parts) lines.current.push(cleanLine(part));
        bump();
      }
      if (partial) lines.current.push(cleanLine(partial));
      bump();
      setState('done');
    })().catch((err: Error) => {
      if (controller.signal.aborted) return;
      setError(err.message);
      setState('error');
    });
    return () => {
      controller.abort();
      cancelAnimationFrame(frame);
    };
  }, [url]);
  return { lines: lines.current, version, state, error };
}

export interface LogSearch {
  query: string;
  /** Show only matching lines (else show all and mark the matches). */
  onlyMatches: boolean;
}

function Highlighted({ text, needle }: { text: string; needle: string }) {
  if (!needle) return <>{text}</>;
  const lower = text.toLowerCase();
  const out: Array<string | JSX.Element> = [];
  let at = 0;
  for (let i = lower.indexOf(needle); i !== -1; i = lower.indexOf(needle, i + needle.length)) {
    if (i > at) out.push(text.slice(at, i));
    out.push(<mark key={i}>{text.slice(i, i + needle.length)}</mark>);
    at = i + needle.length;
  }
  if (at < text.length) out.push(text.slice(at));
  return <>{out}</>;
}

export function LogView({ title, stream, search, rawHref, id }: { title: string; stream: LogStream; search: LogSearch; rawHref: string; id: string }) {
  const viewport = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(400);
  const [current, setCurrent] = useState(-1);
  const stick = useRef(true);
  const needle = search.query.trim().toLowerCase();
  const { lines, version } = stream;

  const matches = useMemo(() => {
    if (!needle) return null;
    const found: number[] = [];
    for (let i = 0; i < lines.length; i++) if (lines[i].toLowerCase().includes(needle)) found.push(i);
    return found;
  }, [version, needle, lines]);
  useEffect(() => setCurrent(-1), [needle]);

  // What is listed: every line, or the matching ones.
  const shown = search.onlyMatches && matches ? matches : null;
  const total = shown ? shown.length : lines.length;

  useLayoutEffect(() => {
    const el = viewport.current;
    if (!el) return;
    setHeight(el.clientHeight);
    const observer = new ResizeObserver(() => setHeight(el.clientHeight));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  // Follow the tail while the reader is at the bottom, like `tail -f`.
  useLayoutEffect(() => {
    const el = viewport.current;
    if (el && stick.current && current < 0) el.scrollTop = el.scrollHeight;
  }, [total, version]);

  const onScroll = () => {
    const el = viewport.current;
    if (!el) return;
    setScrollTop(el.scrollTop);
    stick.current = el.scrollTop + el.clientHeight >= el.scrollHeight - LINE_HEIGHT * 2;
  };

  const goTo = (step: 1 | -1) => {
    if (!matches || matches.length === 0) return;
    const next = (current + step + matches.length) % matches.length;
    setCurrent(next);
    const line = matches[next];
    const position = shown ? next : line;
    const el = viewport.current;
    if (el) {
      stick.current = false;
      el.scrollTop = Math.max(0, position * LINE_HEIGHT - el.clientHeight / 2);
    }
  };

  const first = Math.max(0, Math.floor(scrollTop / LINE_HEIGHT) - OVERSCAN);
  const last = Math.min(total, Math.ceil((scrollTop + height) / LINE_HEIGHT) + OVERSCAN);
  const slice: number[] = [];
  for (let i = first; i < last; i++) slice.push(shown ? shown[i] : i);
  const currentLine = matches && current >= 0 ? matches[current] : -1;
  const status =
    stream.state === 'error'
      ? `could not load: ${stream.error}`
      : stream.state === 'loading'
        ? 'connecting…'
        : stream.state === 'streaming'
          ? `${lines.length} lines, streaming…`
          : `${lines.length} lines`;

  return (
    <section class="log" aria-labelledby={`${id}-title`}>
      <div class="log-head">
        <h3 id={`${id}-title`}>{title}</h3>
        <span class="muted log-status" role="status">
          {status}
          {matches ? ` · ${matches.length} matching` : ''}
        </span>
        <div class="log-actions">
          {matches && !search.onlyMatches && (
            <>
              <button type="button" class="btn btn-small" onClick={() => goTo(-1)} disabled={matches.length === 0} aria-label={`Previous match in ${title}`}>
                ↑ Prev
              </button>
              <button type="button" class="btn btn-small" onClick={() => goTo(1)} disabled={matches.length === 0} aria-label={`Next match in ${title}`}>
                ↓ Next
              </button>
            </>
          )}
          <a class="btn btn-small" href={rawHref} target="_blank" rel="noopener">
            Raw
          </a>
        </div>
      </div>
      <div
        class="log-viewport"
        id={id}
        ref={viewport}
        onScroll={onScroll}
        tabIndex={0}
        role="region"
        aria-label={`${title}, scrollable`}
        data-lines={lines.length}
        data-state={stream.state}
        // Short logs take the room they need; long ones scroll in a fixed box.
        style={{ height: `${Math.min(MAX_VIEW_LINES, Math.max(MIN_VIEW_LINES, total)) * LINE_HEIGHT + 16}px` }}
      >
        {total === 0 ? (
          <p class="log-empty">{stream.state === 'done' ? (needle && search.onlyMatches ? 'No line matches.' : 'No output.') : stream.state === 'error' ? '' : 'Waiting for output…'}</p>
        ) : (
          <div class="log-canvas" style={{ height: `${total * LINE_HEIGHT}px` }}>
            <div class="log-lines" style={{ transform: `translateY(${first * LINE_HEIGHT}px)` }}>
              {slice.map((n) => {
                const text = lines[n];
                const cut = text.length > MAX_LINE_CHARS ? text.slice(0, MAX_LINE_CHARS) : text;
                const sys = text.startsWith('[compat-matrix]') || text.startsWith('::compat-matrix::');
                return (
                  <div key={n} class={`log-line${sys ? ' log-sys' : ''}${n === currentLine ? ' log-current' : ''}`}>
                    <span class="log-no" aria-hidden="true">
                      {n + 1}
                    </span>
                    <Highlighted text={cut} needle={needle} />
                    {cut !== text && <span class="muted"> … ({text.length - MAX_LINE_CHARS} more characters)</span>}
                  </div>
                );
              })}
            </div>
          </div>
        )}
      </div>
    </section>
  );
}
