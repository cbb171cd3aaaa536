/** Small pieces shared by every page. */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { VERDICTS, type AnyVerdict } from '../format.js';
import { ApiError } from '../api.js';

/**
 * A verdict as an icon (drawn by CSS, one shape per verdict) and a word. One element, so a grid of
 * thousands stays light.
 */
export function Verdict({ verdict, large }: { verdict: AnyVerdict; large?: boolean }) {
  const info = VERDICTS[verdict];
  return (
    <span class={`verdict v-${verdict}${large ? ' verdict-lg' : ''}`} title={info.help}>
      {info.label}
    </span>
  );
}

export function ErrorNote({ error, what }: { error: Error; what: string }) {
  return (
    <div class="note note-error" role="alert">
      <strong>Could not load {what}.</strong> {error.message}
      {error instanceof ApiError && error.status === 401 && (
        // A private deployment whose sign-in ended (token revoked, browser session over): sign in again, then back here.
        <>
          {' '}
          <a href={`/login?next=${encodeURIComponent(location.pathname + location.search)}`}>Sign in</a>
        </>
      )}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="loading" role="status">
      Loading {what}…
    </p>
  );
}

export function Breadcrumbs({ items }: { items: Array<{ label: ComponentChildren; href?: string }> }) {
  return (
    <nav aria-label="Breadcrumb" class="breadcrumbs">
      <ol>
        {items.map((item, i) => (
          <li key={i}>{item.href && i < items.length - 1 ? <a href={item.href}>{item.label}</a> : <span aria-current={i === items.length - 1 ? 'page' : undefined}>{item.label}</span>}</li>
        ))}
      </ol>
    </nav>
  );
}

/** A button that copies text; says so for screen readers too. */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const t = setTimeout(() => setState('idle'), 2000);
    return () => clearTimeout(t);
  }, [state]);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setState('copied');
    } catch {
      setState('failed');
    }
  };
  return (
    <button type="button" class="btn btn-small" onClick={copy} aria-label={label}>
      {state === 'copied' ? 'Copied' : state === 'failed' ? 'Select and copy' : 'Copy'}
      <span class="visually-hidden" aria-live="polite">
        {state === 'copied' ? 'Copied to the clipboard' : ''}
      </span>
    </button>
  );
}

/** Re-renders every `ms` (for "running for 2 min" texts). */
export function useNow(ms: number, active = true): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms, active]);
  return now;
}
