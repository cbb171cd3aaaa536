/**
 * One structured logger (pino, JSON lines on stderr). Messages are fixed strings; what varies goes in
 * the metadata. Secrets are redacted by key wherever they appear, and credentials in URLs wherever they
 * appear in a value (an error quoting a clone URL, a job's repository).
 */
import { pino, type Logger } from 'pino';
import { redactDeep, redactText } from './redact.js';

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
  // Before serializers run: an Error becomes a plain object with its message and stack redacted.
  formatters: { log: (object) => redactDeep(object) },
  hooks: {
    logMethod(args, method) {
      const [first, ...rest] = args.map((arg) => (typeof arg === 'string' ? redactText(arg) : arg));
      // `log.error(err)`: pino would take the message from the error itself, unredacted.
      if (first instanceof Error) {
        const err = redactDeep(first) as unknown as { message: string };
        method.apply(this, [{ err }, ...(rest.length ? rest : [err.message])] as Parameters<typeof method>);
      } else {
        method.apply(this, [first, ...rest] as Parameters<typeof method>);
      }
    },
  },
}, pino.destination(2));
