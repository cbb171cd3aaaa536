/**
 * Who may do what over HTTP. Writes (POST /api/runs, bisect, cancel) need a write token in `Authorization`
 * (Bearer, or Basic with the token as password for the board in a browser); changing queues on the
 * queue board needs an admin token (server/http/queue-board.ts). Reads are
 * public unless COMPAT_READ_TOKEN_REQUIRED=1; then every route but /healthz and the webhooks needs a
 * read (or write) token, the dashboard included.
 *
 * The dashboard signs in with a form that POSTs the token to /login, which sets it as an HttpOnly
 * cookie. A cookie, not sessionStorage and a header: the dashboard's EventSource (live runs), its raw
 * log links and the "API" link are plain browser requests that cannot carry a header, and a cookie
 * covers them all with one mechanism; HttpOnly keeps the token out of reach of the page's scripts, and
 * out of URLs (where a query token would land in history and access logs). The cookie only ever
 * authorizes reads (GET/HEAD), so a cross-site request cannot use it to write (and SameSite=Lax stops
 * it riding along on cross-site subrequests at all).
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Config } from '../../common/config.js';
import { HttpError } from '../http/handler.js';
import { allows, bearerOf, type Scope, type Tokens } from './tokens.js';

export const SESSION_COOKIE = 'compat_session';

/** Routes a private deployment still answers without a token. */
function isPublic(path: string): boolean {
  return path === '/healthz' || path === '/login' || path === '/logout' || path.startsWith('/webhooks/');
}

function cookieOf(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/** The token a request presents: Bearer, Basic (password), or for a read the dashboard's cookie. */
function presentedToken(req: Request, needs: Scope): string | undefined {
  const bearer = bearerOf(req.headers.authorization);
  if (bearer) return bearer;
  // Browsers (the queue board) send Basic auth: any user name, the token as password.
  const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (basic) return Buffer.from(basic[1], 'base64').toString('utf8').split(':').slice(1).join(':');
  if (needs === 'read' && (req.method === 'GET' || req.method === 'HEAD')) return cookieOf(req, SESSION_COOKIE);
  return undefined;
}

/** Checks a request's token for a scope; returns the token's name and scope, or throws 401 (none valid) or 403 (scope too narrow). */
export function requireScope(tokens: Tokens) {
  return (req: Request, needs: Scope = 'write'): { name: string; scope: Scope } => {
    const found = tokens.verify(presentedToken(req, needs));
    if (!found) throw new HttpError(401, 'a valid API token is required (Authorization: Bearer TOKEN)');
    if (!allows(found.scope, needs)) {
      throw new HttpError(403, found.scope === 'read' ? `token "${found.name}" may only read; this needs a write token` : `token "${found.name}" has scope ${found.scope}; this needs ${needs}`);
    }
    return found;
  };
}

/** Checks a request's token for a scope; returns the token's name, or throws 401 (none valid) or 403 (read only). */
export function requireToken(tokens: Tokens) {
  const check = requireScope(tokens);
  return (req: Request, needs: Scope = 'write'): string => check(req, needs).name;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Only a path of this site: never another origin (`//host`, `https://...`) to send the browser to. */
function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])/.test(next) ? next : '/';
}

/** The sign-in page: self-contained (no asset it links to would load without a token). */
export function loginPage(next: string, problem?: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · compat-matrix</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0; background: #f6f7f9; color: #1d2330; }
  main { max-width: 26rem; margin: 12vh auto; padding: 2rem; background: #fff; border: 1px solid #d8dce3; border-radius: 8px; }
  h1 { font-size: 1.35rem; margin: 0 0 .5rem; }
  label { display: block; font-weight: 600; margin: 1rem 0 .25rem; }
  input { width: 100%; box-sizing: border-box; font: inherit; padding: .5rem .6rem; border: 1px solid #9aa3b2; border-radius: 4px; }
  button { margin-top: 1rem; font: inherit; padding: .5rem 1rem; border: 0; border-radius: 4px; background: #2452c7; color: #fff; cursor: pointer; }
  .problem { color: #a1121a; font-weight: 600; }
  .muted { color: #5a6372; font-size: .9rem; }
</style>
</head>
<body>
<main>
  <h1>compat-matrix</h1>
  <p>This deployment is private: sign in with an API token.</p>
  ${problem ? `<p class="problem" role="alert">${escapeHtml(problem)}</p>` : ''}
  <form method="post" action="/login">
    <input type="hidden" name="next" value="${escapeHtml(next)}">
    <label for="token">API token</label>
    <input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
    <button type="submit">Sign in</button>
  </form>
  <p class="muted">A read token is enough (<code>compat tokens create NAME --scope read</code>). It is kept in a cookie of this browser session.</p>
</main>
</body>
</html>
`;
}

/** GET/POST /login and POST /logout: the dashboard's sign-in. */
export function loginRouter(tokens: Tokens, config: Config): Router {
  const router = express.Router();
  const secure = config.publicUrl.startsWith('https:');
  router.get('/login', (req, res) => {
    res.type('html').set('Cache-Control', 'no-store').send(loginPage(safeNext(req.query.next)));
  });
  router.post('/login', express.urlencoded({ extended: false, limit: '4kb' }), (req, res) => {
    const body = (req.body ?? {}) as { token?: unknown; next?: unknown };
    const token = typeof body.token === 'string' ? body.token.trim() : '';
    const next = safeNext(body.next);
    if (!tokens.verify(token)) {
      res.status(401).type('html').set('Cache-Control', 'no-store').send(loginPage(next, 'That token is not valid (or was revoked).'));
      return;
    }
    // No Max-Age: the cookie ends with the browser session.
    res.cookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'lax', secure, path: '/' });
    res.redirect(303, next);
  });
  router.post('/logout', (_req, res) => {
    res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'lax', secure, path: '/' });
    res.redirect(303, '/login');
  });
  return router;
}

/**
 * With COMPAT_READ_TOKEN_REQUIRED=1: every request but the public routes needs a read token. A
 * browser asking for a page gets the sign-in form (with 401); anything else a JSON 401.
 */
export function readGuard(tokens: Tokens) {
  const check = requireToken(tokens);
  return (req: Request, res: Response, next: NextFunction): void => {
    if (isPublic(req.path)) return next();
    try {
      check(req, 'read');
      next();
    } catch (error) {
      const wantsPage = (req.method === 'GET' || req.method === 'HEAD') && !req.path.startsWith('/api/') && req.accepts(['json', 'html']) === 'html';
      if (wantsPage && error instanceof HttpError && error.status === 401) {
        res.status(401).type('html').set('Cache-Control', 'no-store').send(loginPage(safeNext(req.originalUrl)));
        return;
      }
      next(error);
    }
  };
}
