import { isIP } from 'node:net';
import { Agent, buildConnector, request } from 'undici';
import type { AttemptResult, ReactionMessage, ReactionSender } from '../reactions/reaction.js';
import { bareHost, BlockedAddressError, guardedLookup, isBlockedAddress } from './webhookAddresses.js';
import type { WebhookEndpointStore } from './webhookEndpoints.js';
import { webhookSigner, type WebhookSigner } from './webhookSecrets.js';
import { isAllowedHost } from './webhookUrls.js';

/** The start of an answer kept with the attempt; the rest is not even read. */
const ANSWER_BYTES = 1_024;

export interface WebhookSenderOptions {
  timeoutMs: number;
  allowedHosts: readonly string[];
}

/**
 * A connector that checks where each connection goes, at connect time: a literal address in the
 * URL directly, a name through guardedLookup (the address actually connected to). Allowed hosts
 * connect without the check.
 */
function guardedConnector(options: WebhookSenderOptions): buildConnector.connector {
  const guarded = buildConnector({ timeout: options.timeoutMs, lookup: guardedLookup });
  const open = buildConnector({ timeout: options.timeoutMs });
  return (connection, callback) => {
    const host = bareHost(connection.hostname);
    if (isAllowedHost(options, host)) return open(connection, callback);
    if (isIP(host) && isBlockedAddress(host)) return callback(new BlockedAddressError(host, host), null);
    guarded(connection, callback);
  };
}

/**
 * Posts each message to its endpoint as a CloudEvent (structured JSON), signed the Standard
 * Webhooks way. 2xx is delivered, 410 disables the endpoint, anything else (another status, a
 * refused or blocked connection, no answer within the timeout) is retried. Redirects are not
 * followed: a 3xx is a failure like any other.
 */
export class WebhookSender implements ReactionSender {
  readonly attemptTimeoutMs: number;
  private readonly agent: Agent;
  private readonly inFlight = new Set<AbortController>();

  constructor(
    private readonly endpoints: WebhookEndpointStore,
    options: WebhookSenderOptions,
  ) {
    this.attemptTimeoutMs = options.timeoutMs;
    this.agent = new Agent({
      connect: guardedConnector(options),
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      connections: 64,
    });
  }

  async send(message: ReactionMessage): Promise<AttemptResult> {
    return (await this.forRun(message.targetId))(message);
  }

  /**
   * Reads the endpoint's URL and signing secrets once for a run: a run is claimed and sent within
   * its lease, so a secret rotated meanwhile signs from the next run on (the old one signs for a
   * day after a rotation anyway).
   */
  async forRun(targetId: string): Promise<(message: ReactionMessage) => Promise<AttemptResult>> {
    const endpoint = await this.endpoints.forSending(targetId);
    if (!endpoint) return () => Promise.resolve({ outcome: 'failed', error: 'the endpoint no longer exists' });
    const sign = webhookSigner(endpoint.secrets);
    return (message) => this.post(endpoint.url, sign, message);
  }

  private async post(url: string, sign: WebhookSigner, message: ReactionMessage): Promise<AttemptResult> {
    const body = JSON.stringify(message.body);
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new Error(`no answer within ${this.attemptTimeoutMs} ms`)), this.attemptTimeoutMs);
    this.inFlight.add(abort);
    try {
      const answer = await request(url, {
        method: 'POST',
        dispatcher: this.agent,
        signal: abort.signal,
        headers: {
          'content-type': 'application/cloudevents+json; charset=utf-8',
          'user-agent': 'Ordersource-Webhooks/1',
          ...sign(message.eventId, body),
        },
        body,
      });
      const responseBody = await readCapped(answer.body);
      const statusCode = answer.statusCode;
      if (statusCode >= 200 && statusCode < 300) return { outcome: 'delivered', statusCode, responseBody };
      if (statusCode === 410) return { outcome: 'gone', statusCode, responseBody, error: 'the endpoint answered 410 Gone' };
      return { outcome: 'failed', statusCode, responseBody, error: `the endpoint answered ${statusCode}` };
    } catch (err) {
      const reason = abort.signal.aborted ? abort.signal.reason : err;
      return { outcome: 'failed', error: reason instanceof Error ? reason.message : String(reason) };
    } finally {
      clearTimeout(timer);
      this.inFlight.delete(abort);
    }
  }

  async close(): Promise<void> {
    for (const abort of this.inFlight) abort.abort(new Error('the server is stopping'));
    await this.agent.close();
  }
}

/** Reads at most the first KiB of an answer (as text) and drops the rest unread. */
async function readCapped(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= ANSWER_BYTES) {
      body.destroy();
      break;
    }
  }
  // PostgreSQL text holds no NUL character.
  return Buffer.concat(chunks).subarray(0, ANSWER_BYTES).toString('utf8').replaceAll('\0', '');
}
