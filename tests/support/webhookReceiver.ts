import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One message a receiver accepted (verified and answered 2xx). */
export interface ReceivedWebhook {
  webhookId: string;
  /** The `webhook-signature` header as received. */
  signature: string;
  body: Record<string, any>;
  raw: string;
}

/** What the receiver answers a verified message (the default: 204), at once or after `afterMs`. */
export type Answer = (message: ReceivedWebhook, attempt: number) => number | 'hang' | { status: number; afterMs: number };

/**
 * A webhook receiver on a free port of 127.0.0.1, as a user would write one: it verifies every
 * signature with the `standardwebhooks` library (a message that does not verify is counted and
 * refused with 400) and records what it accepted, in arrival order. `answer` decides each status;
 * `goAway()`/`comeBack()` stop and restart it on the same port.
 */
export class WebhookReceiver {
  readonly accepted: ReceivedWebhook[] = [];
  /** Every attempt seen per webhook-id (accepted or not). */
  readonly attempts = new Map<string, number>();
  unverified = 0;
  secret?: string;
  private server?: Server;
  private port = 0;

  constructor(private answer: Answer = () => 204) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  /** Changes how it answers from now on. */
  answerWith(answer: Answer): void {
    this.answer = answer;
  }

  async start(): Promise<this> {
    const server = createServer((request, response) => {
      void readBody(request).then((raw) => {
        const webhookId = String(request.headers['webhook-id']);
        const attempt = (this.attempts.get(webhookId) ?? 0) + 1;
        this.attempts.set(webhookId, attempt);
        try {
          new Webhook(this.secret!).verify(raw, request.headers as Record<string, string>);
        } catch {
          this.unverified++;
          return response.writeHead(400).end('bad signature');
        }
        const message = {
          webhookId,
          signature: String(request.headers['webhook-signature']),
          body: JSON.parse(raw) as Record<string, any>,
          raw,
        };
        const answer = this.answer(message, attempt);
        if (answer === 'hang') return; // never answers (closed when the receiver stops)
        const { status, afterMs } = typeof answer === 'number' ? { status: answer, afterMs: 0 } : answer;
        const respond = () => {
          // The sender gave up meanwhile (its timeout): this answer reaches no one, it is not an acceptance.
          if (response.destroyed) return;
          if (status >= 200 && status < 300) this.accepted.push(message);
          response.writeHead(status).end(status >= 300 ? 'not now' : '');
        };
        if (afterMs > 0) setTimeout(respond, afterMs);
        else respond();
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  /** Stops listening (connections refused) until comeBack(). */
  async goAway(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  comeBack(): Promise<this> {
    return this.start();
  }

  stop(): Promise<void> {
    return this.goAway();
  }

  /** The accepted messages' CloudEvents, each id once (its first acceptance), in arrival order. */
  firstAcceptances(): Record<string, any>[] {
    const seen = new Set<string>();
    return this.accepted.filter((m) => !seen.has(m.webhookId) && seen.add(m.webhookId)).map((m) => m.body);
  }
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
