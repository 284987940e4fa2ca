/* Frozen migration: the market-movers scanner's bookkeeping. One `scan_cycles` row per cycle (its
 * metrics once it ends) and one `scan_cycle_movers` row per mover the cycle took on (what the
 * analyst concluded, the signal it led to, the error code, tokens and cost). Money is a decimal
 * string; times are epoch ms. Never edit after release; add a new file. */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('scan_cycles')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('started_at', 'integer', (c) => c.notNull())
    .addColumn('heartbeat_at', 'integer', (c) => c.notNull())
    .addColumn('finished_at', 'integer')
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('running', 'completed', 'stopped', 'failed')`))
    .addColumn('analyst', 'text', (c) => c.notNull())
    .addColumn('daily', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('portfolio', 'text', (c) => c.notNull())
    .addColumn('params', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('scanned', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('movers_found', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('movers_held', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('analysed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('signals', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('executed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('rejected', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('recorded', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('no_signal', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('errors', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('skipped', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('rejected_by_code', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('errors_by_code', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('positions_closed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('duration_ms', 'integer')
    .addColumn('tokens_input', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('tokens_output', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('cache_read_tokens', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('cache_write_tokens', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('cost_usd', 'text', (c) => c.notNull().defaultTo('0'))
    .addColumn('stop_code', 'text')
    .addColumn('stop_reason', 'text')
    .execute();
  await db.schema.createIndex('scan_cycles_started').on('scan_cycles').column('started_at').execute();

  await db.schema
    .createTable('scan_cycle_movers')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('cycle_id', 'text', (c) => c.notNull().references('scan_cycles.id').onDelete('cascade'))
    .addColumn('symbol', 'text', (c) => c.notNull())
    .addColumn('rank', 'integer', (c) => c.notNull())
    .addColumn('change_24h_pct', 'real', (c) => c.notNull())
    .addColumn('last_price', 'real', (c) => c.notNull())
    .addColumn('turnover_24h_usd', 'real', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull().check(sql`outcome in ('pending', 'executed', 'rejected', 'recorded', 'no_signal', 'error', 'skipped')`))
    .addColumn('code', 'text')
    .addColumn('reason', 'text')
    .addColumn('analyst', 'text', (c) => c.notNull())
    .addColumn('signal_id', 'text', (c) => c.notNull())
    .addColumn('signal_row_id', 'integer')
    .addColumn('direction', 'text')
    .addColumn('confidence', 'integer')
    .addColumn('replayed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('session_id', 'text')
    .addColumn('turns', 'integer')
    .addColumn('tokens_input', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('tokens_output', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('cache_read_tokens', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('cache_write_tokens', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('cost_usd', 'text', (c) => c.notNull().defaultTo('0'))
    .addColumn('duration_ms', 'integer')
    .addColumn('started_at', 'integer')
    .addColumn('finished_at', 'integer')
    .addUniqueConstraint('scan_cycle_movers_cycle_symbol', ['cycle_id', 'symbol'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('scan_cycle_movers').execute();
  await db.schema.dropIndex('scan_cycles_started').execute();
  await db.schema.dropTable('scan_cycles').execute();
}
