/**
 * `/runs/:id`: the matrix. Consumers are rows, backends columns; each cell says its verdict in a word
 * and an icon, with both sides' durations. Rows with a regression come first, then rows with an
 * infrastructure error, then the rest by name. Kept live by the run's event stream.
 *
 * Built for thousands of cells: rows are written as HTML (three elements a cell), rows off screen skip
 * layout and paint, and a live update rewrites only the rows that changed.
 */
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { BACKENDS, type Backend, type CellVerdict } from '../../../common/types.js';
import type { CellJson, RunJson } from '../../../common/wire.js';
import { allFailingNote, isFinished } from '../../../common/verdict.js';
import { describeCriticalPath } from '../../../common/timing/critical-path.js';
import { api, cancelRun, useLiveRun, type LiveState } from '../api.js';
import { BisectSummary } from '../components/bisect-view.js';
import { bisectedOnNote, culpritLine, culpritsOf, isGrouped } from '../../../common/bisect-words.js';
import { ClustersSection } from '../components/clusters-view.js';
import { Breadcrumbs, ErrorNote, Loading, Verdict, useNow } from '../components/common.js';
import { formatDate, formatDuration, formatShortDuration, runDuration, shortSha, VERDICTS } from '../format.js';
import { href } from '../router.js';

interface Row {
  consumer: string;
  cells: Partial<Record<Backend, CellJson>>;
  group: number;
  /** Changes whenever anything shown in the row changes. */
  signature: string;
}

type Show = 'all' | 'attention' | 'not-pass';

const ATTENTION: ReadonlySet<CellVerdict> = new Set(['regression', 'error', 'flaky']);

function cellSignature(c: CellJson): string {
  return `${c.verdict}|${c.reason ?? ''}|${c.candidate.status}|${c.candidate.durationMs}|${c.baseline.status}|${c.baseline.durationMs}|${c.attempts}|${c.bisect?.status}|${c.bisect?.firstBad?.sha}|${c.bisect?.culprits?.length}|${c.schemaChanges?.length ?? 0}`;
}

export function buildRows(run: RunJson): { rows: Row[]; backends: Backend[] } {
  const byConsumer = new Map<string, Row>();
  const present = new Set<Backend>();
  for (const cell of run.cells) {
    present.add(cell.backend);
    let row = byConsumer.get(cell.consumer);
    if (!row) byConsumer.set(cell.consumer, (row = { consumer: cell.consumer, cells: {}, group: 2, signature: '' }));
    row.cells[cell.backend] = cell;
    if (cell.verdict === 'regression') row.group = 0;
    else if ((cell.verdict === 'error' || cell.reason) && row.group > 1) row.group = 1;
    row.signature += `${cell.backend}:${cellSignature(cell)};`;
  }
  const rows = [...byConsumer.values()].sort((a, b) => a.group - b.group || (a.consumer < b.consumer ? -1 : a.consumer > b.consumer ? 1 : 0));
  return { rows, backends: BACKENDS.filter((b) => present.has(b)) };
}

export function RunPage({ id }: { id: string }) {
  const { run, error, live } = useLiveRun(id);
  const [query, setQuery] = useState('');
  const [show, setShow] = useState<Show>('all');

  useEffect(() => {
    document.title = run ? `${run.library} ${run.candidate} vs ${run.baseline}: ${VERDICTS[run.verdict].label} · compat-matrix` : `Run ${id} · compat-matrix`;
  }, [run?.library, run?.candidate, run?.verdict, id]);

  const built = useMemo(() => (run ? buildRows(run) : null), [run]);
  const counts = useMemo(() => {
    const c: Partial<Record<CellVerdict, number>> = {};
    for (const cell of run?.cells ?? []) c[cell.verdict] = (c[cell.verdict] ?? 0) + 1;
    return c;
  }, [run]);

  if (error) return <ErrorNote error={error} what={`run ${id}`} />;
  if (!run || !built) return <Loading what={`run ${id}`} />;

  const needle = query.trim().toLowerCase();
  const visible = built.rows.filter((row) => {
    if (needle && !row.consumer.toLowerCase().includes(needle)) return false;
    if (show === 'all') return true;
    const verdicts = Object.values(row.cells).map((c) => c!.verdict);
    return show === 'attention' ? verdicts.some((v) => ATTENTION.has(v)) : verdicts.some((v) => v !== 'pass');
  });
  const done = run.cells.filter((c) => isFinished(c.verdict)).length;

  return (
    <>
      <Breadcrumbs items={[{ label: 'Runs', href: href.runs() }, { label: run.library, href: href.runs(run.library) }, { label: run.id }]} />
      <div class="page-head">
        <h1>
          {run.library} <span class="mono">{run.candidate}</span> <span class="muted">against</span> <span class="mono">{run.baseline}</span>
        </h1>
        <Verdict verdict={run.verdict} large />
      </div>
      <ClustersSection runId={run.id} clusters={run.clusters} totals={run.clustersTotal} cells={run.cells} cellHref={href.cell} />
      {allFailingNote(run) && <p class="note">{allFailingNote(run)}.</p>}
      {run.verdict === 'cancelled' && <p class="note">Cancelled before its verdict: the gate treats this run as no run.</p>}
      {run.status !== 'done' && <CancelRun runId={run.id} />}
      <RunFacts run={run} live={live} done={done} />
      <BisectSummary runId={run.id} cells={run.cells} cellHref={href.cell} />

      <section aria-labelledby="matrix-title" class="section">
        <div class="section-head">
          <h2 id="matrix-title">Matrix</h2>
          <ul class="counts" aria-label="Cells by verdict">
            {(Object.keys(VERDICTS) as CellVerdict[])
              .filter((v) => counts[v])
              .map((v) => (
                <li key={v}>
                  <Verdict verdict={v} /> <span class="count">{counts[v]}</span>
                </li>
              ))}
          </ul>
        </div>
        <form class="filters" role="search" aria-label="Filter the matrix" onSubmit={(e) => e.preventDefault()}>
          <label for="consumer-filter">Consumer</label>
          <input id="consumer-filter" type="search" placeholder="name contains…" value={query} onInput={(e) => setQuery((e.currentTarget as HTMLInputElement).value)} />
          <label for="show-filter">Show</label>
          <select id="show-filter" value={show} onChange={(e) => setShow((e.currentTarget as HTMLSelectElement).value as Show)}>
            <option value="all">all rows</option>
            <option value="attention">regressions, errors, flaky</option>
            <option value="not-pass">anything not passing</option>
          </select>
          <span class="muted" role="status">
            {visible.length === built.rows.length ? `${built.rows.length} consumers` : `${visible.length} of ${built.rows.length} consumers`}
          </span>
        </form>
        <Matrix runId={run.id} library={run.library} rows={visible} backends={built.backends} />
      </section>
    </>
  );
}

function RunFacts({ run, live, done }: { run: RunJson; live: LiveState; done: number }) {
  // The clock ticks here, not in the page: a running run's matrix is not re-rendered every second.
  const now = useNow(1000, run.status !== 'done');
  return (
    <dl class="facts">
      <div>
        <dt>Status</dt>
        <dd>
          {run.status}
          {run.status !== 'done' && (
            <>
              {' '}
              ({done}/{run.cells.length} cells){' '}
              <span class={`live live-${live}`}>{live === 'live' ? 'live' : live === 'reconnecting' ? 'reconnecting…' : 'connecting…'}</span>
            </>
          )}
        </dd>
      </div>
      <div>
        <dt>Candidate</dt>
        <dd>
          <span class="mono">{run.candidateVersion}</span> <span class="muted mono">{shortSha(run.candidateSha)}</span>{' '}
          <a href={api.buildLog(run.id, 'candidate')}>build log</a>
        </dd>
      </div>
      <div>
        <dt>Baseline</dt>
        <dd>
          <span class="mono">{run.baselineVersion}</span>{' '}
          {run.baselineRegistry ? (
            <span class="muted mono" title={run.baselineRegistry.integrity} data-registry={run.baselineRegistry.registry}>
              {run.baselineRegistry.registry}:{run.baselineRegistry.package}@{run.baselineRegistry.version}, as published
            </span>
          ) : (
            run.baselineSha && <span class="muted mono">{shortSha(run.baselineSha)}</span>
          )}{' '}
          <a href={api.buildLog(run.id, 'baseline')}>{run.baselineRegistry ? 'download log' : 'build log'}</a>
        </dd>
      </div>
      <div>
        <dt>Trigger</dt>
        <dd>{run.trigger}</dd>
      </div>
      <div>
        <dt>Started</dt>
        <dd>
          <time dateTime={run.createdAt}>{formatDate(run.createdAt)}</time>
        </dd>
      </div>
      <div>
        <dt>Duration</dt>
        <dd>{formatDuration(runDuration(run, now))}</dd>
      </div>
      {run.timing && (
        <div>
          <dt>Critical path</dt>
          <dd data-critical-path>{describeCriticalPath(run.timing)}</dd>
        </div>
      )}
    </dl>
  );
}

function Matrix({ runId, library, rows, backends }: { runId: string; library: string; rows: Row[]; backends: Backend[] }) {
  if (rows.length === 0) return <p class="empty">No consumer matches.</p>;
  // ARIA table roles on a CSS grid rather than a <table>: rows can then skip layout and paint while
  // off screen (content-visibility), which a table's rows cannot. Screen readers still get a table.
  return (
    <div class="matrix-wrap">
      <div
        class="matrix"
        role="table"
        aria-label="Verdict of each consumer on each backend, candidate against baseline; times are candidate then baseline"
        aria-rowcount={rows.length + 1}
        data-run={runId}
        style={{ '--backends': String(backends.length) }}
      >
        <div role="rowgroup" class="matrix-head">
          <div role="row" class="mrow">
            <span role="columnheader">Consumer</span>
            {backends.map((b) => (
              <span role="columnheader" key={b}>
                {b}
              </span>
            ))}
          </div>
        </div>
        <MatrixBody runId={runId} library={library} rows={rows} backends={backends} />
      </div>
    </div>
  );
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const esc = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]);

/** One row as HTML: three elements a cell (the cell, its link, the verdict word; the icon is CSS). */
function rowHtml(row: Row, runId: string, library: string, backends: Backend[]): string {
  let html = `<div role="row" class="${row.group === 0 ? 'mrow row-regression' : 'mrow'}"><span role="rowheader" class="mconsumer"><a href="${esc(href.consumer(library, row.consumer))}" title="History of ${esc(row.consumer)}">${esc(row.consumer)}</a></span>`;
  for (const backend of backends) {
    const cell = row.cells[backend];
    if (!cell) {
      html += '<span role="cell" class="mcell cell-none">not declared</span>';
      continue;
    }
    const cand = formatShortDuration(cell.candidate.durationMs);
    const base = formatShortDuration(cell.baseline.durationMs);
    const why = cell.reason ? ` (${cell.reason})` : '';
    const label = `${row.consumer} on ${backend}: ${cell.verdict}${why}; candidate ${cand}, baseline ${base}`;
    html +=
      `<span role="cell" class="mcell c-${cell.verdict}" data-cell="${esc(cell.id)}" data-verdict="${cell.verdict}">` +
      `<a href="${esc(href.cell(runId, cell.id))}" aria-label="${esc(label)}"><span class="verdict v-${cell.verdict}">${VERDICTS[cell.verdict].label}</span>${esc(why)} cand ${cand} · base ${base}` +
      (cell.schemaChanges?.length ? ` · <span class="mschema" data-schema-changes="${cell.schemaChanges.length}">schema ±${cell.schemaChanges.length}</span>` : '') +
      (cell.bisect?.firstBad ? ` · ${firstBadMini(cell.id, cell.bisect)}` : '') +
      `</a></span>`;
  }
  return `${html}</div>`;
}

/** A matrix cell's first bad commits (each with its tests' count when several), and the cell bisected when another. */
function firstBadMini(cellId: string, b: NonNullable<CellJson['bisect']>): string {
  const culprits = culpritsOf(b);
  const commits = culprits
    .map((c) => `<span class="mono" title="${esc(culpritLine(c))}">${esc(c.firstBad.sha.slice(0, 7))}</span>${isGrouped(b) ? ` (${c.testsTotal ?? c.tests.length})` : ''}`)
    .join(', ');
  const elsewhere = bisectedOnNote(cellId, b);
  return `<span class="mfirstbad">first bad ${commits}</span>${elsewhere ? ` <span class="muted" data-bisected-on="${esc(b.cellId)}">(${esc(elsewhere)})</span>` : ''}`;
}

/**
 * The rows, written as one HTML string rather than thousands of virtual DOM nodes: the browser's
 * parser builds 3,000 cells several times faster than element-by-element creation. A live update
 * replaces only the rows whose signature changed; a new order or filter rewrites the body. Links are
 * plain <a href>, so navigation and keyboard use need no handlers here.
 */
function MatrixBody({ runId, library, rows, backends }: { runId: string; library: string; rows: Row[]; backends: Backend[] }) {
  const ref = useRef<HTMLDivElement>(null);
  const shown = useRef<{ keys: string[]; signatures: string[]; runId: string; backends: string }>({ keys: [], signatures: [], runId: '', backends: '' });
  useLayoutEffect(() => {
    const body = ref.current;
    if (!body) return;
    const prev = shown.current;
    const keys = rows.map((r) => r.consumer);
    const signatures = rows.map((r) => r.signature);
    const layout = backends.join(',');
    const sameRows = prev.runId === runId && prev.backends === layout && keys.length === prev.keys.length && keys.every((k, i) => k === prev.keys[i]);
    if (sameRows && body.children.length === rows.length) {
      rows.forEach((row, i) => {
        if (signatures[i] !== prev.signatures[i]) (body.children[i] as HTMLElement).outerHTML = rowHtml(row, runId, library, backends);
      });
    } else {
      const started = performance.now();
      body.innerHTML = rows.map((row) => rowHtml(row, runId, library, backends)).join('');
      performance.measure('compat:rows-written', { start: started, end: performance.now() });
    }
    if (!shown.current.runId) {
      // For the render benchmark and tests: the grid is in the DOM; then, a frame later, painted.
      performance.mark('compat:grid-rendered');
      requestAnimationFrame(() => setTimeout(() => performance.mark('compat:grid-painted'), 0));
      (body.parentElement as HTMLElement).dataset.ready = 'true';
    }
    shown.current = { keys, signatures, runId, backends: layout };
  }, [rows, runId, library, backends]);
  return <div role="rowgroup" class="matrix-body" ref={ref} />;
}

/**
 * The run's cancel button. A write needs a write token in the request (the sign-in cookie only ever
 * authorizes reads), so the button asks for one; it is sent once and never kept.
 */
function CancelRun({ runId }: { runId: string }) {
  const [asking, setAsking] = useState(false);
  const [token, setToken] = useState('');
  const [state, setState] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null });
  if (!asking) {
    return (
      <p>
        <button type="button" class="btn btn-small" onClick={() => setAsking(true)}>
          Cancel run
        </button>
      </p>
    );
  }
  const submit = async (e: Event) => {
    e.preventDefault();
    setState({ busy: true, error: null });
    try {
      await cancelRun(runId, token);
      setState({ busy: false, error: null });
      setAsking(false);
    } catch (error) {
      setState({ busy: false, error: (error as Error).message });
    }
  };
  return (
    <form class="filters" aria-label="Cancel this run" onSubmit={(e) => void submit(e)}>
      <label for="cancel-token">Write token</label>
      <input id="cancel-token" type="password" autocomplete="off" required value={token} onInput={(e) => setToken((e.currentTarget as HTMLInputElement).value)} />
      <button type="submit" class="btn btn-small" disabled={state.busy}>
        Cancel run
      </button>
      <button type="button" class="btn btn-small" onClick={() => setAsking(false)}>
        Keep running
      </button>
      {state.error && (
        <span class="note note-bad" role="alert">
          {state.error}
        </span>
      )}
    </form>
  );
}
