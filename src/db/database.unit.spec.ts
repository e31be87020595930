import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailable, isStorageFull, isWriteConflict } from './database.js';

describe('isDatabaseUnavailable', () => {
  it.each([
    [
      'a refused connection from pg',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED', syscall: 'connect', errno: -111 }),
    ],
    [
      'a server shutting down (57P01)',
      Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01', severity: 'FATAL' }),
    ],
    ['a server starting up (57P03)', Object.assign(new Error('the database system is starting up'), { code: '57P03' })],
    ['a connection exception (class 08)', Object.assign(new Error('connection failure'), { code: '08006' })],
    ['a connection lost mid-query', new Error('Connection terminated unexpectedly')],
    ['the pool timing out', new Error('timeout exceeded when trying to connect')],
    ['Prisma unable to reach the server', Object.assign(new Error("Can't reach database server"), { code: 'P1001' })],
    [
      'Prisma wrapping a driver adapter error',
      Object.assign(new Error('x'), { code: 'P2010', meta: { driverAdapterError: { cause: { kind: 'DatabaseNotReachable' } } } }),
    ],
    [
      'Prisma wrapping a shutdown',
      Object.assign(new Error('x'), { meta: { driverAdapterError: { cause: { kind: 'postgres', originalCode: '57P01' } } } }),
    ],
    ['an error caused by one', new Error('append failed', { cause: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }) })],
    [
      'an AggregateError of refused addresses',
      new AggregateError([Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })], 'connect failed'),
    ],
  ])('is true for %s', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['a unique violation', Object.assign(new Error('duplicate key'), { code: '23505' })],
    ['a syntax error', Object.assign(new Error('syntax error'), { code: '42601' })],
    [
      'Prisma wrapping a unique violation',
      Object.assign(new Error('x'), {
        code: 'P2002',
        meta: { driverAdapterError: { cause: { kind: 'UniqueConstraintViolation', originalCode: '23505' } } },
      }),
    ],
    ['a plain bug', new TypeError('cannot read properties of undefined')],
    ['no error at all', undefined],
  ])('is false for %s', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});

describe('isStorageFull', () => {
  it.each([
    [
      'a disk_full error (53100)',
      Object.assign(new Error('could not extend file "base/16384/16385": No space left on device'), { code: '53100' }),
    ],
    ['insufficient resources (53000)', Object.assign(new Error('could not write to file'), { code: '53000' })],
    [
      'Prisma wrapping a disk_full error',
      Object.assign(new Error('x'), {
        code: 'P2010',
        meta: { driverAdapterError: { cause: { kind: 'postgres', originalCode: '53100' } } },
      }),
    ],
    [
      'an ENOSPC message in a cause',
      new Error('append failed', { cause: new Error('could not write to file "pg_wal/xlogtemp.1": No space left on device') }),
    ],
  ])('is true for %s', (_name, error) => {
    expect(isStorageFull(error)).toBe(true);
  });

  it.each([
    ['too many connections (53300)', Object.assign(new Error('sorry, too many clients already'), { code: '53300' })],
    ['out of memory (53200)', Object.assign(new Error('out of memory'), { code: '53200' })],
    ['a unique violation', Object.assign(new Error('duplicate key'), { code: '23505' })],
    ['no error at all', undefined],
  ])('is false for %s', (_name, error) => {
    expect(isStorageFull(error)).toBe(false);
  });
});

describe('isWriteConflict', () => {
  it.each([
    ['a deadlock from pg (40P01)', Object.assign(new Error('deadlock detected'), { code: '40P01' })],
    ['a serialization failure from pg (40001)', Object.assign(new Error('could not serialize access'), { code: '40001' })],
    [
      'Prisma reporting a write conflict (P2034)',
      Object.assign(new Error('Transaction failed due to a write conflict or a deadlock'), { code: 'P2034' }),
    ],
    [
      'Prisma wrapping a driver adapter deadlock',
      Object.assign(new Error('x'), { meta: { driverAdapterError: { cause: { kind: 'postgres', originalCode: '40P01' } } } }),
    ],
    ['an error caused by one', new Error('delete failed', { cause: Object.assign(new Error('deadlock detected'), { code: '40P01' }) })],
  ])('is true for %s', (_name, error) => {
    expect(isWriteConflict(error)).toBe(true);
  });

  it.each([
    ['a unique violation', Object.assign(new Error('duplicate key'), { code: '23505' })],
    ['a lost connection', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
    ['a plain error', new Error('something else')],
  ])('is false for %s', (_name, error) => {
    expect(isWriteConflict(error)).toBe(false);
  });
});
