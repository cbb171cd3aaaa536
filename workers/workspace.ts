/**
 * A cell side's folder on the worker host: the checkout, its results and its SQLite file, owned by the
 * container's unprivileged user, removed afterwards whatever happened.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { RUNNER_UID } from './ports.js';

const run = promisify(execFile);

export interface Workspace {
  root: string;
  src: string;
  results: string;
  db: string;
  out: string;
  remove(): void;
}

export async function createWorkspace(dataDir: string, name: string): Promise<Workspace> {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new Error(`bad workspace name "${name}"`);
  const root = path.join(dataDir, 'work', name);
  rmSync(root, { recursive: true, force: true });
  const ws = {
    root,
    src: path.join(root, 'src'),
    results: path.join(root, 'results'),
    db: path.join(root, 'db'),
    out: path.join(root, 'out'),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
  for (const dir of [ws.results, ws.db, ws.out]) mkdirSync(dir, { recursive: true });
  return ws;
}

/** Hands the folder to the container's user (argv, no shell). */
export async function chownForRunner(dir: string): Promise<void> {
  await run('chown', ['-R', `${RUNNER_UID}:${RUNNER_UID}`, '--', dir]);
}
