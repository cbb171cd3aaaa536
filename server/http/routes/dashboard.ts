/** The dashboard's bundle, and its shell for client-side routes; a plain note when it is not built. */
import express, { type IRouter } from 'express';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../../common/config.js';

export function dashboardRoutes(app: IRouter): void {
  const dist = path.join(REPO_ROOT, 'dashboards', 'dist');
  if (existsSync(dist)) {
    app.use(
      express.static(dist, {
        index: 'index.html',
        maxAge: '1h',
        // Bundles are content-hashed; the shell that names them must be revalidated, or a rebuild goes unseen.
        setHeaders: (res, file) => {
          if (file.endsWith('.html')) res.setHeader('Cache-Control', 'no-cache');
        },
      }),
    );
    // Client-side routes (/runs/:id ...) get the app shell.
    app.get(/^\/(runs|consumers)(\/.*)?$/, (_req, res) => res.sendFile(path.join(dist, 'index.html')));
  } else {
    app.get('/', (_req, res) => res.type('text/plain').send('compat-matrix: dashboard not built (npm run build)\n'));
  }
}
