import type { WebSocketServer } from 'ws';

/** The close code of a WebSocket refused because its address already has its share (as HTTP's 429). */
export const TOO_MANY_CONNECTIONS_CLOSE_CODE = 4429;

/**
 * At most `max` open WebSockets per client address: the one beyond is closed at once with
 * TOO_MANY_CONNECTIONS_CLOSE_CODE, before it can subscribe. Every socket costs memory and its
 * subscriptions' first reads, so one address opening hundreds must not crowd out everyone else.
 * Registered before graphql-ws's own handler. The address is the peer's (behind a proxy, the
 * proxy's: X-Forwarded-For is anyone's to send).
 */
export function limitSocketsPerAddress(wsServer: WebSocketServer, max: number): void {
  const open = new Map<string, number>();
  wsServer.on('connection', (socket, request) => {
    const address = request.socket.remoteAddress ?? 'unknown';
    const count = (open.get(address) ?? 0) + 1;
    if (count > max) {
      socket.close(TOO_MANY_CONNECTIONS_CLOSE_CODE, `too many connections from this address: at most ${max}`);
      return;
    }
    open.set(address, count);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
    });
  });
}
