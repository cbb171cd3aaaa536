/**
 * A small history router: pages are real URLs (/runs/:id ...) served by the server's SPA fallback, links
 * are real <a href> elements (open in a new tab, copy, keyboard all work), and a plain left click on one
 * is turned into a pushState instead of a reload.
 */
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { name: 'runs'; library: string | null }
  | { name: 'run'; id: string }
  | { name: 'cell'; id: string; cellId: string }
  | { name: 'consumer'; library: string; consumer: string }
  | { name: 'not-found'; path: string };

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

export function parseRoute(pathname: string, search: string): Route {
  const parts = pathname.split('/').filter(Boolean).map(decode);
  if (parts.length === 0) return { name: 'runs', library: new URLSearchParams(search).get('library') || null };
  if (parts[0] === 'runs' && parts.length === 2) return { name: 'run', id: parts[1] };
  if (parts[0] === 'runs' && parts.length === 4 && parts[2] === 'cells') return { name: 'cell', id: parts[1], cellId: parts[3] };
  if (parts[0] === 'consumers' && parts.length === 3) return { name: 'consumer', library: parts[1], consumer: parts[2] };
  return { name: 'not-found', path: pathname };
}

const e = encodeURIComponent;
export const href = {
  runs: (library?: string | null) => (library ? `/?library=${e(library)}` : '/'),
  run: (id: string) => `/runs/${e(id)}`,
  cell: (id: string, cellId: string) => `/runs/${e(id)}/cells/${e(cellId)}`,
  consumer: (library: string, consumer: string) => `/consumers/${e(library)}/${e(consumer)}`,
  /** Not a page of this app: a full navigation. */
  queues: '/admin/queues',
};

const CHANGE = 'compat:navigate';

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  window.dispatchEvent(new Event(CHANGE));
}

function isAppPath(pathname: string): boolean {
  return pathname === '/' || pathname.startsWith('/runs/') || pathname.startsWith('/consumers/');
}

/** Plain left clicks on same-origin links to app pages become client-side navigations. */
export function interceptLinks(root: Document): void {
  root.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const anchor = (event.target as Element | null)?.closest?.('a');
    if (!anchor || anchor.target || anchor.hasAttribute('download') || anchor.origin !== location.origin) return;
    if (!isAppPath(anchor.pathname)) return;
    if (anchor.pathname === location.pathname && anchor.search === location.search && anchor.hash) return;
    event.preventDefault();
    navigate(anchor.pathname + anchor.search + anchor.hash);
  });
}

export function useRoute(): Route {
  const read = () => parseRoute(location.pathname, location.search);
  const [route, setRoute] = useState<Route>(read);
  useEffect(() => {
    const update = () => setRoute(read());
    window.addEventListener('popstate', update);
    window.addEventListener(CHANGE, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(CHANGE, update);
    };
  }, []);
  return route;
}
