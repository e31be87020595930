import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs on stdout; authorization headers and tokens never reach them. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    redact: {
      paths: ['req.headers.authorization', 'headers.authorization', 'authorization', 'token', 'password', '*.password'],
      censor: '[redacted]',
    },
  });
}
