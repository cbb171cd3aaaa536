/**
 * `/runs/:id/cells/:cellId`: one consumer on one backend. Candidate and baseline side by side, the
 * tests that newly fail (with their messages) and the ones fixed, both logs streamed live and
 * searchable, and the commands that reproduce the cell on a laptop.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { Side, SideStatus } from '../../../common/types.js';
import type { CellJson, SideSummary, TestOutcome } from '../../../common/wire.js';
import { api, useJson, useLiveRun, useText, type CellDetailJson } from '../api.js';
import { Breadcrumbs, CopyButton, ErrorNote, Loading, Verdict } from '../components/common.js';
import { BisectSection } from '../components/bisect-view.js';
import { SchemaDiff } from '../components/schema-diff.js';
import { LogView, useLogStream, type LogSearch } from '../components/log-view.js';
import { formatDate, formatDuration, shortSha, SIDE_STATUS_LABEL, VERDICTS } from '../format.js';
import { href } from '../router.js';

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function cellSignature(c: CellJson | undefined): string {
  return c ? `${c.verdict}|${c.candidate.status}|${c.baseline.status}|${c.attempts}|${c.bisect?.status}|${c.bisect?.steps.length}|${c.bisect?.current}` : '';
}

export function CellPage({ id, cellId }: { id: string; cellId: string }) {
  // While the run is going, its event stream says when this cell changes; the detail is fetched again then.
  const [watching, setWatching] = useState(false);
  const live = useLiveRun(id, { enabled: watching, fetchFirst: false });
  const liveCell = live.run?.cells.find((c) => c.id === cellId);
  const detail = useJson<CellDetailJson>(api.cell(id, cellId), { reloadKey: cellSignature(liveCell) });
  const d = detail.data;
  useEffect(() => {
    // A bisect goes on after the run is done: watch it too.
    if (d && (d.run.status !== 'done' || d.cell.bisect?.status === 'running')) setWatching(true);
  }, [d?.run.status, d?.cell.bisect?.status]);
  const cell = d?.cell;

  useEffect(() => {
    document.title = cell ? `${cell.consumer} on ${cell.backend}: ${VERDICTS[cell.verdict].label} · compat-matrix` : `Cell ${cellId} · compat-matrix`;
  }, [cell?.consumer, cell?.backend, cell?.verdict, cellId]);

  if (detail.error && !d) return <ErrorNote error={detail.error} what={`cell ${cellId} of run ${id}`} />;
  if (!d || !cell) return <Loading what={`cell ${cellId}`} />;
  const { run } = d;

  return (
    <>
      <Breadcrumbs
        items={[
          { label: 'Runs', href: href.runs() },
          { label: `${run.library} ${run.candidate} vs ${run.baseline}`, href: href.run(run.id) },
          { label: `${cell.consumer} on ${cell.backend}` },
        ]}
      />
      <div class="page-head">
        <h1>
          {cell.consumer} <span class="muted">on</span> {cell.backend}
        </h1>
        <Verdict verdict={cell.verdict} large />
      </div>
      <p class="lede">
        {capitalize(VERDICTS[cell.verdict].help)}
        {cell.attempts > 1 ? ` (${cell.attempts} attempts: the first run and ${cell.attempts - 1} confirming re-run${cell.attempts > 2 ? 's' : ''})` : ''}.{' '}
        <a href={href.consumer(run.library, cell.consumer)}>History of {cell.consumer}</a> · <a href={href.run(run.id)}>Back to the matrix</a>
      </p>

      <div class="sides">
        <SideCard side="candidate" summary={cell.candidate} version={run.candidateVersion} gitRef={run.candidate} sha={run.candidateSha} />
        <SideCard side="baseline" summary={cell.baseline} version={run.baselineVersion} gitRef={run.baseline} sha={run.baselineSha} />
      </div>

      {cell.bisect && <BisectSection runId={run.id} consumer={cell.consumer} cellId={cell.id} bisect={cell.bisect} />}
      {cell.schemaChanges?.length ? <SchemaDiff changes={cell.schemaChanges} reason={cell.reason} /> : null}
      <TestChanges detail={d} />
      <Logs detail={d} />
      <Reproduce detail={d} />

      <details class="section">
        <summary>Consumer configuration used by this run</summary>
        <pre class="code">{JSON.stringify(d.config, null, 2)}</pre>
      </details>
    </>
  );
}

function SideCard({ side, summary, version, gitRef, sha }: { side: Side; summary: SideSummary; version: string; gitRef: string; sha: string | null }) {
  const ok = summary.status === 'passed';
  const bad = summary.status === 'failed' || summary.status === 'timeout';
  return (
    <section class={`side side-${side}`} aria-labelledby={`side-${side}`} data-side={side}>
      <h2 id={`side-${side}`}>
        {side === 'candidate' ? 'Candidate' : 'Baseline'} <span class="mono">{gitRef}</span>
      </h2>
      <dl class="facts facts-tight">
        <div>
          <dt>Result</dt>
          <dd>
            <span class={`status status-${ok ? 'ok' : bad ? 'bad' : summary.status === 'error' ? 'err' : 'idle'}`}>{SIDE_STATUS_LABEL[summary.status]}</span>
          </dd>
        </div>
        <div>
          <dt>Source</dt>
          <dd>
            {summary.source === 'registry' ? (
              <span data-integrity={summary.integrity}>
                {summary.registry ? `${summary.registry}'s published file` : "the registry's published file"}
                {summary.package && summary.version ? <span class="mono"> {summary.package}@{summary.version}</span> : null}
                {summary.integrity ? <span class="muted mono" title={summary.integrity}> {summary.integrity.slice(0, 19)}…</span> : null}
              </span>
            ) : (
              'built from its tag'
            )}
          </dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd>{formatDuration(summary.durationMs)}</dd>
        </div>
        <div>
          <dt>Tests</dt>
          <dd>
            {summary.tests.passed} passed, {summary.tests.failed} failed, {summary.tests.skipped} skipped
          </dd>
        </div>
        <div>
          <dt>Version</dt>
          <dd>
            <span class="mono">{version}</span> {sha && <span class="muted mono">{shortSha(sha)}</span>}
          </dd>
        </div>
        {summary.reason && (
          <div class="wide">
            <dt>Why</dt>
            <dd>{summary.reason}</dd>
          </div>
        )}
        {summary.reusedFrom && (
          <div class="wide" data-reused-from={summary.reusedFrom}>
            <dt>Reused</dt>
            <dd>
              from run <a href={href.run(summary.reusedFrom)}>{summary.reusedFrom}</a>: same consumer commit, artifact, images, commands and env
            </dd>
          </div>
        )}
        {summary.phases && Object.keys(summary.phases).length > 0 && (
          <div class="wide" data-phases>
            <dt>Phases</dt>
            <dd class="mono">
              {Object.entries(summary.phases)
                .map(([name, ms]) => `${name} ${formatDuration(ms)}`)
                .join(' · ')}
            </dd>
          </div>
        )}
      </dl>
    </section>
  );
}

/** Says when a list shows only its first page (the cell's route pages the rest with `?offset=&limit=`). */
function PagedNote({ shown, total }: { shown: number; total?: number }) {
  if (total === undefined || total <= shown) return null;
  return <p class="muted">Showing the first {shown} of {total}.</p>;
}

function TestChanges({ detail }: { detail: CellDetailJson }) {
  const { cell, tests } = detail;
  const byId = (list: TestOutcome[]) => new Map(list.map((t) => [t.id, t]));
  const candidate = useMemo(() => byId(tests.candidate), [tests.candidate]);
  const baseline = useMemo(() => byId(tests.baseline), [tests.baseline]);
  const bothFailing = tests.candidate.filter((t) => t.status === 'failed' && baseline.get(t.id)?.status === 'failed');
  const noTestsNamed = cell.newFailures.length === 0 && (cell.verdict === 'regression' || cell.verdict === 'flaky');
  return (
    <>
      <section class="section" aria-labelledby="new-failures">
        <h2 id="new-failures">
          Newly failing tests <span class="count-pill">{cell.newFailuresTotal ?? cell.newFailures.length}</span>
        </h2>
        <PagedNote shown={cell.newFailures.length} total={cell.newFailuresTotal} />
        {cell.reason && <p class="note note-bad">No evidence: {cell.reason}. The run stays incomplete until this consumer is fixed or removed from the matrix.</p>}
        {noTestsNamed && (
          <p class="note note-bad">
            The candidate failed without naming a test that the baseline passes{cell.candidate.reason ? `: ${cell.candidate.reason}` : ''}. See its log below.
          </p>
        )}
        {cell.newFailures.length === 0 && !noTestsNamed ? (
          <p class="muted">None: no test passes on the baseline and fails on the candidate.</p>
        ) : (
          <ul class="tests">
            {cell.newFailures.map((testId) => {
              const t = candidate.get(testId);
              const b = baseline.get(testId);
              return (
                <li key={testId} class="test test-new-failure" data-test={testId}>
                  <div class="test-head">
                    <code class="test-id">{testId}</code>
                    <span class="muted">
                      baseline: {b ? b.status : 'not run'}
                      {t?.durationMs !== undefined ? ` · candidate ${formatDuration(t.durationMs)}` : ''}
                    </span>
                  </div>
                  <pre class="failure">{t?.message ?? 'no failure message was reported'}</pre>
                </li>
              );
            })}
          </ul>
        )}
      </section>
      {cell.quarantined && cell.quarantined.length > 0 && (
        <section class="section" aria-labelledby="quarantined-tests">
          <h2 id="quarantined-tests">
            Quarantined tests that failed <span class="count-pill">{cell.quarantined.length}</span>
          </h2>
          <p class="muted">They ran and failed anew; a maintainer quarantined them, so they do not count in this cell's verdict until their quarantine ends.</p>
          <ul class="tests">
            {cell.quarantined.map((q) => (
              <li key={q.test} class="test test-quarantined" data-test={q.test}>
                <div class="test-head">
                  <code class="test-id">{q.test}</code>
                  <span class="muted">
                    quarantined by {q.by} until {formatDate(q.until)}: {q.reason}
                  </span>
                </div>
                <pre class="failure">{candidate.get(q.test)?.message ?? 'no failure message was reported'}</pre>
              </li>
            ))}
          </ul>
        </section>
      )}
      <section class="section" aria-labelledby="fixed-tests">
        <h2 id="fixed-tests">
          Fixed tests <span class="count-pill">{cell.fixedTestsTotal ?? cell.fixedTests.length}</span>
        </h2>
        <PagedNote shown={cell.fixedTests.length} total={cell.fixedTestsTotal} />
        {cell.fixedTests.length === 0 ? (
          <p class="muted">None: no test fails on the baseline and passes on the candidate.</p>
        ) : (
          <ul class="tests">
            {cell.fixedTests.map((testId) => (
              <li key={testId} class="test test-fixed" data-test={testId}>
                <div class="test-head">
                  <code class="test-id">{testId}</code>
                  <span class="muted">failed on the baseline{baseline.get(testId)?.message ? ':' : ''}</span>
                </div>
                {baseline.get(testId)?.message && <pre class="failure failure-old">{baseline.get(testId)!.message}</pre>}
              </li>
            ))}
          </ul>
        )}
      </section>
      {bothFailing.length > 0 && (
        <details class="section">
          <summary>
            Failing on both sides <span class="count-pill">{bothFailing.length}</span> (pre-existing, not blocking)
          </summary>
          <ul class="tests">
            {bothFailing.map((t) => (
              <li key={t.id} class="test">
                <code class="test-id">{t.id}</code>
                {t.message && <pre class="failure failure-old">{t.message}</pre>}
              </li>
            ))}
          </ul>
        </details>
      )}
    </>
  );
}

function sideStatus(detail: CellDetailJson, side: Side, attempt: number): SideStatus {
  const row = detail.attempts.find((a) => a.side === side && a.attempt === attempt);
  if (row) return row.status;
  return attempt === 0 ? detail.cell[side].status : 'pending';
}

function SideLog({ detail, side, attempt, search }: { detail: CellDetailJson; side: Side; attempt: number; search: LogSearch }) {
  const { run, cell } = detail;
  const status = sideStatus(detail, side, attempt);
  const started = status !== 'pending';
  // Follow (hold the response open for new output) only if the side was running when we started
  // reading: a side that ended without ever writing a log would otherwise keep a connection waiting.
  // Keyed on `started` alone, so the stream in progress is not restarted when the side finishes.
  const url = useMemo(() => (started ? api.cellLog(run.id, cell.id, side, attempt, status === 'running') : null), [run.id, cell.id, side, attempt, started]);
  const stream = useLogStream(url);
  const waiting = !started ? { ...stream, state: 'loading' as const } : stream;
  return (
    <LogView
      id={`log-${side}`}
      title={`${side === 'candidate' ? 'Candidate' : 'Baseline'} log (${side === 'candidate' ? run.candidate : run.baseline}${attempt > 0 ? `, re-run ${attempt}` : ''})`}
      stream={waiting}
      search={search}
      rawHref={api.cellLog(run.id, cell.id, side, attempt, false)}
    />
  );
}

function Logs({ detail }: { detail: CellDetailJson }) {
  const [query, setQuery] = useState('');
  const [onlyMatches, setOnlyMatches] = useState(false);
  const [attempt, setAttempt] = useState(0);
  const attempts = Math.max(1, detail.cell.attempts, ...detail.attempts.map((a) => a.attempt + 1));
  const search = useMemo(() => ({ query, onlyMatches }), [query, onlyMatches]);
  return (
    <section class="section" aria-labelledby="logs-title">
      <h2 id="logs-title">Logs</h2>
      <form class="filters" role="search" aria-label="Search the logs" onSubmit={(e) => e.preventDefault()}>
        <label for="log-search">Search</label>
        <input id="log-search" type="search" placeholder="text in either log…" value={query} onInput={(e) => setQuery((e.currentTarget as HTMLInputElement).value)} />
        <label class="check">
          <input type="checkbox" checked={onlyMatches} onChange={(e) => setOnlyMatches((e.currentTarget as HTMLInputElement).checked)} /> only matching lines
        </label>
        {attempts > 1 && (
          <>
            <label for="log-attempt">Attempt</label>
            <select id="log-attempt" value={attempt} onChange={(e) => setAttempt(Number((e.currentTarget as HTMLSelectElement).value))}>
              {Array.from({ length: attempts }, (_, i) => (
                <option key={i} value={i}>
                  {i === 0 ? 'first run' : `re-run ${i}`}
                </option>
              ))}
            </select>
          </>
        )}
      </form>
      <div class="logs">
        <SideLog detail={detail} side="candidate" attempt={attempt} search={search} />
        <SideLog detail={detail} side="baseline" attempt={attempt} search={search} />
      </div>
    </section>
  );
}

function Reproduce({ detail }: { detail: CellDetailJson }) {
  const [side, setSide] = useState<Side>('candidate');
  const compat = detail.reproduce.compat;
  // The server writes the script (from the modules its workers run cells with); this page only shows it.
  const loaded = useText(api.repro(detail.run.id, detail.cell.id, side));
  const script = loaded.data ?? (loaded.error ? `# could not load the script: ${loaded.error.message}` : '# loading…');
  return (
    <section class="section" aria-labelledby="repro-title">
      <h2 id="repro-title">Reproduce locally</h2>
      <p>With compat-matrix, from a checkout that has this matrix.yaml (runs both sides and compares them):</p>
      <div class="code-block">
        <pre class="code" id="repro-compat">{compat}</pre>
        <CopyButton text={compat} label="Copy the compat run command" />
      </div>
      <div class="repro-head">
        <p>By hand with git and Docker, as the worker runs one side:</p>
        <div class="segmented" role="group" aria-label="Side to reproduce">
          {(['candidate', 'baseline'] as const).map((s) => (
            <button key={s} type="button" class="btn btn-small" aria-pressed={side === s} onClick={() => setSide(s)}>
              {s}
            </button>
          ))}
        </div>
      </div>
      <div class="code-block">
        <pre class="code" id="repro-docker">{script}</pre>
        <CopyButton text={script} label={`Copy the Docker commands for the ${side}`} />
      </div>
    </section>
  );
}
