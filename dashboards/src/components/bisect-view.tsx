/**
 * A bisect as the pages show it: the first bad commit (or why there is none), then each step with its
 * outcome and log. The search itself ran on the server; this only shows what it recorded.
 */
import type { BisectCommit, BisectJson, CellJson } from '../../../common/wire.js';
import { api } from '../api.js';
import { formatDate, formatDuration } from '../format.js';
import { bisectedOnNote, culpritsOf, isGrouped } from '../../../common/bisect-words.js';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

const OUTCOME_LABEL = { good: 'good', bad: 'bad', skip: 'skipped', error: 'could not run' } as const;
const STATUS_LABEL = { running: 'bisecting…', found: 'first bad commit found', inconclusive: 'inconclusive' } as const;

const sha7 = (sha: string) => sha.slice(0, 7);

export function CommitRef({ commit }: { commit: BisectCommit }) {
  const sha = <span class="mono">{sha7(commit.sha)}</span>;
  return (
    <span class="commit-ref" title={commit.sha}>
      {commit.url ? (
        <a href={commit.url} rel="noreferrer noopener" target="_blank">
          {sha}
        </a>
      ) : (
        sha
      )}{' '}
      {commit.subject}
    </span>
  );
}

/** The cell page's section: the answer with its author and date, and the steps. */
export function BisectSection({ runId, consumer, cellId, bisect }: { runId: string; consumer: string; cellId: string; bisect: BisectJson }) {
  const elsewhere = bisectedOnNote(cellId, bisect);
  // Several causes: each with its tests.
  const grouped = isGrouped(bisect);
  return (
    <section class="section bisect" aria-labelledby="bisect-title" data-bisect-status={bisect.status}>
      <div class="section-head">
        <h2 id="bisect-title">Which commit broke it</h2>
        <span class={`status status-${bisect.status === 'found' ? 'bad' : bisect.status === 'running' ? 'idle' : 'err'}`}>{STATUS_LABEL[bisect.status]}</span>
      </div>
      {elsewhere && (
        <p class="bisect-elsewhere" data-bisected-on={bisect.cellId}>
          {capitalize(elsewhere)}.
        </p>
      )}
      {grouped && (
        <ul class="bisect-culprits" aria-label="First bad commits, with the tests that first fail there">
          {culpritsOf(bisect).map((c) => (
            <li key={c.firstBad.sha} data-first-bad={c.firstBad.sha} data-tests={c.testsTotal ?? c.tests.length}>
              {plural(c.testsTotal ?? c.tests.length, 'test')} first fail{(c.testsTotal ?? c.tests.length) === 1 ? 's' : ''} at <CommitRef commit={c.firstBad} />
              <span class="muted">
                {' '}
                by {c.firstBad.author}, {formatDate(c.firstBad.date)}
              </span>
              <details>
                <summary>the tests</summary>
                <ul class="mono">
                  {c.tests.map((t) => (
                    <li key={t}>{t}</li>
                  ))}
                  {c.testsTotal && c.testsTotal > c.tests.length ? <li class="muted">and {c.testsTotal - c.tests.length} more</li> : null}
                </ul>
              </details>
            </li>
          ))}
        </ul>
      )}
      {bisect.firstBad && !grouped && (
        <p class="bisect-answer" data-first-bad={bisect.firstBad.sha}>
          First bad commit: <CommitRef commit={bisect.firstBad} />
          <span class="muted">
            {' '}
            by {bisect.firstBad.author}, {formatDate(bisect.firstBad.date)}
          </span>
        </p>
      )}
      {bisect.reason && <p class="bisect-reason">{bisect.status === 'found' ? capitalize(bisect.reason) : `Inconclusive: ${bisect.reason}`}.</p>}
      {bisect.candidates && bisect.candidates.length > 0 && (
        <ul class="bisect-candidates" aria-label="Commits the first bad one is among">
          {bisect.candidates.map((c) => (
            <li key={c.sha}>
              <CommitRef commit={c} />
            </li>
          ))}
        </ul>
      )}
      <p class="muted">
        Binary search over the {bisect.commits} first-parent commit{bisect.commits === 1 ? '' : 's'} after the baseline, each step the candidate side of{' '}
        <span class="mono">{bisect.cellId}</span> against that commit's build{bisect.current ? `; now testing ${sha7(bisect.current)}` : ''}.
      </p>
      {bisect.steps.length > 0 && (
        <ol class="bisect-steps">
          {bisect.steps.map((step, seq) => (
            <li key={seq} data-outcome={step.outcome}>
              <span class={`outcome outcome-${step.outcome}`}>{OUTCOME_LABEL[step.outcome]}</span> <span class="mono">{sha7(step.sha)}</span> {step.subject ?? ''}
              {step.purpose === 'confirm' ? <span class="muted"> (confirming)</span> : step.purpose === 'retry' ? <span class="muted"> (retry)</span> : null}
              {step.durationMs ? <span class="muted"> · {formatDuration(step.durationMs)}</span> : null}
              {step.detail ? <span class="muted"> · {step.detail}</span> : null} ·{' '}
              <a href={api.bisectStepLog(runId, consumer, seq)} target="_blank" rel="noreferrer">
                log
              </a>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

/** The run page's summary: one line per bisected consumer. */
export function BisectSummary({ runId, cells, cellHref }: { runId: string; cells: CellJson[]; cellHref: (runId: string, cellId: string) => string }) {
  const byConsumer = new Map<string, BisectJson>();
  for (const cell of cells) if (cell.bisect && !byConsumer.has(cell.consumer)) byConsumer.set(cell.consumer, cell.bisect);
  if (byConsumer.size === 0) return null;
  return (
    <section class="section bisect" aria-labelledby="bisects-title">
      <h2 id="bisects-title">Which commit broke it</h2>
      <ul class="bisect-list">
        {[...byConsumer.entries()].map(([consumer, b]) => (
          <li key={consumer} data-consumer={consumer} data-bisect-status={b.status}>
            <a href={cellHref(runId, b.cellId)}>{consumer}</a>:{' '}
            {isGrouped(b) ? (
              culpritsOf(b).map((c, i) => (
                <span key={c.firstBad.sha} data-first-bad={c.firstBad.sha}>
                  {i > 0 ? '; ' : ''}
                  {plural(c.testsTotal ?? c.tests.length, 'test')} first fail{(c.testsTotal ?? c.tests.length) === 1 ? 's' : ''} at <CommitRef commit={c.firstBad} />
                </span>
              ))
            ) : b.firstBad ? (
              <>
                first bad commit <CommitRef commit={b.firstBad} />
              </>
            ) : (
              STATUS_LABEL[b.status]
            )}
            <span class="muted"> (bisected on {b.cellId})</span>
            <span class="muted">
              {' '}
              ({b.steps.length} step{b.steps.length === 1 ? '' : 's'} over {b.commits} commit{b.commits === 1 ? '' : 's'}
              {b.steps.some((s) => s.outcome === 'skip') ? `, ${b.steps.filter((s) => s.outcome === 'skip').length} skipped` : ''})
              {b.reason ? `: ${b.reason}` : ''}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
