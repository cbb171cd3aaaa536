/**
 * Logs, plain text: a cell side's, a run's build's and a bisect step's. Followed while what writes the
 * log is live, under the log followers' cap.
 */
import type { IRouter, Request, Response } from 'express';
import { z } from 'zod';
import type { Config } from '../../../common/config.js';
import { bisectStepLogKey, logKey } from '../../../common/queue/keys.js';
import type { LogReader } from '../../../common/queue/redis-data.js';
import { SIDES, type Side } from '../../../common/types.js';
import { isFinished } from '../../../common/verdict.js';
import type { LogFollowers } from '../../logs/followers.js';
import { bisectStepLogFile, logFile, streamLog } from '../../logs/logs.js';
import type { Store } from '../../store/store.js';
import { HttpError, parse, route } from '../handler.js';
import { StreamCap } from '../stream-caps.js';

export interface LogRoutesDeps {
  config: Config;
  store: Store;
  logs: LogReader;
  /** The server's one reader of followed logs. */
  followers: LogFollowers;
}

const LogQuery = z.object({
  side: z.enum(SIDES).default('candidate'),
  attempt: z.coerce.number().int().min(0).max(20).default(0),
  follow: z.enum(['0', '1', 'true', 'false']).optional(),
});

export function logRoutes(api: IRouter, deps: LogRoutesDeps): void {
  const { store, config } = deps;
  const caps = config.streamCaps;
  const followCap = new StreamCap({
    what: 'log followers',
    total: caps.logFollowers,
    perClient: caps.logFollowersPerClient,
    totalEnv: 'COMPAT_MAX_LOG_FOLLOWERS',
    perClientEnv: 'COMPAT_MAX_LOG_FOLLOWERS_PER_CLIENT',
  });
  /**
   * Whether a cell side (or the run's build, cellId "build") may still write its log: its run is not
   * done and the side has not finished; a side the run has not started yet counts while it may still
   * come (attempt 0, or a confirming re-run the run allows). Anything else is finished or unknown.
   */
  const sideLive = (runId: string, cellId: string, side: Side, attempt: number) => (): boolean => {
    const run = store.runRecord(runId);
    if (!run || run.status === 'done') return false;
    if (cellId === 'build') return attempt === 0 && !store.build(runId, side);
    const status = store.sideStatuses(runId, cellId).find((s) => s.side === side && s.attempt === attempt)?.status;
    return status ? !isFinished(status) : attempt <= run.reruns;
  };
  /** A followed log: a slot under the cap only when it will really be held (its side is live). */
  const followLog = (req: Request, res: Response, key: string, file: string, live: (() => boolean) | null) => {
    const follow = live && live() ? { followers: deps.followers, live } : null;
    if (follow) followCap.take(req, res);
    return streamLog(res, deps.logs, key, file, follow);
  };
  const sendLog = (req: Request, runId: string, cellId: string, side: Side, attempt: number, follow: boolean, res: Response) =>
    followLog(req, res, logKey(config.prefix, runId, cellId, side, attempt), logFile(config.dataDir, runId, cellId, side, attempt), follow ? sideLive(runId, cellId, side, attempt) : null);

  api.get(
    '/runs/:id/bisects/:consumer/steps/:seq/logs',
    route(async (req, res) => {
      const run = store.runRecord(String(req.params.id));
      const consumer = String(req.params.consumer);
      const seq = parse(z.coerce.number().int().min(0).max(1000), req.params.seq, 'seq');
      if (!run || !store.bisects.steps(run.id, consumer).some((s) => s.seq === seq)) throw new HttpError(404, `no bisect step ${seq} of ${consumer} in run "${req.params.id}"`);
      const live = () => store.bisects.get(run.id, consumer)?.status === 'running' && store.bisects.steps(run.id, consumer).some((s) => s.seq === seq && s.outcome === null);
      await followLog(req, res, bisectStepLogKey(config.prefix, run.id, consumer, seq), bisectStepLogFile(config.dataDir, run.id, consumer, seq), live);
    }),
  );
  api.get(
    '/runs/:id/cells/:cellId/logs',
    route(async (req, res) => {
      const run = store.getRun(String(req.params.id));
      if (!run || !run.cells.some((c) => c.id === req.params.cellId)) throw new HttpError(404, `no cell "${req.params.cellId}" in run "${req.params.id}"`);
      const q = parse(LogQuery, req.query, 'query');
      await sendLog(req, run.id, String(req.params.cellId), q.side, q.attempt, q.follow !== '0' && q.follow !== 'false', res);
    }),
  );
  api.get(
    '/runs/:id/builds/:side/logs',
    route(async (req, res) => {
      const run = store.getRun(String(req.params.id));
      const side = parse(z.enum(SIDES), req.params.side, 'side');
      if (!run) throw new HttpError(404, `no run "${req.params.id}"`);
      await sendLog(req, run.id, 'build', side, 0, true, res);
    }),
  );
}
