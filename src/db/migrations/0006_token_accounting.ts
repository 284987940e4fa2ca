/* Frozen migration: token accounting. `token_usage` becomes one row per model request (message id)
 * with both prices of it: `cost_usd` stays the figure every report and spend cap sums (the SDK's
 * cost when it reported one, else our estimate), `estimated_cost_usd` is our estimate from the
 * configured prices and `sdk_cost_usd` the SDK's own share (null when it reported none). A row also
 * names the agent run, scan cycle and signal it served. `token_sessions` gains cache tokens, the
 * estimate and a run count. `published_rate_limits` holds the last rate-limit table read by
 * `fetch-limits`. Money is a decimal string; times are epoch ms. Never edit after release; add a
 * new file. */
import { sql, type Kysely } from 'kysely';

const USAGE_COLUMNS: Array<[string, 'text' | 'integer', string | number | null]> = [
  ['request_count', 'integer', 1],
  ['estimated_cost_usd', 'text', '0'],
  ['sdk_cost_usd', 'text', null],
  ['run_id', 'text', null],
  ['cycle_id', 'text', null],
  ['signal_id', 'text', null],
  ['signal_row_id', 'integer', null],
];

const SESSION_COLUMNS: Array<[string, 'text' | 'integer', string | number]> = [
  ['cache_read_tokens', 'integer', 0],
  ['cache_write_tokens', 'integer', 0],
  ['estimated_cost_usd', 'text', '0'],
  ['runs', 'integer', 0],
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const [name, type, dflt] of USAGE_COLUMNS) {
    await db.schema
      .alterTable('token_usage')
      .addColumn(name, type, (c) => (dflt === null ? c : c.notNull().defaultTo(dflt)))
      .execute();
  }
  // Rows written before this migration were priced one way only: that price is their estimate too.
  await sql`update token_usage set estimated_cost_usd = cost_usd`.execute(db);
  await db.schema.createIndex('token_usage_run').on('token_usage').column('run_id').execute();
  await db.schema.createIndex('token_usage_session').on('token_usage').column('session_id').execute();

  for (const [name, type, dflt] of SESSION_COLUMNS) {
    await db.schema
      .alterTable('token_sessions')
      .addColumn(name, type, (c) => c.notNull().defaultTo(dflt))
      .execute();
  }
  await db.schema.createIndex('token_sessions_activity').on('token_sessions').column('last_activity_at').execute();

  await db.schema
    .createTable('published_rate_limits')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('fetched_at', 'integer', (c) => c.notNull())
    .addColumn('source_url', 'text', (c) => c.notNull())
    .addColumn('tier', 'text')
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('requests_per_minute', 'integer')
    .addColumn('input_tokens_per_minute', 'integer')
    .addColumn('output_tokens_per_minute', 'integer')
    .addColumn('tokens_per_minute', 'integer')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('published_rate_limits').execute();
  await db.schema.dropIndex('token_sessions_activity').execute();
  for (const [name] of [...SESSION_COLUMNS].reverse()) await db.schema.alterTable('token_sessions').dropColumn(name).execute();
  await db.schema.dropIndex('token_usage_session').execute();
  await db.schema.dropIndex('token_usage_run').execute();
  for (const [name] of [...USAGE_COLUMNS].reverse()) await db.schema.alterTable('token_usage').dropColumn(name).execute();
}
