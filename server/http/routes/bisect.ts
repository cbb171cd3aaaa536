/** Starting a bisect of a regressed cell (write token). Its steps' logs are in logs.ts. */
import type { IRouter } from 'express';
import type { requireToken } from '../../auth/access.js';
import { NotARegression, UnknownCell } from '../../bisect/bisector.js';
import type { Orchestrator } from '../../runs/orchestrator.js';
import { HttpError, route } from '../handler.js';

export function bisectRoutes(api: IRouter, deps: { orchestrator: Orchestrator; auth: ReturnType<typeof requireToken> }): void {
  const { auth } = deps;
  api.post(
    '/runs/:id/cells/:cellId/bisect',
    route(async (req) => {
      auth(req);
      try {
        return { status: 202, body: { bisect: await deps.orchestrator.startBisect(String(req.params.id), String(req.params.cellId)) } };
      } catch (error) {
        if (error instanceof UnknownCell) throw new HttpError(404, error.message);
        if (error instanceof NotARegression) throw new HttpError(409, error.message);
        throw error;
      }
    }),
  );
}
