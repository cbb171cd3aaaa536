/**
 * One structured logger (pino, JSON lines on stderr). Messages are fixed strings; what varies goes in
 * the metadata. Secrets are redacted by key wherever they appear.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

export const logger: Logger = pino({
  name: 'compat',
  level: process.env.COMPAT_LOG_LEVEL ?? (process.env.VITEST ? 'silent' : 'info'),
  redact: {
    paths: [
      'token', 'secret', 'password', '*.token', '*.secret', '*.password', 'headers.authorization', '*.headers.authorization',
      // The config's credentials, should a config object ever be logged, and forge headers carrying them.
      'githubToken', 'gitlabToken', 'webhookSecrets', 'webhookSecretDefault',
      '*.githubToken', '*.gitlabToken', '*.webhookSecrets', '*.webhookSecretDefault',
      'headers.Authorization', '*.headers.Authorization', 'headers["private-token"]', 'headers["x-gitlab-token"]', '*.headers["x-gitlab-token"]',
    ],
    censor: '[redacted]',
  },
}, pino.destination(2));
