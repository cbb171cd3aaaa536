/**
 * `POST /webhooks/<forge>` for each forge of the registry (CONTRACT "HTTP"). The body is read raw, so
 * the signature is checked over the exact bytes the forge signed; it is checked before anything is
 * looked at beyond the repository that picks the secret. A tag, or a pull request's head, of a library
 * in matrix.yaml gives 202 {runId}; anything else that is authentic gives 200 {ignored: reason}. What
 * each forge's headers and payloads are is server/forges' business.
 */
import express, { type Request, type RequestHandler, type Router } from 'express';
import { webhookSecretFor, type Config } from '../../common/config.js';
import type { Logger } from '../../common/logger.js';
import { loadMatrix, MatrixError, type ResolvedMatrix } from '../../common/matrix/load.js';
import { HttpError, route, type Reply } from '../http/handler.js';
import type { Orchestrator } from '../runs/orchestrator.js';
import type { Store } from '../store/store.js';
import { fetchForge, mirrorRepositories } from '../adapters.js';
import type { ForgeClient, GitRepositories } from '../ports.js';
import { FORGE_KINDS, forgeOf, PayloadError, type Forge, type ForgeEvent, type RepositoryNames } from '../forges/index.js';
import { PullEvents, PullRepositoryUnavailable } from '../pulls/pull-event.js';
import { libraryForRepository } from './repo-match.js';
import { RepositoryUnavailable, TagEvents, type TagOutcome } from './tag-event.js';

export interface WebhookDeps {
  store: Store;
  orchestrator: Orchestrator;
  config: Config;
  log: Logger;
  /** matrix.yaml, read afresh per delivery so an edit needs no restart. */
  matrix?: () => ResolvedMatrix;
  /** Counts deliveries by outcome (run, ignored, unauthorized, rejected). */
  countDelivery?: (outcome: string) => void;
  /** Where a tag's commit is looked up when the event carries none. @defaultValue mirrors under config.dataDir */
  repos?: GitRepositories;
  /** Where replies to `/compat` comments and permission questions go. @defaultValue the forges' APIs over fetch */
  forge?: ForgeClient;
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

/** express.raw for any content type, with the limit named in the 413. */
function rawBody(limit: number): RequestHandler {
  const parser = express.raw({ type: () => true, limit });
  return (req, res, next) =>
    parser(req, res, (error?: unknown) => {
      if (!error) return next();
      const e = error as { type?: string; status?: number; message?: string };
      if (e.type === 'entity.too.large') {
        return next(new HttpError(413, `request body is over the ${formatBytes(limit)} limit (${limit} bytes)`, { limitBytes: limit }));
      }
      if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) return next(new HttpError(e.status, e.message ?? 'unreadable request body'));
      next(error);
    });
}

/** The JSON payload; GitHub hooks may also be set to send it form-encoded as `payload=...`. */
function payloadOf(req: Request): unknown {
  const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  if (body.length === 0) throw new HttpError(400, 'request body is empty; a JSON payload is expected');
  let text = body.toString('utf8');
  if (/^application\/x-www-form-urlencoded\b/i.test(req.get('content-type') ?? '')) {
    const payload = new URLSearchParams(text).get('payload');
    if (payload === null) throw new HttpError(400, 'form-encoded body has no "payload" field');
    text = payload;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'request body is not valid JSON');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new HttpError(400, 'request body must be a JSON object');
  return parsed;
}

const ignored = (reason: string): Reply => ({ status: 200, body: { ignored: reason } });

function notALibrary(names: RepositoryNames | null): string {
  if (!names) return 'the payload names no repository';
  return `repository ${names.fullName ?? names.urls.find((u) => typeof u === 'string') ?? '(unnamed)'} is not a library in matrix.yaml`;
}

export function webhookRouter(deps: WebhookDeps): Router {
  const { config, log } = deps;
  const repos = deps.repos ?? mirrorRepositories(config.dataDir);
  const events = new TagEvents({ store: deps.store, orchestrator: deps.orchestrator, repos, log });
  const pulls = new PullEvents({ store: deps.store, orchestrator: deps.orchestrator, repos, log, forge: deps.forge ?? fetchForge(), config });
  const matrixOf = deps.matrix ?? (() => loadMatrix(config.matrixFile));
  const router = express.Router();
  const raw = rawBody(config.webhookBodyLimitBytes);
  if (deps.countDelivery) {
    const count = deps.countDelivery;
    router.use((_req, res, next) => {
      res.on('finish', () => {
        const s = res.statusCode;
        count(s === 202 ? 'run' : s === 200 ? 'ignored' : s === 401 ? 'unauthorized' : s < 500 ? 'rejected' : 'failed');
      });
      next();
    });
  }

  /** Every forge, one path: authenticate, read the event, and hand a tag to TagEvents, a pull request to PullEvents. */
  async function receive(req: Request, forge: Forge, eventName: string, credential: string): Promise<Reply> {
    const payload = payloadOf(req);
    const delivery = forge.webhook.deliveryId((name) => req.get(name));
    let matrix: ResolvedMatrix;
    try {
      matrix = matrixOf();
    } catch (error) {
      if (!(error instanceof MatrixError)) throw error;
      throw new HttpError(503, `matrix.yaml is invalid, webhooks cannot be matched to a library: ${error.problems[0]?.message ?? error.message}`);
    }
    const names = forge.repositoryNames(payload);
    const library = names ? libraryForRepository(matrix, names) : null;
    const secret = library ? webhookSecretFor(config, library.name) : config.webhookSecretDefault;
    const fields = { forge: forge.kind, event: eventName, delivery, library: library?.name };
    if (!secret) {
      if (library) {
        log.warn(fields, 'Webhook refused: no secret configured for the library');
        throw new HttpError(401, `no webhook secret is configured for library ${library.name} (COMPAT_WEBHOOK_SECRET_<LIBRARY> or COMPAT_WEBHOOK_SECRET)`);
      }
      // Nothing to check the request against, and nothing it could start: say why it does nothing.
      return ignored(notALibrary(names));
    }
    if (!forge.webhook.verify(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), credential, secret)) {
      log.warn(fields, 'Webhook refused: bad signature');
      throw new HttpError(401, forge.webhook.mismatch);
    }

    let event: ForgeEvent;
    try {
      event = forge.parseEvent(eventName, payload);
    } catch (error) {
      if (error instanceof PayloadError) throw new HttpError(400, error.message);
      throw error;
    }
    if (event.kind === 'ignored') {
      log.info({ ...fields, reason: event.reason }, 'Webhook ignored');
      return ignored(event.reason);
    }
    if (!library) return ignored(`repository ${event.repository} is not a library in matrix.yaml`);

    let outcome: TagOutcome;
    const key = delivery ? `${forge.kind}:${delivery}` : null;
    try {
      if (event.kind === 'pull') {
        const pull = event;
        outcome = await events.deliver(key, forge.kind, (k) => pulls.runForPull({ forge: forge.kind, event: eventName, pull, matrix, library }, k));
      } else if (event.kind === 'comment') {
        const comment = event;
        outcome = await events.deliver(key, forge.kind, (k) => pulls.onComment({ forge: forge.kind, comment, matrix, library }, k));
      } else {
        const tag = event;
        outcome = await events.deliver(key, forge.kind, (k) =>
          events.runForTag({ forge: forge.kind, event: eventName, repository: tag.repository, projectId: tag.projectId, tag: tag.tag, commitSha: tag.commitSha, matrix, library }, k),
        );
      }
    } catch (error) {
      if (error instanceof RepositoryUnavailable || error instanceof PullRepositoryUnavailable) {
        throw new HttpError(503, `cannot read the repository of ${library.name}; redeliver later: ${error.message}`);
      }
      throw error;
    }
    if ('runId' in outcome) return { status: 202, body: { runId: outcome.runId } };
    log.info({ ...fields, ...(event.kind === 'tag' ? { tag: event.tag } : { pull: event.number }), reason: outcome.ignored }, 'Webhook ignored');
    return ignored(outcome.ignored);
  }

  const header = (req: Request, name: string, status: number, why: string): string => {
    const value = req.get(name);
    if (!value) throw new HttpError(status, `missing header ${name}${why}`);
    return value;
  };
  for (const kind of FORGE_KINDS) {
    const forge = forgeOf(kind);
    router.post(
      `/${kind}`,
      raw,
      route((req) => {
        const event = header(req, forge.webhook.eventHeader, 400, '');
        const credential = header(req, forge.webhook.credentialHeader, 401, forge.webhook.credentialHint);
        return receive(req, forge, event, credential);
      }),
    );
  }

  for (const path of FORGE_KINDS.map((k) => `/${k}`)) {
    router.all(path, route(() => ({ status: 405, headers: { Allow: 'POST' }, body: { error: 'webhooks are delivered with POST' } })));
  }
  return router;
}
