/**
 * The local stack behind `compat demo` and `compat run` on one machine: a server and a worker started as
 * background processes (logs and pid files in the data directory), reused when already running.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../common/config.js';
import { REPO_ROOT } from '../common/config.js';
import { Client } from './client.js';

/** Cells wait on registries and databases as much as on CPU: one more than the cores keeps them busy. */
export function defaultConcurrency(): number {
  return Math.min(8, os.availableParallelism() + 1);
}

function pidFile(config: Config, name: string): string {
  return path.join(config.dataDir, 'run', `${name}.pid`);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function runningPid(config: Config, name: string): number | null {
  const file = pidFile(config, name);
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : null;
}

function startDetached(config: Config, name: string, args: string[]): number {
  mkdirSync(path.join(config.dataDir, 'run'), { recursive: true });
  mkdirSync(path.join(config.dataDir, 'logs'), { recursive: true });
  const out = openSync(path.join(config.dataDir, 'logs', `${name}.log`), 'a');
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'compat.js'), ...args], {
    detached: true,
    stdio: ['ignore', out, out],
    env: process.env,
  });
  child.unref();
  writeFileSync(pidFile(config, name), `${child.pid}\n`);
  return child.pid!;
}

/** Makes sure a server answers and a worker runs; returns what it had to start. */
export async function ensureLocalStack(config: Config, options: { concurrency?: number; say?: (msg: string) => void } = {}): Promise<string[]> {
  const say = options.say ?? (() => undefined);
  const started: string[] = [];
  const client = Client.for(config);
  if (!(await client.healthy())) {
    say(`starting compat server on 127.0.0.1:${config.port} (log: ${path.join(config.dataDir, 'logs', 'server.log')})`);
    startDetached(config, 'server', ['server', '--port', String(config.port)]);
    started.push('server');
    const deadline = Date.now() + 60_000;
    while (!(await client.healthy())) {
      if (Date.now() > deadline) throw new Error(`compat server did not start; see ${path.join(config.dataDir, 'logs', 'server.log')}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  if (!runningPid(config, 'worker')) {
    say(`starting compat worker (log: ${path.join(config.dataDir, 'logs', 'worker.log')})`);
    startDetached(config, 'worker', ['worker', '--concurrency', String(options.concurrency ?? defaultConcurrency())]);
    started.push('worker');
  }
  return started;
}

/** Stops what ensureLocalStack started (SIGTERM: the worker hands back its cells). */
export async function stopLocalStack(config: Config): Promise<string[]> {
  const stopped: string[] = [];
  for (const name of ['worker', 'server']) {
    const pid = runningPid(config, name);
    if (!pid) continue;
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + 60_000;
    while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    stopped.push(name);
  }
  return stopped;
}
