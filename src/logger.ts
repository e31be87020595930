import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Never logged, at any level: credentials, and customers' personal data wherever a log call might
 * pass it (an input, an operation's variables, a sealed or opened `personal` field). PostgreSQL's
 * error `detail` is dropped too: it quotes the failing row's values ("Failing row contains (...)").
 */
const REDACTED_PATHS = [
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  'token',
  'password',
  '*.password',
  'name',
  '*.name',
  'email',
  '*.email',
  'personal',
  '*.personal',
  'variables',
  '*.variables',
  'err.detail',
  'err.where',
  'err.cause.detail',
  '*.err.detail',
];

/** JSON logs on stdout; authorization headers, tokens and personal data never reach them. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  });
}
