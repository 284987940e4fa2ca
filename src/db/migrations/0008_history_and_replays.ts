/* Frozen migration: stored market history for replays, and the index of replays.
 * - history_candles: closed candles per symbol and timeframe (open time, epoch ms; prices and base
 *   volume as plain numbers, the way the exchange sends them).
 * - history_funding: settled funding rates; history_open_interest: hourly open interest (base units,
 *   and quote value when the exchange gives it); history_long_short: hourly share of accounts net long.
 * - history_coverage: the time ranges [from_ms, to_ms) already asked of the exchange per symbol and
 *   kind, so a second download of the same window sends nothing, and gaps inside them are real.
 * - history_markets: the market description (tick size, steps, minimums) each symbol was replayed with.
 * - replay_runs: one row per replay: its parameters, its own database file, status and report.
 * Never edit after release; add a new file. */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create table history_candles (
    symbol text not null, timeframe text not null, time integer not null,
    open real not null, high real not null, low real not null, close real not null, volume real not null,
    primary key (symbol, timeframe, time)) without rowid`.execute(db);
  await sql`create table history_funding (symbol text not null, time integer not null, rate real not null, primary key (symbol, time)) without rowid`.execute(
    db,
  );
  await sql`create table history_open_interest (symbol text not null, time integer not null, amount real not null, value real, primary key (symbol, time)) without rowid`.execute(
    db,
  );
  await sql`create table history_long_short (symbol text not null, time integer not null, long_share real not null, primary key (symbol, time)) without rowid`.execute(
    db,
  );
  await db.schema
    .createTable('history_coverage')
    .addColumn('symbol', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('from_ms', 'integer', (c) => c.notNull())
    .addColumn('to_ms', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('history_coverage_key').on('history_coverage').columns(['symbol', 'kind']).execute();
  await db.schema
    .createTable('history_markets')
    .addColumn('symbol', 'text', (c) => c.primaryKey())
    .addColumn('info', 'text', (c) => c.notNull())
    .addColumn('fetched_at', 'integer', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('replay_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .addColumn('finished_at', 'integer')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('analyst', 'text', (c) => c.notNull())
    .addColumn('from_ms', 'integer', (c) => c.notNull())
    .addColumn('to_ms', 'integer', (c) => c.notNull())
    .addColumn('params', 'text', (c) => c.notNull())
    .addColumn('db_path', 'text', (c) => c.notNull())
    .addColumn('report', 'text')
    .addColumn('error', 'text')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'replay_runs',
    'history_markets',
    'history_coverage',
    'history_long_short',
    'history_open_interest',
    'history_funding',
    'history_candles',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
