/** Who and what caused an event; stored as the event's `metadata`. */
export interface EventMetadata {
  commandId?: string;
  correlationId?: string;
  causationId?: string;
  /** `role:sub` of the caller, or `anonymous`. */
  actor?: string;
  /** ISO time the command was handled (the clock the deciders were given). */
  occurredAt?: string;
  /** W3C trace context (`traceparent`) of the request that appended it, so its effects join that trace. */
  trace?: Record<string, string>;
}

/** An event about to be appended. */
export interface NewEvent {
  type: string;
  data: Record<string, unknown>;
  /** Version of the payload's shape, so old events can be upcast (default 1). */
  schemaVersion?: number;
}

/** Events for one stream within an append. */
export interface StreamAppend {
  streamId: string;
  streamType: string;
  /**
   * The version the caller read (0 = the stream must not exist yet). When omitted, the events go
   * after whatever is there now.
   */
  expectedVersion?: number;
  events: NewEvent[];
}

export interface AppendRequest {
  streams: StreamAppend[];
  metadata?: EventMetadata;
  /**
   * Idempotency: one command id appends once per caller; a repeat returns the first outcome.
   * `caller` scopes the key (`role:sub` or `anonymous`): equal ids of two callers never meet.
   */
  idempotency?: { caller: string; commandId: string; inputHash: string; result?: unknown };
}

/** A stored event. `position` is the global order (a bigint, exposed as a string in the API). */
export interface RecordedEvent {
  position: bigint;
  streamId: string;
  streamType: string;
  version: number;
  type: string;
  schemaVersion: number;
  data: Record<string, unknown>;
  metadata: EventMetadata;
  recordedAt: Date;
}

/** Where each appended event landed. */
export interface AppendedEvent {
  streamId: string;
  version: number;
  type: string;
  position: string;
}

export interface AppendOutcome {
  /** The version of each stream after the append. */
  streams: { streamId: string; version: number }[];
  events: AppendedEvent[];
  /** The last position written (or the head when nothing was written); a consistency token. */
  lastPosition: string;
  /** The caller's `idempotency.result`, as stored with the first append. */
  result?: unknown;
  /** True when this command id had already been appended and nothing new was written. */
  duplicate: boolean;
}

/** The latest snapshot of a stream and the events after it. */
export interface LoadedStream<S> {
  snapshot?: { version: number; schemaVersion: number; state: S };
  events: RecordedEvent[];
  /** The stream's current version (0 when it does not exist). */
  version: number;
}
