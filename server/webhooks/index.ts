/** The webhook receivers as a server plugin: mounted at /webhooks. */
import type { Config } from '../../common/config.js';
import { logger } from '../../common/logger.js';
import type { ServerOptions } from '../server.js';
import { webhookRouter } from './router.js';

export { webhookRouter, type WebhookDeps } from './router.js';
export { githubSignature, verifyGithubSignature, verifyGitlabToken } from '../forges/signature.js';
export type { TagRunMeta } from './tag-event.js';

export function webhooksPlugin(config: Config): Partial<ServerOptions> {
  const log = logger.child({ component: 'webhooks' });
  if (!config.webhookSecretDefault && Object.keys(config.webhookSecrets).length === 0) {
    log.warn('Webhooks: no secret configured, so every delivery for a library is refused (set COMPAT_WEBHOOK_SECRET or COMPAT_WEBHOOK_SECRET_<LIBRARY>)');
  }
  return {
    mount: ({ store, orchestrator, config: live, metrics, ports }) => [
      { path: '/webhooks', router: webhookRouter({ store, orchestrator, config: live, log, repos: ports.repos, countDelivery: (outcome) => metrics?.webhooks.inc({ outcome }) }) },
    ],
  };
}
