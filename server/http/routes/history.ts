/** A consumer's history against a library: its verdicts run after run. */
import type { IRouter } from 'express';
import { z } from 'zod';
import type { Store } from '../../store/store.js';
import { parse, route } from '../handler.js';

const HistoryQuery = z.object({ library: z.string().min(1).max(100), consumer: z.string().min(1).max(100) });

export function historyRoutes(api: IRouter, deps: { store: Store }): void {
  const { store } = deps;
  api.get(
    '/history',
    route((req) => {
      const q = parse(HistoryQuery, req.query, 'query');
      return { status: 200, body: store.consumerHistory(q.library, q.consumer) };
    }),
  );
}
