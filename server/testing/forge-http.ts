/**
 * The one stand-in the tests allow: a local HTTP server that answers as GitHub's REST API and GitLab's
 * v4 API do for the routes compat-matrix uses (commit statuses, check runs, PR comments, MR notes,
 * collaborator permission, project members), and records every request. A GitHub request that its
 * published description (@octokit/openapi) does not allow gets GitHub's 422, and is listed in
 * `problems`, so a test sees a wrong body as the forge would.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- a stand-in reads JSON bodies of many routes, each checked by its own fields */
import { createServer, type Server } from 'node:http';
import { verify, type KeyObject } from 'node:crypto';
import { githubRequestProblems } from './openapi.js';

export interface ForgeRecord {
  method: string;
  path: string;
  body: any;
  status: number;
  at: number;
}

export interface CheckRunRecord {
  id: number;
  repo: string;
  name: string;
  head_sha: string;
  external_id: string | null;
  /** Every state it was created or updated with, in order. */
  statuses: string[];
  conclusion: string | null;
  output: { title?: string; summary?: string; text?: string };
  annotations: unknown[];
}

export interface CommentRecord {
  id: number;
  repo: string;
  number: number;
  body: string;
  edits: number;
}

export interface ForgeHttp {
  url: string;
  requests: ForgeRecord[];
  /** Requests GitHub's description refuses, with why. */
  problems: string[];
  checkRuns: CheckRunRecord[];
  comments: CommentRecord[];
  /** Collaborator permissions (`admin`, `write`, `read`, `none`) and GitLab access levels by user. */
  permissions: Map<string, string>;
  accessLevels: Map<string, number>;
  /** Installation tokens handed out (GitHub App), in order; `revoke` makes one answer 401. */
  issued: string[];
  revoke(token: string): void;
  close(): Promise<void>;
}

/** A GitHub App the stand-in knows: JWTs are checked against its public key (RS256, iss, exp). */
export interface FakeApp {
  appId: string;
  publicKey: KeyObject;
  installationId: number;
}

function jwtOk(header: string | undefined, app: FakeApp): boolean {
  const m = /^bearer (.+)$/i.exec(header ?? '');
  const parts = m?.[1].split('.');
  if (!parts || parts.length !== 3) return false;
  const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as { iss?: unknown; exp?: number; iat?: number };
  const now = Math.floor(Date.now() / 1000);
  // GitHub refuses a JWT that lives longer than 10 minutes or has expired.
  if (String(claims.iss) !== app.appId || !claims.exp || claims.exp < now || claims.exp - (claims.iat ?? now) > 600 + 60) return false;
  return verify('RSA-SHA256', Buffer.from(`${parts[0]}.${parts[1]}`), app.publicKey, Buffer.from(parts[2], 'base64url'));
}

export async function startForgeHttp(options: { githubToken: string; gitlabToken?: string; app?: FakeApp }): Promise<ForgeHttp> {
  const revoked = new Set<string>();
  const state: Omit<ForgeHttp, 'url' | 'close' | 'revoke'> = { requests: [], problems: [], checkRuns: [], comments: [], permissions: new Map(), accessLevels: new Map(), issued: [] };
  let nextId = 1000;
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: any;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname;
    const answer = (status: number, value: unknown) => {
      state.requests.push({ method, path, body, status, at: Date.now() });
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(value));
    };

    if (path.startsWith('/api/v4/')) {
      if (req.headers['private-token'] !== options.gitlabToken) return answer(401, { message: '401 Unauthorized' });
      return gitlab(method, decodeURIComponent(path.slice('/api/v4'.length)), body, answer);
    }
    const app = options.app;
    if (app && (/^\/repos\/[^/]+\/[^/]+\/installation$/.test(path) || /^\/app\/installations\/\d+\/access_tokens$/.test(path))) {
      if (!jwtOk(req.headers.authorization, app)) return answer(401, { message: 'A JSON web token could not be decoded' });
      const appProblems = githubRequestProblems(method, path, body);
      if (appProblems.length) {
        state.problems.push(...appProblems.map((p) => `${method} ${path}: ${p}`));
        return answer(422, { message: 'Validation Failed', errors: appProblems });
      }
      if (path.endsWith('/installation')) return answer(200, { id: app.installationId, app_id: Number(app.appId) });
      if (path !== `/app/installations/${app.installationId}/access_tokens` || method !== 'POST') return answer(404, { message: 'Not Found' });
      const token = `ghs_installation${state.issued.length + 1}`;
      state.issued.push(token);
      return answer(201, { token, expires_at: new Date(Date.now() + 3_600_000).toISOString(), permissions: { checks: 'write' }, repository_selection: 'all' });
    }
    const bearer = /^bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const tokenOk = bearer === options.githubToken || (bearer !== undefined && state.issued.includes(bearer) && !revoked.has(bearer));
    if (!tokenOk) return answer(401, { message: 'Bad credentials' });
    const problems = githubRequestProblems(method, path, body);
    if (problems.length) {
      state.problems.push(...problems.map((p) => `${method} ${path}: ${p}`));
      return answer(422, { message: 'Validation Failed', errors: problems });
    }
    return github(method, path, body, answer, url.searchParams);
  });

  function github(method: string, path: string, body: any, answer: (status: number, value: unknown) => void, query: URLSearchParams): void {
    let m = /^\/repos\/([^/]+\/[^/]+)\/check-runs(?:\/(\d+))?$/.exec(path);
    if (m) {
      const [, repo, id] = m;
      if (!id) {
        const run: CheckRunRecord = { id: nextId++, repo, name: body.name, head_sha: body.head_sha, external_id: body.external_id ?? null, statuses: [body.status ?? 'queued'], conclusion: body.conclusion ?? null, output: body.output ?? {}, annotations: body.output?.annotations ?? [] };
        state.checkRuns.push(run);
        return answer(201, { id: run.id, name: run.name, head_sha: run.head_sha, status: body.status ?? 'queued', conclusion: run.conclusion });
      }
      const run = state.checkRuns.find((r) => r.id === Number(id) && r.repo === repo);
      if (!run) return answer(404, { message: 'Not Found' });
      if (body.status) run.statuses.push(body.status);
      else if (body.conclusion) run.statuses.push('completed');
      if (body.conclusion) run.conclusion = body.conclusion;
      if (body.output) {
        // GitHub keeps the annotations of earlier updates and adds the new ones.
        run.annotations.push(...(body.output.annotations ?? []));
        run.output = { ...body.output };
      }
      return answer(200, { id: run.id, status: run.statuses.at(-1), conclusion: run.conclusion });
    }
    m = /^\/repos\/([^/]+\/[^/]+)\/commits\/([0-9a-f]{40})\/check-runs$/.exec(path);
    if (m) {
      const name = query.get('check_name');
      const runs = state.checkRuns.filter((r) => r.repo === m![1] && r.head_sha === m![2] && (!name || r.name === name));
      return answer(200, { total_count: runs.length, check_runs: runs.map((r) => ({ id: r.id, name: r.name, head_sha: r.head_sha, external_id: r.external_id, status: r.statuses.at(-1) })) });
    }
    m = /^\/repos\/([^/]+\/[^/]+)\/issues\/(\d+)\/comments$/.exec(path);
    if (m) {
      const [, repo, number] = m;
      if (method === 'GET') return answer(200, state.comments.filter((c) => c.repo === repo && c.number === Number(number)).map((c) => ({ id: c.id, body: c.body })));
      const comment: CommentRecord = { id: nextId++, repo, number: Number(number), body: body.body, edits: 0 };
      state.comments.push(comment);
      return answer(201, { id: comment.id, body: comment.body });
    }
    m = /^\/repos\/([^/]+\/[^/]+)\/issues\/comments\/(\d+)$/.exec(path);
    if (m) {
      const comment = state.comments.find((c) => c.id === Number(m![2]) && c.repo === m![1]);
      if (!comment) return answer(404, { message: 'Not Found' });
      comment.body = body.body;
      comment.edits++;
      return answer(200, { id: comment.id, body: comment.body });
    }
    m = /^\/repos\/([^/]+\/[^/]+)\/collaborators\/([^/]+)\/permission$/.exec(path);
    if (m) {
      const permission = state.permissions.get(m[2]) ?? 'none';
      return answer(200, { permission, role_name: permission, user: { login: m[2] } });
    }
    m = /^\/repos\/([^/]+\/[^/]+)\/statuses\/([0-9a-f]{40})$/.exec(path);
    if (m) return answer(201, { id: nextId++, state: body.state, context: body.context });
    answer(404, { message: 'Not Found' });
  }

  function gitlab(method: string, path: string, body: any, answer: (status: number, value: unknown) => void): void {
    let m = /^\/projects\/(.+)\/merge_requests\/(\d+)\/notes(?:\/(\d+))?$/.exec(path);
    if (m) {
      const [, repo, iid, id] = m;
      if (method === 'GET') return answer(200, state.comments.filter((c) => c.repo === repo && c.number === Number(iid)).map((c) => ({ id: c.id, body: c.body })));
      if (typeof body?.body !== 'string' || body.body.length === 0) return answer(400, { message: '400 Bad request - body is missing' });
      if (method === 'POST' && !id) {
        const note: CommentRecord = { id: nextId++, repo, number: Number(iid), body: body.body, edits: 0 };
        state.comments.push(note);
        return answer(201, { id: note.id, body: note.body });
      }
      const note = state.comments.find((c) => c.id === Number(id) && c.repo === repo);
      if (method !== 'PUT' || !note) return answer(404, { message: '404 Not found' });
      note.body = body.body;
      note.edits++;
      return answer(200, { id: note.id, body: note.body });
    }
    m = /^\/projects\/(.+)\/members\/all\/([^/]+)$/.exec(path);
    if (m) {
      const level = state.accessLevels.get(m[2]);
      return level === undefined ? answer(404, { message: '404 Not found' }) : answer(200, { id: Number(m[2]) || 1, username: m[2], access_level: level });
    }
    m = /^\/projects\/(.+)\/statuses\/([0-9a-f]{40})$/.exec(path);
    if (m) {
      if (!['pending', 'running', 'success', 'failed', 'canceled'].includes(body?.state)) return answer(400, { message: 'state does not have a valid value' });
      return answer(201, { id: nextId++, status: body.state, name: body.name });
    }
    answer(404, { message: '404 Not found' });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    ...state,
    revoke: (token) => void revoked.add(token),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
