/** A consumer's measured flake rates (issue 21 item 1: `compat calibrate`), with the quarantine candidates marked. */
import type { FlakesJson } from '../../../common/flakes/rule.js';
import { formatDate } from '../format.js';

export function FlakeRates({ flakes }: { flakes: FlakesJson | null }) {
  if (!flakes) return null;
  const candidates = new Set(flakes.candidates.map((c) => `${c.cell}\u0000${c.test}`));
  return (
    <section class="section" aria-labelledby="flakes-title">
      <h2 id="flakes-title">Flake rates</h2>
      {flakes.rates.length === 0 ? (
        <p class="muted">No test failed in a calibration run (compat calibrate), or none has run: new failures are confirmed by re-runs alone.</p>
      ) : (
        <div class="table-wrap">
          <table class="flakes">
            <thead>
              <tr>
                <th scope="col">Cell</th>
                <th scope="col">Test</th>
                <th scope="col">Failed</th>
                <th scope="col">Rate used</th>
                <th scope="col">Measured</th>
              </tr>
            </thead>
            <tbody>
              {flakes.rates.map((r) => (
                <tr key={`${r.cell}/${r.test}`} data-test={r.test} class={candidates.has(`${r.cell}\u0000${r.test}`) ? 'flake-candidate' : ''}>
                  <td class="mono">{r.cell}</td>
                  <td class="mono">{r.test}</td>
                  <td>
                    {r.failures} of {r.samples}
                  </td>
                  <td>
                    {(r.rate * 100).toFixed(1)}%{candidates.has(`${r.cell}\u0000${r.test}`) ? ' · quarantine candidate' : ''}
                  </td>
                  <td>
                    <time dateTime={r.measuredAt}>{formatDate(r.measuredAt)}</time>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
