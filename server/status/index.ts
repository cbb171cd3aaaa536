/**
 * The status reporter as a server plugin (CONTRACT "Status check"). Off, and saying so once at start,
 * when no forge token is configured.
 */
import type { Config } from '../../common/config.js';
import { logger } from '../../common/logger.js';
import type { ServerOptions } from '../server.js';
import { StatusReporter, type StatusReporterOptions } from './reporter.js';

export { StatusReporter, type StatusReporterOptions } from './reporter.js';
export { describeRun, stateOf } from './describe.js';

export function statusPlugin(config: Config, options: StatusReporterOptions = {}): Partial<ServerOptions> & { reporter: StatusReporter | null } {
  const log = options.log ?? logger.child({ component: 'status' });
  const forges = [config.githubToken ? 'github' : null, config.gitlabToken ? 'gitlab' : null].filter(Boolean);
  if (forges.length === 0) {
    log.info('Commit status reporter off: neither COMPAT_GITHUB_TOKEN nor COMPAT_GITLAB_TOKEN is set');
    return { reporter: null };
  }
  log.info({ forges, githubApiUrl: config.githubToken ? config.githubApiUrl : undefined }, 'Commit status reporter on');
  const reporter = new StatusReporter({ ...options, log });
  return {
    reporter,
    hooks: [reporter],
    services: [reporter],
  };
}
