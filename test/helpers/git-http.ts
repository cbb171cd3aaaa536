/**
 * A private git host on a local port: git's own smart-HTTP server (`git http-backend`, as CGI) behind
 * Basic auth, serving the repositories in one folder. A repository URL with a user and token in it is
 * then the real thing, cloned and fetched by real git.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import path from 'node:path';

export interface GitHttp {
  /** `http://USER:TOKEN@127.0.0.1:PORT/NAME.git` for a repository folder NAME.git under the root. */
  urlOf(name: string): string;
  /** Requests seen, and how many were refused for want of the credentials. */
  requests: number;
  refused: number;
  close(): Promise<void>;
}

/** Serves every repository under `root()`; only `user:token` may read. */
export async function startGitHttp(root: () => string, user: string, token: string): Promise<GitHttp> {
  const expected = `Basic ${Buffer.from(`${user}:${token}`).toString('base64')}`;
  const state = { requests: 0, refused: 0 };
  const server: Server = createServer((req, res) => {
    state.requests++;
    if (req.headers.authorization !== expected) {
      state.refused++;
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' }).end('authentication required\n');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const cgi = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH,
        GIT_PROJECT_ROOT: root(),
        GIT_HTTP_EXPORT_ALL: '1',
        REQUEST_METHOD: req.method ?? 'GET',
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        REMOTE_USER: user,
        REMOTE_ADDR: '127.0.0.1',
        ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: String(req.headers['content-encoding']) } : {}),
        ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
      },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    req.pipe(cgi.stdin!);
    // CGI output: headers, a blank line, then the body.
    let head = Buffer.alloc(0);
    let headersSent = false;
    cgi.stdout!.on('data', (chunk: Buffer) => {
      if (headersSent) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
        const colon = line.indexOf(':');
        if (colon === -1) continue;
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = Number(value.split(' ')[0]);
        else headers[name] = value;
      }
      res.writeHead(status, headers);
      headersSent = true;
      res.write(head.subarray(end + 4));
    });
    cgi.on('close', () => {
      if (!headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    urlOf: (name) => `http://${encodeURIComponent(user)}:${encodeURIComponent(token)}@127.0.0.1:${port}/${path.basename(name)}`,
    get requests() {
      return state.requests;
    },
    get refused() {
      return state.refused;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
