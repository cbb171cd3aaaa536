/**
 * A stand-in for GitHub's REST API (and GitLab's commit-status endpoint) on a local port: it records
 * every request and answers as the documentation says, including the failures a reporter must live
 * through (a secondary rate limit with Retry-After, a 500), queued with `failNext`.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: any;
  /** What the fake answered. */
  status: number;
  at: number;
}

export interface CannedResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface PostedStatus {
  forge: 'github' | 'gitlab';
  repo: string;
  sha: string;
  state: string;
  target_url: string;
  description: string;
  context: string;
  at: number;
}

export interface FakeGithub {
  url: string;
  requests: RecordedRequest[];
  /** Statuses accepted (2xx), in the order they arrived. */
  statuses(filter?: { sha?: string; context?: string }): PostedStatus[];
  /** The next status posts get these answers, one each, before normal service resumes. */
  failNext(...responses: CannedResponse[]): void;
  /** While true, status posts get no answer at all (a hung connection). */
  hang(on: boolean): void;
  reset(): void;
  close(): Promise<void>;
}

export const RATE_LIMITED_ONCE: CannedResponse = {
  status: 403,
  headers: { 'retry-after': '1', 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '4990', 'x-ratelimit-resource': 'core' },
  body: {
    message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
    documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
  },
};

export const SERVER_ERROR: CannedResponse = { status: 500, body: { message: 'Server Error' } };

const GITHUB_STATES = new Set(['error', 'failure', 'pending', 'success']);
const GITLAB_STATES = new Set(['pending', 'running', 'success', 'failed', 'canceled', 'skipped']);

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startFakeGithub(options: { token: string; gitlabToken?: string }): Promise<FakeGithub> {
  const requests: RecordedRequest[] = [];
  const posted: PostedStatus[] = [];
  let canned: CannedResponse[] = [];
  let hanging = false;
  let nextId = 1;
  const hung: Array<() => void> = [];

  const server: Server = createServer(async (req, res) => {
    const text = await readBody(req);
    let body: any = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      /* recorded as text */
    }
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]));
    const record: RecordedRequest = { method: req.method ?? '', path: req.url ?? '', headers, body, status: 0, at: Date.now() };
    requests.push(record);
    const send = (status: number, payload: unknown, extra: Record<string, string> = {}) => {
      record.status = status;
      res.writeHead(status, {
        'content-type': 'application/json; charset=utf-8',
        'x-github-media-type': 'github.v3; format=json',
        'x-ratelimit-limit': '5000',
        'x-ratelimit-remaining': '4999',
        'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
        ...extra,
      });
      res.end(JSON.stringify(payload));
    };

    const github = /^\/repos\/([^/]+)\/([^/]+)\/statuses\/([0-9a-f]{40})$/.exec(req.url ?? '');
    const gitlab = /^\/api\/v4\/projects\/([^/]+)\/statuses\/([0-9a-f]{40})$/.exec(req.url ?? '');
    if (req.method !== 'POST' || (!github && !gitlab)) return send(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });

    if (hanging) {
      record.status = -1;
      hung.push(() => res.destroy());
      return;
    }
    const failure = canned.shift();
    if (failure) return send(failure.status, failure.body ?? {}, failure.headers);

    if (github) {
      if (headers.authorization !== `Bearer ${options.token}`) {
        return send(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
      }
      if (!body || typeof body !== 'object' || !GITHUB_STATES.has(body.state)) {
        return send(422, { message: 'Validation Failed', errors: [{ resource: 'Status', code: 'custom', field: 'state', message: 'state is not included in the list' }] });
      }
      if (typeof body.description === 'string' && body.description.length > 140) {
        return send(422, { message: 'Validation Failed', errors: [{ resource: 'Status', code: 'custom', field: 'description', message: 'description is too long (maximum is 140 characters)' }] });
      }
      const [, owner, repo, sha] = github;
      const now = new Date().toISOString();
      const id = nextId++;
      posted.push({ forge: 'github', repo: `${owner}/${repo}`, sha, state: body.state, target_url: body.target_url, description: body.description, context: body.context ?? 'default', at: Date.now() });
      return send(201, {
        url: `${`http://${req.headers.host}`}/repos/${owner}/${repo}/statuses/${sha}`,
        avatar_url: 'https://github.com/images/error/hubot_happy.gif',
        id,
        node_id: `MDY6U3RhdHVz${id}`,
        state: body.state,
        description: body.description ?? null,
        target_url: body.target_url ?? null,
        context: body.context ?? 'default',
        created_at: now,
        updated_at: now,
        creator: { login: 'compat-bot', id: 1, type: 'Bot' },
      });
    }

    const [, project, sha] = gitlab!;
    if (headers['private-token'] !== options.gitlabToken) return send(401, { message: '401 Unauthorized' });
    if (!body || !GITLAB_STATES.has(body.state)) return send(400, { error: 'state does not have a valid value' });
    posted.push({ forge: 'gitlab', repo: decodeURIComponent(project), sha, state: body.state, target_url: body.target_url, description: body.description, context: body.name, at: Date.now() });
    return send(201, { id: nextId++, sha, ref: null, status: body.state, name: body.name, target_url: body.target_url, description: body.description, created_at: new Date().toISOString() });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    statuses(filter = {}) {
      return posted.filter((s) => (!filter.sha || s.sha === filter.sha) && (!filter.context || s.context === filter.context));
    },
    failNext(...responses) {
      canned.push(...responses);
    },
    hang(on) {
      hanging = on;
      if (!on) for (const destroy of hung.splice(0)) destroy();
    },
    reset() {
      requests.length = 0;
      posted.length = 0;
      canned = [];
    },
    async close() {
      for (const destroy of hung.splice(0)) destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(() => resolve(undefined)));
    },
  };
}
