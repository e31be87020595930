import { createTransport } from 'nodemailer';
import type { NodemailerError } from 'nodemailer/lib/errors';
import { withDeadline } from '../observability/projectionProgress.js';
import type { ComposedOrderEmail } from '../orders/orderEmailComposer.js';
import type { CloudEvent } from '../integrationEvents/integrationEvents.js';
import type { AttemptResult, ReactionMessage, ReactionSender } from '../reactions/reaction.js';

/** Each step with the mail server (connect, greeting, a reply) gives up after this long. */
const SMTP_STEP_TIMEOUT_MS = 10_000;
/** A whole attempt (reading the order and customer, then the SMTP conversation). */
const ATTEMPT_TIMEOUT_MS = 30_000;

export interface MailSettings {
  smtpUrl: string;
  from: string;
}

/** The host part of MAIL_FROM's address (`Shop <shop@example.com>` gives `example.com`), for our Message-IDs. */
export function mailDomainOf(from: string): string {
  return /@([^\s<>@]+)>?\s*$/.exec(from)?.[1] ?? 'ordersource.invalid';
}

/** A Message-ID made from the event's id: the same on every attempt, so a mail reader shows a repeat as one message. */
export function messageIdOf(eventId: string, domain: string): string {
  return `<${eventId.replace(/[^A-Za-z0-9.-]/g, '.')}@${domain}>`;
}

/**
 * Why an attempt failed, from the error's codes only: an SMTP server's reply and nodemailer's
 * message may quote the recipient's address, and this line is stored with the attempt.
 */
function failureOf(err: unknown): string {
  const e = err as Partial<NodemailerError>;
  return ['SMTP', e.command, e.responseCode, e.code].filter((part) => part !== undefined).join(' ') || 'SMTP attempt failed';
}

/**
 * Sends customers' emails through an SMTP server (nodemailer, pooled connections). What to send is
 * composed at send time by `compose`, which decrypts the customer's address and name; they live in
 * memory for the attempt only and never reach the attempt's record, a log line or a metric. A
 * customer with no address any more (forgotten) gets nothing: the message is done, not failed.
 */
export class MailSender implements ReactionSender {
  readonly attemptTimeoutMs = ATTEMPT_TIMEOUT_MS;
  private readonly transport;
  private readonly domain: string;

  constructor(
    private readonly settings: MailSettings,
    private readonly compose: (event: CloudEvent) => Promise<ComposedOrderEmail | undefined>,
  ) {
    const url = new URL(settings.smtpUrl);
    this.transport = createTransport({
      pool: true,
      host: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      secure: url.protocol === 'smtps:',
      auth: url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : undefined,
      connectionTimeout: SMTP_STEP_TIMEOUT_MS,
      greetingTimeout: SMTP_STEP_TIMEOUT_MS,
      socketTimeout: SMTP_STEP_TIMEOUT_MS,
    });
    this.domain = mailDomainOf(settings.from);
  }

  async send(message: ReactionMessage): Promise<AttemptResult> {
    // One deadline for the whole attempt: it must end within its lease.
    return withDeadline(this.attempt(message), ATTEMPT_TIMEOUT_MS, 'the mail attempt').catch((err: unknown) => ({
      outcome: 'failed' as const,
      error: err instanceof Error ? err.message : String(err),
    }));
  }

  private async attempt(message: ReactionMessage): Promise<AttemptResult> {
    let composed: ComposedOrderEmail | undefined;
    try {
      composed = await this.compose(message.body);
    } catch (err) {
      return { outcome: 'failed', error: `could not compose the email: ${err instanceof Error ? err.message : String(err)}` };
    }
    if (!composed) return { outcome: 'delivered', responseBody: 'skipped: the customer was forgotten' };
    try {
      const info = await this.transport.sendMail({
        from: this.settings.from,
        to: composed.to,
        subject: composed.email.subject,
        text: composed.email.text,
        html: composed.email.html,
        messageId: messageIdOf(message.eventId, this.domain),
      });
      // The reply's code only (its text may quote the address).
      return { outcome: 'delivered', responseBody: `SMTP ${/^\d{3}/.exec(info.response)?.[0] ?? 'accepted'}` };
    } catch (err) {
      return { outcome: 'failed', error: failureOf(err) };
    }
  }

  close(): Promise<void> {
    this.transport.close();
    return Promise.resolve();
  }
}
