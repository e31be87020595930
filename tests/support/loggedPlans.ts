import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';

/**
 * PostgreSQL settings that log the plan of every statement a session runs once
 * `auto_explain.log_min_duration` is 0 for it (statements inside functions included), as JSON
 * lines in the data directory's `log` folder, readable by the test's user.
 */
export const PLAN_LOGGING = {
  shared_preload_libraries: 'auto_explain',
  logging_collector: 'on',
  log_destination: 'jsonlog',
  log_file_mode: '0644',
  'auto_explain.log_format': 'json',
  'auto_explain.log_nested_statements': 'on',
};

/** One logged plan: the statement's text and every node of its plan. */
export interface LoggedPlan {
  query: string;
  nodes: PlanNode[];
}

export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

/** From now on, every new session on `database` has the plan of each of its statements logged. */
export async function logPlansOf(admin: pg.Client, database: string): Promise<void> {
  await admin.query(`ALTER DATABASE ${database} SET auto_explain.log_min_duration = 0`);
}

/** Every plan logged so far for statements run on `database`. */
export async function loggedPlans(admin: pg.Client, database: string): Promise<LoggedPlan[]> {
  const { rows } = await admin.query<{ dir: string }>(
    "SELECT current_setting('data_directory') || '/' || current_setting('log_directory') AS dir",
  );
  const dir = rows[0]!.dir;
  const plans: LoggedPlan[] = [];
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.json')).sort()) {
    for (const line of (await readFile(path.join(dir, file), 'utf8')).split('\n')) {
      if (!line.includes('plan:')) continue;
      const entry = JSON.parse(line) as { dbname?: string; message: string };
      if (entry.dbname !== database) continue;
      const json = entry.message.slice(entry.message.indexOf('plan:') + 'plan:'.length);
      const explained = JSON.parse(json) as { 'Query Text': string; Plan: PlanNode };
      plans.push({ query: explained['Query Text'], nodes: flatten(explained.Plan) });
    }
  }
  return plans;
}

function flatten(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(flatten)];
}
