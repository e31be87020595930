import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkProjectionNames, ConfigError, DEVELOPMENT_DATA_KEY_SECRET, DEVELOPMENT_JWT_SECRET, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('defaults to port 4000 on 127.0.0.1 with the embedded database in ./data and the development JWT secret', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 4000,
      host: '127.0.0.1',
      databaseUrl: undefined,
      dataDir: path.resolve('data'),
      logLevel: 'info',
    });
    expect(config.jwt).toMatchObject({ secret: DEVELOPMENT_JWT_SECRET, isDevelopmentSecret: true });
  });

  it('reads every variable it knows', () => {
    const config = loadConfig({
      PORT: '5000',
      HOST: '0.0.0.0',
      DATABASE_URL: 'postgres://u:p@db:5432/orders',
      DATA_DIR: '/var/lib/os',
      JWT_SECRET: 'x'.repeat(32),
      JWT_ISSUER: 'iss',
      JWT_AUDIENCE: 'aud',
      LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({
      port: 5000,
      host: '0.0.0.0',
      databaseUrl: 'postgres://u:p@db:5432/orders',
      dataDir: '/var/lib/os',
      logLevel: 'debug',
    });
    expect(config.jwt).toEqual({ secret: 'x'.repeat(32), isDevelopmentSecret: false, issuer: 'iss', audience: 'aud' });
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '' })).toMatchObject({ port: 4000, databaseUrl: undefined });
  });

  it('names every bad variable with what is wrong with it', () => {
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x/y', LOG_LEVEL: 'loud', JWT_SECRET: 'short' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).toMatch(/^PORT: /m);
      expect(problems).toMatch(/^DATABASE_URL: must start with postgres:\/\//m);
      expect(problems).toMatch(/^LOG_LEVEL: /m);
      expect(problems).toMatch(/^JWT_SECRET: must be at least 32 characters/m);
    }
  });

  it('gives unpaid orders 1800 seconds by default, accepts 0 to turn payment deadlines off, and names a bad timeout', () => {
    expect(loadConfig({}).paymentTimeoutSeconds).toBe(1800);
    expect(loadConfig({ PAYMENT_TIMEOUT_SECONDS: '0' }).paymentTimeoutSeconds).toBe(0);
    expect(loadConfig({ PAYMENT_TIMEOUT_SECONDS: '20' }).paymentTimeoutSeconds).toBe(20);
    for (const bad of ['-1', '1.5', 'soon', '99999999999'])
      expect(() => loadConfig({ PAYMENT_TIMEOUT_SECONDS: bad })).toThrow(/^ {2}- PAYMENT_TIMEOUT_SECONDS: /m);
  });

  it('rejects a port out of range', () => {
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/PORT/);
  });

  it('runs the projections unless RUN_PROJECTIONS=false, and rejects other values', () => {
    expect(loadConfig({}).runProjections).toBe(true);
    expect(loadConfig({ RUN_PROJECTIONS: 'false' }).runProjections).toBe(false);
    expect(() => loadConfig({ RUN_PROJECTIONS: 'no' })).toThrow(/RUN_PROJECTIONS: must be true or false/);
  });

  it('runs every projection unless PROJECTIONS names some, and rejects an empty list or one beside RUN_PROJECTIONS=false', () => {
    expect(loadConfig({}).projections).toBeUndefined();
    expect(loadConfig({ PROJECTIONS: ' orders, search ,' }).projections).toEqual(['orders', 'search']);
    expect(() => loadConfig({ PROJECTIONS: ' , ' })).toThrow(/PROJECTIONS: must name at least one projection/);
    expect(() => loadConfig({ PROJECTIONS: 'orders', RUN_PROJECTIONS: 'false' })).toThrow(/PROJECTIONS: .*RUN_PROJECTIONS=false runs none/);
  });

  it('accepts PROJECTIONS naming projections of the service and names the unknown ones otherwise', () => {
    const known = ['orders', 'search', 'sales'];
    expect(() => checkProjectionNames(loadConfig({ PROJECTIONS: 'orders,sales' }), known)).not.toThrow();
    expect(() => checkProjectionNames(loadConfig({}), known)).not.toThrow();
    expect(() => checkProjectionNames(loadConfig({ PROJECTIONS: 'orders,serach,x' }), known)).toThrow(
      'PROJECTIONS: unknown projection "serach", "x"; the projections are orders, search, sales',
    );
  });

  it('keeps 10,000 order views in memory unless ORDER_CACHE_ENTRIES says otherwise (0 turns it off), and rejects a negative count', () => {
    expect(loadConfig({}).orderCacheEntries).toBe(10_000);
    expect(loadConfig({ ORDER_CACHE_ENTRIES: '0' }).orderCacheEntries).toBe(0);
    expect(() => loadConfig({ ORDER_CACHE_ENTRIES: '-1' })).toThrow(/ORDER_CACHE_ENTRIES/);
  });

  it('keeps 10,000 stream states in memory unless STATE_CACHE_STREAMS says otherwise (0 turns it off), and rejects a negative count', () => {
    expect(loadConfig({}).stateCacheStreams).toBe(10_000);
    expect(loadConfig({ STATE_CACHE_STREAMS: '0' }).stateCacheStreams).toBe(0);
    expect(() => loadConfig({ STATE_CACHE_STREAMS: '-1' })).toThrow(/STATE_CACHE_STREAMS/);
  });

  it('reads comma-separated replica URLs with a 5000 ms lag bound by default, and names a bad one by its place in the list', () => {
    expect(loadConfig({})).toMatchObject({ readDatabaseUrls: [], readReplicaMaxLagMs: 5_000 });
    expect(
      loadConfig({ READ_DATABASE_URLS: 'postgres://r1:5432/db, postgresql://r2:5433/db', READ_REPLICA_MAX_LAG_MS: '800' }),
    ).toMatchObject({
      readDatabaseUrls: ['postgres://r1:5432/db', 'postgresql://r2:5433/db'],
      readReplicaMaxLagMs: 800,
    });
    expect(() => loadConfig({ READ_DATABASE_URLS: 'postgres://r1:5432/db,mysql://r2/db' })).toThrow(
      /READ_DATABASE_URLS\.1: must start with postgres:\/\//,
    );
    expect(() => loadConfig({ READ_REPLICA_MAX_LAG_MS: 'soon' })).toThrow(/READ_REPLICA_MAX_LAG_MS/);
  });

  it('requires JWT_SECRET in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET: is required/);
  });

  it('requires DATA_KEY_SECRET in production, of at least 32 characters, and falls back to a flagged development secret otherwise', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) })).toThrow(/DATA_KEY_SECRET: is required/);
    expect(() => loadConfig({ DATA_KEY_SECRET: 'short' })).toThrow(/DATA_KEY_SECRET: must be at least 32 characters/);
    expect(loadConfig({}).dataKeys).toEqual({ secret: DEVELOPMENT_DATA_KEY_SECRET, isDevelopmentSecret: true });
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32), DATA_KEY_SECRET: 'k'.repeat(32) }).dataKeys).toEqual({
      secret: 'k'.repeat(32),
      isDevelopmentSecret: false,
    });
  });
});
