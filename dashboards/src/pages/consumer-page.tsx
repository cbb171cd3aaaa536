/**
 * `/consumers/:library/:consumer`: one consumer's verdicts across the library's versions, a row per
 * run (newest first) and a column per backend, each verdict linking to its cell.
 */
import { useEffect, useMemo } from 'preact/hooks';
import { BACKENDS, type Backend, type CellVerdict } from '../../../common/types.js';
import { api, useJson, type HistoryJson } from '../api.js';
import { Breadcrumbs, ErrorNote, Loading, Verdict } from '../components/common.js';
import { FlakeRates } from '../components/flake-rates.js';
import { HistoryStrips } from '../components/history-strip.js';
import type { FlakesJson } from '../../../common/flakes/rule.js';
import { formatDate } from '../format.js';
import { href } from '../router.js';

interface HistoryRow {
  runId: string;
  candidate: string;
  baseline: string;
  createdAt: string;
  verdicts: Partial<Record<Backend, CellVerdict>>;
}

export function ConsumerPage({ library, consumer }: { library: string; consumer: string }) {
  const history = useJson<HistoryJson>(api.history(library, consumer));
  const flakes = useJson<FlakesJson>(api.flakes(library, consumer));
  useEffect(() => {
    document.title = `${consumer} with ${library} · compat-matrix`;
  }, [library, consumer]);

  const { rows, backends } = useMemo(() => {
    const byRun = new Map<string, HistoryRow>();
    const present = new Set<Backend>();
    for (const entry of history.data ?? []) {
      present.add(entry.backend);
      let row = byRun.get(entry.runId);
      if (!row) byRun.set(entry.runId, (row = { runId: entry.runId, candidate: entry.candidate, baseline: entry.baseline, createdAt: entry.createdAt, verdicts: {} }));
      row.verdicts[entry.backend] = entry.verdict;
    }
    return { rows: [...byRun.values()], backends: BACKENDS.filter((b) => present.has(b)) };
  }, [history.data]);

  return (
    <>
      <Breadcrumbs items={[{ label: 'Runs', href: href.runs() }, { label: library, href: href.runs(library) }, { label: consumer }]} />
      <div class="page-head">
        <h1>
          {consumer} <span class="muted">with</span> {library}
        </h1>
      </div>
      <p class="lede">Verdicts of this consumer against each candidate version of {library}, newest first.</p>
      {history.error && <ErrorNote error={history.error} what="the history" />}
      {!history.data && !history.error && <Loading what="the history" />}
      {history.data && rows.length === 0 && <p class="empty">No run of {library} has included {consumer} yet.</p>}
      {history.data && <HistoryStrips consumer={consumer} history={history.data} />}
      <FlakeRates flakes={flakes.data} />
      {rows.length > 0 && (
        <div class="table-wrap">
          <table class="history">
            <caption class="visually-hidden">
              Verdicts of {consumer} per {library} version and backend
            </caption>
            <thead>
              <tr>
                <th scope="col">Candidate</th>
                <th scope="col">Baseline</th>
                {backends.map((b) => (
                  <th scope="col" key={b}>
                    {b}
                  </th>
                ))}
                <th scope="col">Run</th>
                <th scope="col">Started</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.runId}>
                  <th scope="row" class="mono">
                    {row.candidate}
                  </th>
                  <td class="mono">{row.baseline}</td>
                  {backends.map((b) => {
                    const verdict = row.verdicts[b];
                    return (
                      <td key={b} class={verdict ? `cell c-${verdict}` : 'cell cell-none'} data-verdict={verdict}>
                        {verdict ? (
                          <a href={href.cell(row.runId, `${consumer}.${b}`)} aria-label={`${row.candidate} on ${b}: ${verdict}`}>
                            <Verdict verdict={verdict} />
                          </a>
                        ) : (
                          <span class="muted">not run</span>
                        )}
                      </td>
                    );
                  })}
                  <td>
                    <a class="mono" href={href.run(row.runId)}>
                      {row.runId}
                    </a>
                  </td>
                  <td>
                    <time dateTime={row.createdAt}>{formatDate(row.createdAt)}</time>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
