import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One message a bench receiver took: when, the body, and the signature headers. */
export interface Receipt {
  at: number;
  id: string;
  body: string;
  headers: Record<string, string>;
}

/**
 * A webhook receiver for benchmarks on 127.0.0.1: answers 204 at once (no verification: the bare
 * baseline posts to the same receiver, so its cost is in both), records each first receipt per
 * path, and answers 410 to the paths told to be gone (to hold an endpoint's messages back).
 */
export class BenchReceiver {
  readonly receipts = new Map<string, Receipt[]>();
  readonly gone = new Set<string>();
  private server?: Server;
  private seen = new Set<string>();

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const path = request.url ?? '/';
        if (this.gone.has(path)) return response.writeHead(410).end();
        const id = String(request.headers['webhook-id']);
        const key = `${path} ${id}`;
        if (!this.seen.has(key)) {
          this.seen.add(key);
          const headers = Object.fromEntries(
            ['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((h) => [h, String(request.headers[h])]),
          );
          const list = this.receipts.get(path) ?? [];
          list.push({ at: Date.now(), id, body: Buffer.concat(chunks).toString('utf8'), headers });
          this.receipts.set(path, list);
        }
        response.writeHead(204).end();
      });
    });
    this.server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  url(path: string): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}${path}`;
  }

  received(path: string): Receipt[] {
    return this.receipts.get(path) ?? [];
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}
