import { execute, type ExecutionArgs, type GraphQLError } from 'graphql';
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
  /** Executes the subscriber's operation on `value` (shared, see below) and sends the result. */
  send(value: object): Promise<void>;
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

/**
 * Serialised `next` payloads by value and by "shape": the same value executed by the same operation
 * for the same viewer gives the same payload, so it is computed once per change and shared by every
 * such subscriber. Weak on the value: an entry goes when the change is no longer referenced.
 */
const payloads = new WeakMap<object, Map<string, Promise<string>>>();

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
  const { socket, operation } = options;
  const shape = JSON.stringify([
    operation.query,
    operation.operationName ?? null,
    operation.variables ?? null,
    describeActor(options.auth.actor),
  ]);
  // Built once per subscription around payloads serialised once per change (stringifyMessage
  // would serialise every payload again for every subscriber).
  const prefix = `{"id":${JSON.stringify(options.id)},"type":${JSON.stringify(MessageType.Next)},"payload":`;
  return {
    initialRead: options.onInitialRead,
    async send(value) {
      let byShape = payloads.get(value);
      if (!byShape) payloads.set(value, (byShape = new Map()));
      let payload = byShape.get(shape);
      if (!payload) {
        payload = serialisedResult(options, value);
        byShape.set(shape, payload);
      }
      const json = await payload;
      if (socket.readyState !== socket.OPEN || closeIfTooSlow(socket, options.maxBufferedBytes)) return;
      socket.send(`${prefix}${json}}`);
    },
  };
}

/** What graphql-ws would send as the payload: the execution result, errors masked and serialised. */
async function serialisedResult(options: WsDeliveryOptions, value: object): Promise<string> {
  // A subscription event is executed as the operation's root value, as graphql's own subscribe does.
  const result = await execute({ ...options.args, rootValue: value });
  const errors = result.errors?.map((error) => options.maskError(error).toJSON());
  return JSON.stringify(errors ? { ...result, errors } : result);
}
