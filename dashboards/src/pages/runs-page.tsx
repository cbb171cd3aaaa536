/** `/`: every run, newest first, with its verdict and what needs looking at; filterable by library. */
import { useEffect } from 'preact/hooks';
import { api, useJson, type RunSummaryJson } from '../api.js';
import { ErrorNote, Loading, Verdict, useNow } from '../components/common.js';
import { formatDate, formatDuration, relativeTime, runDuration } from '../format.js';
import { href, navigate } from '../router.js';

export function RunsPage({ library }: { library: string | null }) {
  // Refreshed while anything is still running, so a list left open stays true.
  const runs = useJson<RunSummaryJson[]>(api.runs(library), { pollMs: 5000, poll: (list) => list.some((r) => r.status !== 'done') });
  // Library names for the filter come from every run, not just the filtered ones.
  const all = useJson<RunSummaryJson[]>(api.runs(null, 1000));
  const libraries = [...new Set([...(all.data ?? []).map((r) => r.library), ...(library ? [library] : [])])].sort();
  const now = useNow(1000, runs.data?.some((r) => r.status !== 'done') ?? false);
  useEffect(() => {
    document.title = library ? `Runs of ${library} · compat-matrix` : 'Runs · compat-matrix';
  }, [library]);

  return (
    <>
      <div class="page-head">
        <h1>Runs{library ? <span class="muted"> of {library}</span> : null}</h1>
        <form
          class="filters"
          role="search"
          aria-label="Filter runs"
          onSubmit={(e) => e.preventDefault()}
        >
          <label for="library-filter">Library</label>
          <select
            id="library-filter"
            value={library ?? ''}
            onChange={(e) => navigate(href.runs((e.currentTarget as HTMLSelectElement).value || null), { replace: true })}
          >
            <option value="">All libraries</option>
            {libraries.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </form>
      </div>
      {runs.error && <ErrorNote error={runs.error} what="runs" />}
      {!runs.data && !runs.error && <Loading what="runs" />}
      {runs.data && runs.data.length === 0 && (
        <div class="empty">
          <p>No runs{library ? ` of ${library}` : ''} yet.</p>
          <p>
            Start one with <code>compat run --library NAME --candidate vX.Y.Z --wait</code>, by pushing a release tag (webhook), or with{' '}
            <code>POST /api/runs</code>.
          </p>
        </div>
      )}
      {runs.data && runs.data.length > 0 && (
        <div class="table-wrap">
          <table class="runs-table">
            <caption class="visually-hidden">Runs, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Run</th>
                <th scope="col">Library</th>
                <th scope="col">Candidate</th>
                <th scope="col">Baseline</th>
                <th scope="col">Verdict</th>
                <th scope="col" class="num">
                  Regressions
                </th>
                <th scope="col" class="num">
                  Flaky
                </th>
                <th scope="col" class="num">
                  Errors
                </th>
                <th scope="col" class="num">
                  Duration
                </th>
                <th scope="col">Trigger</th>
                <th scope="col">Started</th>
              </tr>
            </thead>
            <tbody>
              {runs.data.map((run) => (
                <RunRow key={run.id} run={run} now={now} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

function RunRow({ run, now }: { run: RunSummaryJson; now: number }) {
  const cells = Object.values(run.counts).reduce((a, b) => a + b, 0);
  const done = cells - run.counts.pending - run.counts.running;
  const verdict = run.status === 'done' ? run.verdict : run.verdict === 'blocked' ? 'blocked' : run.status === 'queued' ? 'pending' : 'running';
  return (
    <tr data-run={run.id} data-verdict={verdict}>
      <th scope="row">
        <a href={href.run(run.id)} class="mono">
          {run.id}
        </a>
      </th>
      <td data-label="Library">
        <a href={href.runs(run.library)} title={`Only runs of ${run.library}`}>
          {run.library}
        </a>
      </td>
      <td class="mono" data-label="Candidate">
        {run.candidate}
      </td>
      <td class="mono" data-label="Baseline">
        {run.baseline}
      </td>
      <td data-label="Verdict">
        <Verdict verdict={verdict} />
        {run.status !== 'done' && (
          <span class="progress-text">
            {' '}
            {done}/{cells}
          </span>
        )}
      </td>
      <td class={`num${run.counts.regression ? ' count-bad' : ''}`} data-label="Regressions">{run.counts.regression}</td>
      <td class={`num${run.counts.flaky ? ' count-warn' : ''}`} data-label="Flaky">{run.counts.flaky}</td>
      <td class={`num${run.counts.error ? ' count-err' : ''}`} data-label="Errors">{run.counts.error}</td>
      <td class="num" data-label="Duration">{formatDuration(runDuration(run, now))}</td>
      <td data-label="Trigger">
        <span class={`tag tag-${run.trigger}`}>{run.trigger}</span>
      </td>
      <td data-label="Started">
        <time dateTime={run.createdAt} title={formatDate(run.createdAt)}>
          {relativeTime(run.createdAt, now)}
        </time>
      </td>
    </tr>
  );
}
