/**
 * Pull requests as a server plugin (issue 18): the check run and PR comment reporter. Runs start from
 * the webhook router (server/webhooks), which hands pull request events to PullEvents. Off when no
 * forge token is configured, like the commit status reporter.
 */
import type { Config } from '../../common/config.js';
import { logger } from '../../common/logger.js';
import type { ServerOptions } from '../server.js';
import { githubApp } from '../forges/github-app.js';
import { PullReporter, type PullReporterOptions } from './reporter.js';

export { PullReporter, type PullReporterOptions } from './reporter.js';
export { PullEvents, pullIgnoredReason, withoutSecrets } from './pull-event.js';

export function pullsPlugin(config: Config, options: PullReporterOptions = {}): Partial<ServerOptions> & { reporter: PullReporter | null } {
  const app = config.githubAppId && config.githubAppPrivateKey ? githubApp({ appId: config.githubAppId, privateKey: config.githubAppPrivateKey, apiUrl: config.githubApiUrl }) : null;
  if (!config.githubToken && !config.gitlabToken && !app) return { reporter: null };
  const reporter = new PullReporter({ ...(app ? { githubTokens: app } : {}), ...options, log: options.log ?? logger.child({ component: 'pulls' }) });
  return { reporter, hooks: [reporter], services: [reporter] };
}
