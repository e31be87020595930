import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import {
  ColumnTypeEnum,
  DriverAdapterError,
  bindMigrationAwareSqlAdapterFactory,
  type SqlMigrationAwareDriverAdapterFactory,
  type SqlQueryable,
} from '@prisma/driver-adapter-utils';
import type { SchemaEngine, SchemaFilter } from '@prisma/schema-engine-wasm/schema_engine_bg';
import pg from 'pg';

export type { SchemaEngine } from '@prisma/schema-engine-wasm/schema_engine_bg';

type EngineModule = typeof import('@prisma/schema-engine-wasm/schema_engine_bg');

/** No externally managed tables or enums: every migration command requires a filter. */
export const NO_FILTER: SchemaFilter = { externalTables: [], externalEnums: [] };

let engineModule: Promise<EngineModule> | undefined;

/**
 * Instantiates the wasm schema engine once per process.
 *
 * The package's own entry point `import`s the `.wasm` file as an ES module, which Node 20 only does
 * behind a flag, so we compile the bytes ourselves and hand the JS glue module in as its imports.
 */
function loadEngineModule(): Promise<EngineModule> {
  engineModule ??= (async () => {
    const glue = await import('@prisma/schema-engine-wasm/schema_engine_bg');
    const require = createRequire(import.meta.url);
    const wasmPath = join(dirname(require.resolve('@prisma/schema-engine-wasm/schema_engine_bg')), 'schema_engine_bg.wasm');
    const compiled = await WebAssembly.compile(await readFile(wasmPath));
    const instance = await WebAssembly.instantiate(compiled, {
      './schema_engine_bg.js': withUnrefTimers(glue) as unknown as WebAssembly.ModuleImports,
    });
    installPanicRegistry();
    const exports = instance.exports as unknown as { __wbindgen_start(): void };
    glue.__wbg_set_wasm(exports);
    exports.__wbindgen_start();
    return glue;
  })();
  return engineModule;
}

/**
 * The engine reports a Rust panic through this global before it traps; without it the report
 * itself fails with "Cannot read properties of undefined (reading 'set_message')" and the panic
 * message is lost. A panic escapes as an uncaught exception either way (the trap happens inside a
 * promise job, not in our await), so the message is all we can add. Prisma Client installs its own
 * registry with the same contract; whichever is there is kept.
 */
function installPanicRegistry(): void {
  const registry = globalThis as { PRISMA_WASM_PANIC_REGISTRY?: { set_message(m: string): void } };
  registry.PRISMA_WASM_PANIC_REGISTRY ??= {
    set_message(message) {
      throw new Error(`Prisma schema engine panicked: ${message}`);
    },
  };
}

/**
 * The engine arms a 10 s timeout around its advisory lock and never clears it (the glue imports
 * no clearTimeout), so an un-unref'd timer would keep every CLI run alive 10 s after its work is
 * done. The import's name carries a build hash, hence the prefix match.
 */
function withUnrefTimers(glue: EngineModule): Record<string, unknown> {
  const imports: Record<string, unknown> = { ...glue };
  for (const [name, fn] of Object.entries(glue)) {
    if (!name.startsWith('__wbg_setTimeout_') || typeof fn !== 'function') continue;
    imports[name] = (...args: unknown[]) => {
      const timer = (fn as (...a: unknown[]) => unknown)(...args);
      (timer as NodeJS.Timeout | undefined)?.unref?.();
      return timer;
    };
  }
  return imports;
}

/** OIDs of PostgreSQL's one-byte internal `"char"` type and of `text`. */
const CHAR_OID = 18;
const TEXT_OID = 25;

/**
 * A `pg` pool and a `PrismaPg` factory over it, patched for two gaps of adapter-pg 7.10.1 that
 * break the schema engine. The caller owns the pool and ends it.
 *
 * - `executeScript` splits the script on every `;`, so a migration with a function body (`$$ ...;
 *   ... $$`), or a `;` in a string or comment, fails with "unterminated dollar-quoted string". We
 *   send the whole script as one simple query instead, as the native engine does: PostgreSQL then
 *   runs it as one implicit transaction, so a failing migration leaves nothing half-applied.
 * - `"char"` columns: the engine's describer reads `pg_constraint.contype` as a Rust `char`, but
 *   the adapter maps no `"char"` type, so `diff` fails with "Column type 'char' could not be
 *   deserialized". Reporting it as text is not enough: PostgreSQL 18 lists NOT NULL constraints in
 *   pg_constraint and the engine then panics on "Getting constraint_type ... as char". So the
 *   pool's client reports `"char"` as text (which the adapter accepts), notes which columns of
 *   which SQL text they were, and those columns of the adapter's results become `Character`.
 */
function patchedPgAdapter(connectionString: string): {
  pool: pg.Pool;
  factory: SqlMigrationAwareDriverAdapterFactory;
} {
  // Keyed by SQL text: one statement always yields the same column types on one database.
  const charColumnsBySql = new Map<string, number[]>();

  const noteCharColumns = (sql: string | undefined, result: pg.QueryResult | undefined) => {
    const columns: number[] = [];
    result?.fields?.forEach((field, index) => {
      if (field.dataTypeID !== CHAR_OID) return;
      field.dataTypeID = TEXT_OID;
      columns.push(index);
    });
    if (sql !== undefined && columns.length > 0) charColumnsBySql.set(sql, columns);
    return result;
  };

  /** pg-pool calls `query` with a callback; the adapter's transactions await its promise. */
  class CharAsTextClient extends pg.Client {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    override query(...args: any[]): any {
      const sql: string | undefined = typeof args[0] === 'string' ? args[0] : args[0]?.text;
      const query = super.query as (...a: unknown[]) => unknown;
      const callbackAt = args.findIndex((arg) => typeof arg === 'function');
      if (callbackAt >= 0) {
        const callback = args[callbackAt];
        args[callbackAt] = (error: Error | null, result: pg.QueryResult) => callback(error, error ? result : noteCharColumns(sql, result));
        return query.apply(this, args);
      }
      const pending = query.apply(this, args);
      return pending instanceof Promise ? pending.then((result: pg.QueryResult) => noteCharColumns(sql, result)) : pending;
    }
  }

  const retypeCharColumns = <Q extends SqlQueryable>(queryable: Q): Q => {
    const queryRaw = queryable.queryRaw.bind(queryable);
    queryable.queryRaw = async (query) => {
      const result = await queryRaw(query);
      for (const index of charColumnsBySql.get(query.sql) ?? []) {
        result.columnTypes[index] = ColumnTypeEnum.Character;
      }
      return result;
    };
    return queryable;
  };

  const executeWholeScript = async (script: string) => {
    try {
      await pool.query(script);
    } catch (error) {
      if (!(error instanceof pg.DatabaseError)) throw error;
      // The shape adapter-pg gives a PostgreSQL error, so the engine reports it the same way.
      throw new DriverAdapterError({
        kind: 'postgres',
        code: error.code ?? 'N/A',
        severity: error.severity ?? 'N/A',
        message: error.message,
        detail: error.detail,
        column: error.column,
        hint: error.hint,
      });
    }
  };

  const pool = new pg.Pool({ connectionString, Client: CharAsTextClient });
  const pgFactory = new PrismaPg(pool);
  const factory: SqlMigrationAwareDriverAdapterFactory = {
    provider: pgFactory.provider,
    adapterName: pgFactory.adapterName,
    async connect() {
      const adapter = retypeCharColumns(await pgFactory.connect());
      const startTransaction = adapter.startTransaction.bind(adapter);
      adapter.startTransaction = async (isolationLevel) => retypeCharColumns(await startTransaction(isolationLevel));
      adapter.executeScript = executeWholeScript;
      return adapter;
    },
    // Only `diff` from migrations and `migrate dev` commands ask for one; we pass shadow databases
    // explicitly (see diffMigration), so reaching this is a programming error.
    connectToShadowDb() {
      throw new Error('withSchemaEngine does not provide a shadow database; pass one explicitly');
    },
  };
  return { pool, factory };
}

/**
 * Runs `fn` with a wasm schema engine connected to `connectionString` through the `pg` driver
 * adapter, then frees the engine and closes its connections, even when `fn` throws.
 *
 * @param connectionString PostgreSQL URL of the database the engine works on.
 * @param fn Work to do with the engine; its result is returned.
 */
export function withSchemaEngine<T>(connectionString: string, fn: (engine: SchemaEngine) => Promise<T>): Promise<T> {
  // One engine at a time per process: two engines working at once in the shared wasm instance
  // crashed it (seen when two test projects migrated their databases in parallel).
  const run = engineQueue.then(() => runWithSchemaEngine(connectionString, fn));
  engineQueue = run.then(
    () => undefined,
    () => undefined,
  );
  return run;
}

let engineQueue: Promise<void> = Promise.resolve();

async function runWithSchemaEngine<T>(connectionString: string, fn: (engine: SchemaEngine) => Promise<T>): Promise<T> {
  const { SchemaEngine } = await loadEngineModule();
  // We own the pool because engine.free() never disposes the adapter: its idle connections would
  // linger (holding the process open for pg's 10 s idle timeout) and keep the database in use.
  const { pool, factory } = patchedPgAdapter(connectionString);
  try {
    const adapter = bindMigrationAwareSqlAdapterFactory(factory);
    // The callback receives the engine's log lines; they only repeat what errors already say.
    const engine = await SchemaEngine.new({ datamodels: undefined }, () => {}, adapter);
    try {
      return await fn(engine);
    } finally {
      engine.free();
    }
  } finally {
    await pool.end();
  }
}
