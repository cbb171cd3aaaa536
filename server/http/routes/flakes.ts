/**
 * Calibration (issue 21 item 1): start one (write token), and the flake rates it measured, with the
 * quarantine candidates: tests whose rate re-runs cannot see through (common/flakes/rule.ts).
 */
import type { IRouter } from 'express';
import { z } from 'zod';
import { CHANCE_MAX, MAX_RERUNS, type FlakesJson } from '../../../common/flakes/rule.js';
import type { ResolvedMatrix } from '../../../common/matrix/load.js';
import type { requireToken } from '../../auth/access.js';
import { calibrate, CALIBRATE_RUNS_MAX } from '../../flakes/calibrate.js';
import { PlanError } from '../../planner/plan.js';
import type { Orchestrator } from '../../runs/orchestrator.js';
import type { Store } from '../../store/store.js';
import { HttpError, parse, route } from '../handler.js';

const Name = z.string().min(1).max(100);
const CalibrateBody = z.object({ library: Name, consumers: z.array(Name).max(500).optional(), runs: z.number().int().min(1).max(CALIBRATE_RUNS_MAX).optional(), version: z.string().min(1).max(200).optional() });
const FlakesQuery = z.object({ library: Name, consumer: Name.optional(), cell: z.string().min(1).max(300).optional() });

/** The rate past which no bounded number of re-runs confirms a failure: such tests are quarantine candidates. */
export const CANDIDATE_RATE = CHANCE_MAX ** (1 / MAX_RERUNS);

export function flakeRoutes(api: IRouter, deps: { store: Store; orchestrator: Orchestrator; matrix(): ResolvedMatrix; auth: ReturnType<typeof requireToken> }): void {
  api.post(
    '/calibrations',
    route(async (req) => {
      const who = deps.auth(req);
      const body = parse(CalibrateBody, req.body ?? {}, 'body');
      try {
        return { status: 201, body: await calibrate(deps.orchestrator, deps.orchestrator.repos, deps.matrix(), body, who) };
      } catch (error) {
        if (error instanceof PlanError) throw new HttpError(400, error.message, { field: error.field });
        throw error;
      }
    }),
  );
  api.get(
    '/flakes',
    route((req) => {
      const q = parse(FlakesQuery, req.query, 'query');
      const rates = deps.store.flakeRates(q);
      const body: FlakesJson = { rates, candidateRate: CANDIDATE_RATE, candidates: rates.filter((r) => r.rate > CANDIDATE_RATE) };
      return { status: 200, body };
    }),
  );
}
