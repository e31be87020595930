import http from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';

// The baseline for the fan-out benchmark: a bare `ws` server that speaks just enough of the
// graphql-transport-ws protocol for the benchmark's clients (connection_init -> connection_ack,
// subscribe -> the current state, like `inventoryChanged(sku)`), and on `POST /broadcast`
// serialises one `next` message once and writes that same buffer to every subscribed socket.
// No GraphQL, no auth, no database: the ceiling for pushing one change to N sockets.
const sku = process.env.BARE_SKU ?? 'FANOUT-1';
let onHand = Number(process.env.BARE_ON_HAND ?? 1_000);
const subscribers = new Map<WebSocket, string>();

/** One pre-serialised `next` message, shaped and sized like our server's inventoryChanged payload. */
function nextMessage(id: string): Buffer {
  return Buffer.from(
    JSON.stringify({ id, type: 'next', payload: { data: { inventoryChanged: { sku, onHand, reserved: 0, available: onHand } } } }),
  );
}

function broadcast(): void {
  // Every benchmark client subscribes with id "1", so one buffer serves all of them.
  const messages = new Map<string, Buffer>();
  for (const [socket, id] of subscribers) {
    let message = messages.get(id);
    if (!message) messages.set(id, (message = nextMessage(id)));
    if (socket.readyState === socket.OPEN) socket.send(message, { binary: false });
  }
}

const server = http.createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/broadcast') {
    req.resume();
    req.on('end', () => {
      onHand += 1;
      const body = JSON.stringify({ onHand, subscribers: subscribers.size });
      // Like a mutation whose change is pushed after it commits: the response goes out first,
      // then the broadcast runs (before this process reads its next request).
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body, () => broadcast());
    });
    return;
  }
  res.writeHead(404).end();
});

const wss = new WebSocketServer({ server, path: '/graphql', perMessageDeflate: false });
wss.on('connection', (socket) => {
  socket.on('message', (data) => {
    let message: { type?: string; id?: string };
    try {
      message = JSON.parse(String(data)) as typeof message;
    } catch {
      return socket.close(4400, 'Invalid message received');
    }
    if (message.type === 'connection_init') socket.send(JSON.stringify({ type: 'connection_ack' }));
    else if (message.type === 'ping') socket.send(JSON.stringify({ type: 'pong' }));
    else if (message.type === 'subscribe' && typeof message.id === 'string') {
      subscribers.set(socket, message.id);
      socket.send(nextMessage(message.id), { binary: false });
    } else if (message.type === 'complete') subscribers.delete(socket);
  });
  socket.on('close', () => subscribers.delete(socket));
});

server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('Bare ws broadcast is listening'));
process.on('SIGTERM', () => {
  for (const socket of wss.clients) socket.terminate();
  wss.close();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2_000).unref();
});
