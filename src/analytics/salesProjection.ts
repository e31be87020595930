import type pg from 'pg';
import { occurredAtOf } from '../commands/loadAggregate.js';
import type { Projection } from '../projections/projection.js';
import { upsertRows } from '../projections/rows.js';
import { applySalesEvents, minuteOf, SALES_EVENT_TYPES, type SalesMinuteRow } from './salesReadModel.js';

type StoredRow = Omit<SalesMinuteRow, 'minute' | 'revenue_cents' | 'refunds_cents' | 'last_position'> & {
  minute: Date;
  revenue_cents: string;
  refunds_cents: string;
  last_position: string;
};

const COLUMNS = {
  minute: 'timestamptz',
  orders_created: 'int',
  orders_submitted: 'int',
  orders_paid: 'int',
  orders_cancelled: 'int',
  orders_expired: 'int',
  revenue_cents: 'bigint',
  refunds_cents: 'bigint',
  last_position: 'bigint',
};

/** Projection `sales`: order counts, revenue and refunds per minute, for `salesStats`. */
export const salesProjection: Projection = {
  name: 'sales',
  version: 1,
  eventTypes: SALES_EVENT_TYPES,
  tables: ['sales_minutes'],
  async apply(tx: pg.ClientBase, events) {
    const minutes = [...new Set(events.map((e) => minuteOf(occurredAtOf(e))))];
    const { rows: stored } = await tx.query<StoredRow>({
      name: 'sales-load-minutes',
      text: 'SELECT * FROM sales_minutes WHERE minute = ANY($1::timestamptz[])',
      values: [minutes],
    });
    const rows = new Map<string, SalesMinuteRow>();
    for (const row of stored) {
      const minute = row.minute.toISOString();
      rows.set(minute, {
        ...row,
        minute,
        revenue_cents: BigInt(row.revenue_cents),
        refunds_cents: BigInt(row.refunds_cents),
        last_position: BigInt(row.last_position),
      });
    }
    const changed = applySalesEvents(rows, events);
    const touched = [...new Set(changed.map((e) => minuteOf(occurredAtOf(e))))];
    await upsertRows(tx, 'sales_minutes', COLUMNS, ['minute'], touched.map((m) => rows.get(m)!) as never);
  },
};
