/** `compat server` as a process: starts, and on SIGTERM/SIGINT stops taking requests and closes cleanly. */
import type { Config } from '../common/config.js';
import { logger } from '../common/logger.js';
import { startServer, type ServerOptions } from './server.js';

/** Modules that plug into the server (webhooks, status reporter) register here. */
export const serverPlugins: Array<(config: Config) => Partial<ServerOptions>> = [];

export async function startServerProcess(config: Config): Promise<void> {
  const parts = serverPlugins.map((plugin) => plugin(config));
  const handle = await startServer(config, {
    port: config.port,
    hooks: parts.flatMap((p) => p.hooks ?? []),
    mount: (deps) => parts.flatMap((p) => p.mount?.(deps) ?? []),
  });
  process.stderr.write(`compat server: ${handle.url} (dashboard ${config.publicUrl})\n`);
  const stop = async (signal: string) => {
    logger.info({ signal }, 'Server stopping');
    await handle.close().catch(() => undefined);
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}
