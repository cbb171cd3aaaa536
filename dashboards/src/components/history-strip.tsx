/**
 * A consumer's recent verdicts per cell as strips (issue 21 item 5): oldest left, newest right, a
 * colour per verdict, each a link to that cell of that run: "failing since 1.4.36" or "flips every
 * few runs" at a glance.
 */
import type { HistoryJson } from '../../../common/wire.js';
import { BACKENDS } from '../../../common/types.js';
import { href } from '../router.js';

/** Runs a strip shows. */
const SHOWN = 40;

export function HistoryStrips({ consumer, history }: { consumer: string; history: HistoryJson }) {
  const backends = BACKENDS.filter((b) => history.some((h) => h.backend === b));
  if (!backends.length) return null;
  return (
    <section class="section" aria-labelledby="strips-title">
      <h2 id="strips-title">Recent verdicts per cell</h2>
      <p class="muted">Oldest left, newest right; each mark opens that cell of that run.</p>
      <dl class="strips">
        {backends.map((backend) => {
          // The history is newest first.
          const entries = history.filter((h) => h.backend === backend).slice(0, SHOWN).reverse();
          return (
            <div key={backend} class="strip-row">
              <dt class="mono">
                {consumer}.{backend}
              </dt>
              <dd class="strip" data-cell={`${consumer}.${backend}`}>
                {entries.map((h) => (
                  <a
                    key={h.runId}
                    class={`strip-mark strip-${h.verdict}`}
                    data-verdict={h.verdict}
                    href={href.cell(h.runId, `${consumer}.${backend}`)}
                    title={`${h.candidate} vs ${h.baseline}: ${h.verdict} (${h.createdAt})`}
                    aria-label={`${h.candidate} on ${backend}: ${h.verdict}`}
                  />
                ))}
              </dd>
            </div>
          );
        })}
      </dl>
    </section>
  );
}
