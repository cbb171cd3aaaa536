/**
 * The dashboard: runs, a run's matrix, one cell, a consumer's history. Served by `compat server` from
 * dashboards/dist; everything it shows comes from the /api routes of the same server.
 */
import { render } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { href, interceptLinks, useRoute, type Route } from './router.js';
import { RunsPage } from './pages/runs-page.js';
import { RunPage } from './pages/run-page.js';
import { CellPage } from './pages/cell-page.js';
import { ConsumerPage } from './pages/consumer-page.js';

function Page({ route }: { route: Route }) {
  switch (route.name) {
    case 'runs':
      return <RunsPage library={route.library} />;
    case 'run':
      return <RunPage id={route.id} />;
    case 'cell':
      return <CellPage id={route.id} cellId={route.cellId} />;
    case 'consumer':
      return <ConsumerPage library={route.library} consumer={route.consumer} />;
    default:
      return (
        <>
          <h1>Page not found</h1>
          <p>
            Nothing lives at <code>{route.path}</code>. <a href="/">See all runs</a>.
          </p>
        </>
      );
  }
}

function routeKey(route: Route): string {
  return JSON.stringify(route);
}

function App() {
  const route = useRoute();
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  const key = routeKey(route);
  useEffect(() => {
    // After a client-side navigation, start keyboard and screen reader users at the new content,
    // as a full page load would; the first load keeps the browser's own focus.
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus({ preventScroll: false });
    window.scrollTo(0, 0);
  }, [key]);
  return (
    <>
      <header class="site-header">
        <div class="site-header-inner">
          <a class="brand" href="/">
            <span class="brand-mark" aria-hidden="true" />
            compat-matrix
          </a>
          <nav aria-label="Main">
            <ul class="nav-list">
              <li>
                <a href={href.runs()} aria-current={route.name === 'runs' ? 'page' : undefined}>
                  Runs
                </a>
              </li>
              <li>
                <a href={href.queues} title="BullMQ queues (bull-board); sign in with any user name and an API token as the password">
                  Queue board
                </a>
              </li>
              <li>
                <a href="/api/runs">API</a>
              </li>
            </ul>
          </nav>
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        <Page key={key} route={route} />
      </main>
    </>
  );
}

interceptLinks(document);
render(<App />, document.getElementById('app')!);
