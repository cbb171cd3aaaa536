/** A cell of a run: its detail (paged lists, attempts, how to reproduce) and its repro script. */
import type { IRouter, Request } from 'express';
import { z } from 'zod';
import { databaseImageOf } from '../../../common/cell.js';
import { SIDES } from '../../../common/types.js';
import type { CellDetailJson } from '../../../common/wire.js';
import { compatRunCommand, dockerScript } from '../../repro/script.js';
import type { Store } from '../../store/store.js';
import { HttpError, parse, route } from '../handler.js';

/** Paging of a cell's lists: the default page is every list of an ordinary cell. */
const CELL_PAGE_DEFAULT = 1000;
const CELL_PAGE_MAX = 10_000;
const CellQuery = z.object({
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(CELL_PAGE_MAX).default(CELL_PAGE_DEFAULT),
});

export function cellRoutes(api: IRouter, deps: { store: Store }): void {
  const { store } = deps;
  /** A cell of a run, or 404. */
  const cellOf = (req: Request) => {
    const run = store.getRun(String(req.params.id));
    const cell = run?.cells.find((c) => c.id === req.params.cellId);
    if (!run || !cell) throw new HttpError(404, `no cell "${req.params.cellId}" in run "${req.params.id}"`);
    const config = store.cellConfig(run.id, cell.id);
    if (!config) throw new HttpError(404, `no cell "${req.params.cellId}" in run "${req.params.id}"`);
    return { run: { ...run, cells: undefined }, cell, config };
  };

  api.get(
    '/runs/:id/cells/:cellId',
    route((req) => {
      const { offset, limit } = parse(CellQuery, req.query, 'query');
      const { run, cell: shown, config } = cellOf(req);
      const lists = store.cellLists(run.id, shown.id)!;
      const page = <T>(list: T[]) => list.slice(offset, offset + limit);
      const allTests = Object.fromEntries(SIDES.map((side) => [side, store.testsOf(run.id, shown.id, side, 0)])) as CellDetailJson['tests'];
      const tests = Object.fromEntries(SIDES.map((side) => [side, page(allTests[side])])) as CellDetailJson['tests'];
      const cell = {
        ...shown,
        newFailures: page(lists.newFailures),
        fixedTests: page(lists.fixedTests),
        newFailuresTotal: lists.newFailures.length,
        fixedTestsTotal: lists.fixedTests.length,
      };
      const body: CellDetailJson = {
        run,
        cell,
        tests,
        config,
        attempts: store.sideStatuses(run.id, cell.id),
        reproduce: { compat: compatRunCommand({ run, cell }) },
        page: {
          offset,
          limit,
          newFailures: lists.newFailures.length,
          fixedTests: lists.fixedTests.length,
          tests: { candidate: allTests.candidate.length, baseline: allTests.baseline.length },
        },
      };
      return { status: 200, body };
    }),
  );
  // Plain text, built here from the worker's own modules: the dashboard shows it as it comes.
  api.get(
    '/runs/:id/cells/:cellId/repro',
    route((req, res) => {
      const { run, cell, config } = cellOf(req);
      const side = parse(z.object({ side: z.enum(SIDES).default('candidate') }), req.query, 'query').side;
      // What the run was made with: how its library is built, which database images it used.
      const plan = store.runMeta(run.id)?.plan;
      const script = dockerScript(
        {
          run,
          cell,
          config,
          library: plan?.library ? { repo: plan.library.repo, image: plan.library.image, command: plan.library.command } : null,
          databaseImage: plan ? databaseImageOf(plan.databases, cell) || null : null,
          baselineFile: store.runMeta(run.id)?.baselineFile ?? null,
        },
        side,
      );
      res.type('text/plain; charset=utf-8').set('Cache-Control', 'no-store').send(`${script}\n`);
    }),
  );
}
