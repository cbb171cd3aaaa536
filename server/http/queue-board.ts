/**
 * The queue board (`/admin/queues`, bull-board). Writable it is full Redis power: its add and retry
 * routes put any job on any queue, a `side-done` result no worker produced or a cell job naming another
 * consumer's secrets. So only an `admin` token gets the writable board; every other valid token (write
 * or read) gets the same board read-only (jobs, logs and counts, no buttons), and any request of theirs
 * that is not a GET or HEAD is refused here with 403 before bull-board sees it, whatever bull-board's own
 * read-only checks cover.
 */
import { createBullBoard } from '@bull-board/api';
import { ExpressAdapter } from '@bull-board/express';
import type { RequestHandler, Router } from 'express';
import type { Queues } from '../../common/queue/bullmq.js';
import { requireScope } from '../auth/access.js';
import { allows, type Scope, type Tokens } from '../auth/tokens.js';
import { HttpError } from './handler.js';

export const QUEUE_BOARD_PATH = '/admin/queues';

function board(queues: Queues, readOnlyMode: boolean): Router {
  const adapter = new ExpressAdapter();
  adapter.setBasePath(QUEUE_BOARD_PATH);
  createBullBoard({ queues: queues.boardQueues(readOnlyMode), serverAdapter: adapter });
  return adapter.getRouter() as Router;
}

/** One handler for `/admin/queues`: the writable board for admin tokens, the read-only one for the rest. */
export function queueBoards(queues: Queues, tokens: Tokens): RequestHandler {
  const writable = board(queues, false);
  const readOnly = board(queues, true);
  const auth = requireScope(tokens);
  return (req, res, next) => {
    let token: { name: string; scope: Scope };
    try {
      token = auth(req, 'read');
    } catch {
      // Basic, so a browser asks for the token (any user name, the token as password).
      res.set('WWW-Authenticate', 'Basic realm="compat-matrix queues"').status(401).json({ error: 'a valid API token is required' });
      return;
    }
    if (allows(token.scope, 'admin')) return writable(req, res, next);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      next(new HttpError(403, `token "${token.name}" (scope ${token.scope}) sees a read-only queue board; changing queues needs an admin token (compat tokens create NAME --scope admin)`));
      return;
    }
    return readOnly(req, res, next);
  };
}
