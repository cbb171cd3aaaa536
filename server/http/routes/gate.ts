/** The release gate: may this library version ship, by its runs against its own baseline. */
import type { IRouter } from 'express';
import { z } from 'zod';
import { gateOf, gateRuns } from '../../../common/verdict.js';
import type { Store } from '../../store/store.js';
import { parse, route } from '../handler.js';

const GateQuery = z.object({ library: z.string().min(1).max(100), version: z.string().min(1).max(200) });

export function gateRoutes(api: IRouter, deps: { store: Store }): void {
  const { store } = deps;
  api.get(
    '/gate',
    route((req) => {
      const q = parse(GateQuery, req.query, 'query');
      const bare = q.version.replace(/^v/, '');
      const runs = store.runsFor(q.library, bare);
      if (!runs.length) runs.push(...store.runsFor(q.library, q.version));
      if (!runs.length) return { status: 404, body: { ...gateOf([]), error: `no run for ${q.library} ${q.version}` } };
      if (!gateRuns(runs).length) {
        // Runs that asked for another baseline answer their own question, never the gate's; a cancelled run is no run.
        if (runs.every((r) => r.verdict === 'cancelled')) return { status: 404, body: { ...gateOf([]), error: `no run for ${q.library} ${q.version}: its runs were cancelled (${runs.slice(0, 5).map((r) => r.id).join(', ')})` } };
        const others = runs.filter((r) => r.verdict !== 'cancelled').slice(0, 5).map((r) => `${r.id} (baseline ${r.baseline})`).join(', ');
        return { status: 404, body: { ...gateOf([]), error: `no run for ${q.library} ${q.version} against its own baseline; runs with other baselines do not decide the gate: ${others}` } };
      }
      return { status: 200, body: gateOf(runs) };
    }),
  );
}
