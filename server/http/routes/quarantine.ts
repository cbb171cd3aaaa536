/**
 * Quarantined tests (server/quarantine): list (a read), add and remove (write token, as the other
 * write routes). matrix.yaml's own entries are listed too, and removed only by editing matrix.yaml.
 */
import type { IRouter } from 'express';
import { z } from 'zod';
import type { ResolvedMatrix } from '../../../common/matrix/load.js';
import { untilInstant } from '../../../common/quarantine/entry.js';
import type { requireToken } from '../../auth/access.js';
import type { Store } from '../../store/store.js';
import { HttpError, parse, route } from '../handler.js';

const Name = z.string().min(1).max(100);
const Key = z.object({ library: Name, consumer: Name, test: z.string().min(1).max(1000) });
const AddBody = Key.extend({ reason: z.string().trim().min(1).max(1000), until: z.string().min(1).max(40) });
const ListQuery = z.object({ library: Name.optional(), consumer: Name.optional() });

export function quarantineRoutes(api: IRouter, deps: { store: Store; matrix(): ResolvedMatrix; auth: ReturnType<typeof requireToken> }): void {
  const { store, auth } = deps;
  const known = (library: string, consumer: string) => {
    const lib = deps.matrix().libraries.find((l) => l.name === library);
    if (!lib) throw new HttpError(400, `no library "${library}" in the matrix`, { field: 'library' });
    if (!lib.consumers.some((c) => c.name === consumer)) throw new HttpError(400, `no consumer "${consumer}" of library "${library}"`, { field: 'consumer' });
  };
  api.get(
    '/quarantine',
    route((req) => {
      const q = parse(ListQuery, req.query, 'query');
      const now = new Date();
      return { status: 200, body: store.quarantines.list(q).map((e) => ({ ...e, active: new Date(e.until) > now })) };
    }),
  );
  api.post(
    '/quarantine',
    route((req) => {
      const who = auth(req);
      const body = parse(AddBody, req.body ?? {}, 'body');
      known(body.library, body.consumer);
      const until = untilInstant(body.until);
      if (!until) throw new HttpError(400, `until: "${body.until}" is not a date (YYYY-MM-DD) or an ISO 8601 instant`, { field: 'until' });
      if (new Date(until) <= new Date()) throw new HttpError(400, `until: ${body.until} has passed`, { field: 'until' });
      const entry = store.quarantines.add({ library: body.library, consumer: body.consumer, test: body.test, reason: body.reason, until, by: who });
      return { status: 201, body: entry };
    }),
  );
  api.delete(
    '/quarantine',
    route((req) => {
      auth(req);
      const body = parse(Key, req.body ?? {}, 'body');
      if (!store.quarantines.remove(body.library, body.consumer, body.test)) {
        throw new HttpError(404, `no quarantine of "${body.test}" (${body.library}, ${body.consumer}) added through the API`);
      }
      return { status: 200, body: { removed: body } };
    }),
  );
}
