/**
 * A stand-in for the Docker engine's socket, for one worker (DOCKER_SOCKET): every request is passed to
 * the real engine, until `outage()` drops every open connection and refuses new ones for a while, as a
 * restarting dockerd does. Other users of the real engine notice nothing.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { rmSync } from 'node:fs';

export interface EngineProxy {
  socketPath: string;
  outage(ms: number): Promise<void>;
  close(): Promise<void>;
}

export async function startEngineProxy(socketPath: string, target = '/var/run/docker.sock'): Promise<EngineProxy> {
  const open = new Set<Socket>();
  let server: Server | null = null;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      rmSync(socketPath, { force: true });
      server = createServer((client) => {
        const upstream = createConnection(target);
        open.add(client);
        open.add(upstream);
        const drop = () => {
          client.destroy();
          upstream.destroy();
          open.delete(client);
          open.delete(upstream);
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
        client.pipe(upstream);
        upstream.pipe(client);
      });
      server.on('error', reject);
      server.listen(socketPath, () => resolve());
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const s of open) s.destroy();
      open.clear();
      if (!server) return resolve();
      server.close(() => resolve());
      server = null;
    });
  await listen();
  return {
    socketPath,
    async outage(ms) {
      await stop();
      await new Promise((r) => setTimeout(r, ms));
      await listen();
    },
    async close() {
      await stop();
      rmSync(socketPath, { force: true });
    },
  };
}
