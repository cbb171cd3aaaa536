/**
 * A cell's schema diff (issue 19): each object that changed, the baseline's and the candidate's side by
 * side, and the `sql:` output's diff under them. What the server decided, shown as it is.
 */
import type { CellJson } from '../../../common/wire.js';

type Change = NonNullable<CellJson['schemaChanges']>[number];

const DDL = 'ddl (sql: output)';

function Props({ value }: { value: Change['baseline'] }) {
  if (!value) return <span class="muted">none</span>;
  if (typeof value.text === 'string') return <pre class="code">{value.text}</pre>;
  return <pre class="code">{JSON.stringify(value, null, 2)}</pre>;
}

export function SchemaDiff({ changes, reason }: { changes: Change[]; reason?: string }) {
  const objects = changes.filter((c) => c.object !== DDL);
  const ddl = changes.find((c) => c.object === DDL);
  return (
    <section class="section schema-diff" aria-labelledby="schema-title" data-schema-changes={changes.length}>
      <h2 id="schema-title">
        Schema changes <span class="count-pill">{changes.length}</span>
      </h2>
      <p class="muted">{reason?.startsWith('schema differs') ? reason : 'The schema the migrations built differs between the sides.'}</p>
      <table class="tests">
        <thead>
          <tr>
            <th>object</th>
            <th>change</th>
            <th>baseline</th>
            <th>candidate</th>
          </tr>
        </thead>
        <tbody>
          {objects.map((c) => (
            <tr key={c.object} data-object={c.object} data-change={c.change}>
              <td class="mono">{c.object}</td>
              <td>{c.change}</td>
              <td>
                <Props value={c.baseline} />
              </td>
              <td>
                <Props value={c.candidate} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {ddl && (
        <div class="sides" data-object={DDL}>
          <div>
            <h3>DDL, baseline</h3>
            <Props value={ddl.baseline} />
          </div>
          <div>
            <h3>DDL, candidate</h3>
            <Props value={ddl.candidate} />
          </div>
        </div>
      )}
    </section>
  );
}
