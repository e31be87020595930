import { expect } from 'vitest';
import type { StreamIds } from '../../domain/streamIds.js';
import type { RecordedEvent } from '../../eventStore/types.js';

/**
 * Given/when/then for a projection's in-memory fold, the read-side twin of the deciders' helper
 * (for unit tests only):
 *
 *   const given = projectionSpec(() => new Map(), applySalesEvents);
 *   given(created, submitted).when(paid).then((rows) => expect(rows.get(minute)).toMatchObject({ ... }));
 *
 * "given" folds past events into fresh rows, "when" folds the new ones, "then" looks at the rows.
 * Every spec also checks that the fold is idempotent: folding the same events again changes nothing.
 */
export function projectionSpec<R>(empty: () => R, apply: (rows: R, events: RecordedEvent[]) => unknown) {
  return (...given: RecordedEvent[]) => ({
    when: (...events: RecordedEvent[]) => ({
      then(check: (rows: R) => void): R {
        const rows = empty();
        apply(rows, given);
        apply(rows, events);
        check(rows);
        const once = structuredClone(rows);
        apply(rows, [...given, ...events]);
        expect(rows, 'a replayed batch must change nothing').toEqual(once);
        return rows;
      },
    }),
  });
}

/** Numbers events of a stream as the log would: versions 1.. at consecutive positions from `first`. */
export function recordedStream<E extends { type: string; data: object }>(
  streams: StreamIds,
  id: string,
  first: number,
  events: readonly E[],
  occurredAt: (position: number) => string = (position) => new Date(Date.UTC(2024, 4, 1, 10, position)).toISOString(),
): RecordedEvent[] {
  return events.map((event, i) => ({
    position: BigInt(first + i),
    streamId: streams.of(id),
    streamType: streams.type,
    version: i + 1,
    type: event.type,
    schemaVersion: 1,
    data: event.data as Record<string, unknown>,
    metadata: { occurredAt: occurredAt(first + i), actor: 'staff:alice' },
    recordedAt: new Date(Date.UTC(2030, 0, 1)),
  }));
}
