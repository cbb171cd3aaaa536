/** `compat server` as a process: starts, and on SIGTERM/SIGINT stops taking requests and closes cleanly. */
import type { Config } from '../common/config.js';
import { logger } from '../common/logger.js';
import { startServer, type ServerOptions } from './server.js';
import { pullsPlugin } from './pulls/index.js';
import { statusPlugin } from './status/index.js';
import { webhooksPlugin } from './webhooks/index.js';

/** Modules that plug into the server (webhooks, status reporter) register here. */
export const serverPlugins: Array<(config: Config) => Partial<ServerOptions>> = [webhooksPlugin, (config) => statusPlugin(config), (config) => pullsPlugin(config)];

/** Every plugin's hooks, routers and services, as ServerOptions (also what tests start a server with). */
export function pluginOptions(config: Config): Pick<ServerOptions, 'hooks' | 'mount' | 'services'> {
  const parts = serverPlugins.map((plugin) => plugin(config));
  return {
    hooks: parts.flatMap((p) => p.hooks ?? []),
    mount: (deps) => parts.flatMap((p) => p.mount?.(deps) ?? []),
    services: parts.flatMap((p) => p.services ?? []),
  };
}

export async function startServerProcess(config: Config): Promise<void> {
  const handle = await startServer(config, { port: config.port, ...pluginOptions(config) });
  process.stderr.write(`compat server: ${handle.url} (dashboard ${config.publicUrl})\n`);
  const stop = async (signal: string) => {
    logger.info({ signal }, 'Server stopping');
    await handle.close().catch(() => undefined);
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}
