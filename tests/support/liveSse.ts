import { conditions } from './conditions.js';

/** A GraphQL subscription over Server-Sent Events (Yoga's "distinct connections" mode), via plain fetch. */
export interface SseSubscription<T> {
  /** The HTTP response's status and content type, once the response has started. */
  response: Promise<{ status: number; contentType: string | null }>;
  /** The `data` of each `event: next` without errors (its first field's value). */
  received: T[];
  /** The `errors` of each `event: next` that had any. */
  errors: unknown[];
  /** Every event as it came: `event` name and raw `data`. */
  events: { event: string; data: string }[];
  /** True once the server sent `event: complete` or the stream ended. */
  readonly completed: boolean;
  waitFor(count: number, timeoutMs?: number): Promise<T[]>;
  waitForError(timeoutMs?: number): Promise<unknown>;
  waitForComplete(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * POSTs `query` to `url` with `accept: text/event-stream` and reads the stream: events are separated
 * by a blank line; `event:` names the event, `data:` lines carry its JSON; `:` lines are keep-alives.
 */
export function subscribeSse<T = Record<string, any>>(
  url: string,
  query: string,
  variables?: Record<string, unknown>,
  headers: Record<string, string> = {},
): SseSubscription<T> {
  const abort = new AbortController();
  const received: T[] = [];
  const errors: unknown[] = [];
  const events: { event: string; data: string }[] = [];
  let completed = false;
  let failure: unknown;
  const { notify, until } = conditions(() => `events ${JSON.stringify(events)}, failure ${String(failure)}`);

  const dispatch = (block: string) => {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length === 0 && event === 'message') return; // a keep-alive comment
    const raw = data.join('\n');
    events.push({ event, data: raw });
    if (event === 'next') {
      const payload = JSON.parse(raw) as { data?: Record<string, unknown> | null; errors?: unknown[] };
      if (payload.errors) errors.push(payload.errors);
      else received.push(Object.values(payload.data ?? {})[0] as T);
    } else if (event === 'complete') {
      completed = true;
    }
    notify();
  };

  let resolveResponse!: (value: { status: number; contentType: string | null }) => void;
  let rejectResponse!: (error: unknown) => void;
  const response = new Promise<{ status: number; contentType: string | null }>((resolve, reject) => {
    resolveResponse = resolve;
    rejectResponse = reject;
  });
  response.catch(() => {}); // also reported through `errors`

  const reading = (async () => {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
        body: JSON.stringify({ query, variables }),
        signal: abort.signal,
      });
      resolveResponse({ status: res.status, contentType: res.headers.get('content-type') });
      if (!res.body) return;
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true }).replace(/\r\n?/g, '\n');
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          dispatch(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
      if (buffer.trim() !== '') dispatch(buffer);
    } catch (error) {
      rejectResponse(error);
      if (!abort.signal.aborted) {
        failure = error;
        errors.push(error);
      }
    } finally {
      completed = true;
      notify();
    }
  })();

  return {
    response,
    received,
    errors,
    events,
    get completed() {
      return completed;
    },
    async waitFor(count, timeoutMs = 10_000) {
      await until(() => received.length >= count, timeoutMs, `${count} payloads`);
      return received.slice(0, count);
    },
    async waitForError(timeoutMs = 10_000) {
      await until(() => errors.length > 0, timeoutMs, 'an error');
      return errors[0];
    },
    async waitForComplete(timeoutMs = 10_000) {
      await until(() => completed, timeoutMs, 'the end of the stream');
    },
    async close() {
      abort.abort();
      await reading;
    },
  };
}
