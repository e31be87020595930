import type { IncomingMessage } from 'node:http';

/**
 * The peer address of the connection an operation came on: Yoga's Node adapter puts the request in
 * the server context as `req`; app.ts passes the WebSocket's upgrade request the same way. Behind a
 * proxy this is the proxy's address (X-Forwarded-For is not trusted: anyone can send it).
 */
export function clientAddress(context: object): string {
  const req = (context as { req?: IncomingMessage }).req;
  return req?.socket?.remoteAddress ?? 'unknown';
}
