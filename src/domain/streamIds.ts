/** How one aggregate type's ids become stream ids (`<type>-<id>`) and back: made and parsed only here. */
export interface StreamIds {
  /** The aggregate type, the stream id's prefix and the events' `stream_type`. */
  readonly type: string;
  of(id: string): string;
  /** The aggregate id of a stream of this type. */
  idOf(streamId: string): string;
  owns(streamId: string): boolean;
}

export function streamIds(type: string): StreamIds {
  const prefix = `${type}-`;
  return {
    type,
    of: (id) => prefix + id,
    idOf: (streamId) => streamId.slice(prefix.length),
    owns: (streamId) => streamId.startsWith(prefix),
  };
}

/**
 * Order streams. Kept in the shared domain rather than in the orders feature because other
 * features' read models follow orders too (a customer's order count and spend), and they should
 * not depend on the orders feature to read a stream id.
 */
export const ORDER_STREAMS = streamIds('Order');
