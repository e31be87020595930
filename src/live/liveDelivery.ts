import { execute, type ExecutionArgs, type ExecutionResult, type GraphQLError } from 'graphql';
import { MessageType } from 'graphql-ws';
import type WebSocket from 'ws';
import { describeActor, type Authentication } from '../auth/actor.js';

/** WebSocket close code for a subscriber that fell too far behind (RFC 6455: try again later). */
export const SLOW_CONSUMER_CLOSE_CODE = 1013;

/**
 * Backpressure for every message to a socket: a client with more than `maxBufferedBytes` unsent is
 * closed with 1013 and resumes with `after` = the last position it got, so one slow client never
 * holds memory or delays the others. True when it closed the socket.
 */
export function closeIfTooSlow(socket: WebSocket, maxBufferedBytes: number): boolean {
  if (socket.readyState !== socket.OPEN || socket.bufferedAmount <= maxBufferedBytes) return false;
  socket.close(SLOW_CONSUMER_CLOSE_CODE, 'consumer too slow: resubscribe with after = the last position received');
  return true;
}

/** Where a caught-up subscription's live values go, bypassing the per-subscriber iterator. */
export interface LiveDelivery {
  /**
   * Executes the subscriber's operation on `value` (shared, see below) and sends the result:
   * synchronously when the shared result is ready (every subscriber after the first, and the first
   * too when execution needs no await), else it returns what to wait for.
   */
  send(value: object): void | Promise<void>;
  /** The subscription has read its current state or replay (its socket's next may start reading). */
  initialRead?(): void;
}

export interface WsDeliveryOptions {
  socket: WebSocket;
  /** The graphql-ws subscription id. */
  id: string;
  /** The subscriber's execution arguments (its document, variables and context). */
  args: ExecutionArgs;
  /** The subscriber's query text, operation name and variables as the client sent them. */
  operation: { query: string; operationName?: string | null; variables?: Readonly<Record<string, unknown>> | null };
  auth: Authentication;
  /** Beyond this many unsent bytes the socket is closed as a slow consumer (see closeIfTooSlow). */
  maxBufferedBytes: number;
  /** The server's error masking, the same as every other result gets (request id included). */
  maskError: (error: GraphQLError) => GraphQLError;
  /** Called once the subscription has read its current state or replay. */
  onInitialRead?: () => void;
}

/** A change's result for one shape: its JSON, and the whole `next` message per subscription id. */
interface SharedResult {
  json: string;
  /** Encoded once per id, so every socket of a group is handed the same buffer, as a bare broadcast does. */
  messages: Map<string, Buffer>;
}

/**
 * Results by value and by "shape": the same value executed by the same operation for the same
 * viewer gives the same payload, so it is computed once per change and shared by every such
 * subscriber. Weak on the value: an entry goes when the change is no longer referenced.
 */
const payloads = new WeakMap<object, Map<string, SharedResult | Promise<SharedResult>>>();

/**
 * Live delivery over graphql-ws: a `next` message written straight to the socket, in the
 * protocol's exact shape (`{"id":…,"type":"next","payload":…}`), with the same bound on unsent
 * bytes as every other message (closeIfTooSlow).
 *
 * Sharing is keyed by the viewer (`role:sub`, or anonymous) as well as the operation, because
 * resolvers may show different things to different callers; subscribers under one identity (a
 * dashboard on many screens, anonymous catalog watchers) share.
 */
export function wsDelivery(options: WsDeliveryOptions): LiveDelivery {
  const { socket, operation, id } = options;
  const shape = JSON.stringify([
    operation.query,
    operation.operationName ?? null,
    operation.variables ?? null,
    describeActor(options.auth.actor),
  ]);
  const write = (shared: SharedResult): void => {
    let message = shared.messages.get(id);
    if (!message) {
      // Framed here, not by graphql-ws's server (stringifyMessage per subscriber, then ws encoding each
      // string): measured, that costs 6-8 ms of event-loop time per change at 5,000 subscribers of a
      // 334-byte payload, this 0.07 ms (bench/RESULTS.md, "graphql-ws frames").
      message = Buffer.from(`{"id":${JSON.stringify(id)},"type":${JSON.stringify(MessageType.Next)},"payload":${shared.json}}`);
      shared.messages.set(id, message);
    }
    if (socket.readyState !== socket.OPEN || closeIfTooSlow(socket, options.maxBufferedBytes)) return;
    // A text frame from bytes already UTF-8: no encoding per socket.
    socket.send(message, { binary: false });
  };
  return {
    initialRead: options.onInitialRead,
    send(value) {
      let byShape = payloads.get(value);
      if (!byShape) payloads.set(value, (byShape = new Map()));
      let shared = byShape.get(shape);
      if (!shared) {
        shared = sharedResult(options, value);
        byShape.set(shape, shared);
        // Later subscribers of the shape then find the result itself, not a promise.
        if (shared instanceof Promise) shared.then((ready) => byShape.set(shape, ready)).catch(() => {});
      }
      if (shared instanceof Promise) return shared.then(write);
      write(shared);
    },
  };
}

/**
 * What graphql-ws would send as the payload: the execution result, errors masked and serialised.
 * Synchronous when the execution is (a subscription's resolvers usually only pick fields).
 */
function sharedResult(options: WsDeliveryOptions, value: object): SharedResult | Promise<SharedResult> {
  // A subscription event is executed as the operation's root value, as graphql's own subscribe does.
  const shared = (done: ExecutionResult): SharedResult => {
    const errors = done.errors?.map((error) => options.maskError(error).toJSON());
    return { json: JSON.stringify(errors ? { ...done, errors } : done), messages: new Map() };
  };
  try {
    const result = execute({ ...options.args, rootValue: value });
    // Any thenable a resolver produced becomes a native promise, which is what `send` tells apart.
    return isThenable(result) ? Promise.resolve(result).then(shared) : shared(result);
  } catch (error) {
    // Failing the same way for every subscriber of the shape, as one shared promise.
    return Promise.reject(error as Error);
  }
}

const isThenable = (value: unknown): value is PromiseLike<unknown> => typeof (value as { then?: unknown } | null)?.then === 'function';
