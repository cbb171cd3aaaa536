/**
 * Worker hosts that share nothing but Redis, on one machine: each in a network namespace of its own,
 * joined to this one by a veth pair, and a Redis of the test's own (password, bound to loopback and the
 * veth addresses) instead of the shared one. Needs root (`ip netns`).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './processes.js';

function ip(args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8' });
}

export interface HostNamespace {
  name: string;
  /** This side's address: what processes in the namespace reach the machine at. */
  hostAddress: string;
  /** `ip netns exec NAME`: runs a command in the namespace. */
  exec: string[];
  remove(): void;
}

/** A free /30 in 10.251.0.0/16 (the two addresses of a veth pair). */
function freeSubnet(): number {
  const used = ip(['-4', '-o', 'addr']);
  for (;;) {
    const n = randomBytes(2).readUInt16BE(0) & 0x3fff;
    if (!used.includes(`10.251.${n >> 6}.${(n & 63) * 4 + 1}/`)) return n;
  }
}

/** A namespace `tag` (test-unique) with a veth pair to this one, loopback up. */
export function createHostNamespace(tag: string): HostNamespace {
  const name = tag;
  const n = freeSubnet();
  const base = `10.251.${n >> 6}.${(n & 63) * 4}`;
  const [hostAddress, nsAddress] = [1, 2].map((i) => base.replace(/\d+$/, (last) => String(Number(last) + i)));
  // Interface names are at most 15 characters.
  const id = randomBytes(4).toString('hex');
  const outer = `cmo${id}`;
  const inner = `cmi${id}`;
  ip(['netns', 'add', name]);
  try {
    ip(['link', 'add', outer, 'type', 'veth', 'peer', 'name', inner]);
    ip(['link', 'set', inner, 'netns', name]);
    ip(['addr', 'add', `${hostAddress}/30`, 'dev', outer]);
    ip(['link', 'set', outer, 'up']);
    ip(['netns', 'exec', name, 'ip', 'addr', 'add', `${nsAddress}/30`, 'dev', inner]);
    ip(['netns', 'exec', name, 'ip', 'link', 'set', inner, 'up']);
    ip(['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']);
  } catch (error) {
    removeNamespace(name, outer);
    throw error;
  }
  return { name, hostAddress, exec: ['ip', 'netns', 'exec', name], remove: () => removeNamespace(name, outer) };
}

function removeNamespace(name: string, outer: string): void {
  // Deleting the namespace deletes the inner end, and with it the pair; the outer end is removed in case.
  try {
    ip(['netns', 'delete', name]);
  } catch {
    /* already gone */
  }
  try {
    ip(['link', 'delete', outer]);
  } catch {
    /* went with the pair */
  }
}

export function namespaceExists(name: string): boolean {
  return ip(['netns', 'list']).split('\n').some((line) => line.split(' ')[0] === name);
}

export interface PrivateRedis {
  port: number;
  password: string;
  /** redis://:PASSWORD@ADDRESS:PORT */
  url(address: string): string;
  stop(): Promise<void>;
}

/** A redis-server of the test's own, on a free port, with a password, bound to `addresses`. */
export async function startPrivateRedis(addresses: string[]): Promise<PrivateRedis> {
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'compat-redis-'));
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', ...addresses, '--requirepass', password, '--save', '', '--appendonly', 'no', '--dir', dir, '--maxmemory-policy', 'noeviction'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (/Ready to accept connections/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}:\n${output}`));
    });
  });
  const exited = new Promise((r) => child.on('exit', r));
  return {
    port,
    password,
    url: (address) => `redis://:${password}@${address}:${port}`,
    async stop() {
      child.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
