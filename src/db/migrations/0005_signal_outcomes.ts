/* Frozen migration: what the market did after each stored signal (src/outcomes). One row per
 * signal, written by the outcome evaluator: `pending` rows carry the progress (candles read up to
 * `evaluated_until`, the best and worst price so far) so that each run reads only new candles;
 * decided rows (take_profit, stop_loss, expired, invalid, no_data) are final and never rewritten.
 * Prices are decimal strings; R multiples are plain numbers (ratios, not money); times are epoch ms.
 * Never edit after release; add a new file. */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('signal_outcomes')
    .addColumn('signal_row_id', 'integer', (c) => c.primaryKey().references('movers_signals.id').onDelete('cascade'))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending', 'take_profit', 'stop_loss', 'expired', 'invalid', 'no_data')`))
    .addColumn('horizon_end', 'integer', (c) => c.notNull())
    .addColumn('evaluated_until', 'integer')
    .addColumn('timeframe', 'text')
    .addColumn('best_price', 'text')
    .addColumn('worst_price', 'text')
    .addColumn('last_close', 'text')
    .addColumn('mfe_r', 'real', (c) => c.notNull().defaultTo(0))
    .addColumn('mae_r', 'real', (c) => c.notNull().defaultTo(0))
    .addColumn('result_r', 'real')
    .addColumn('exit_price', 'text')
    .addColumn('gap', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('decided_at', 'integer')
    .addColumn('time_to_hit_ms', 'integer')
    .addColumn('candles_read', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('signal_outcomes_status').on('signal_outcomes').columns(['status', 'updated_at']).execute();
  // The scorecard joins scanner movers to signals by their deterministic signal_id.
  await db.schema.createIndex('scan_cycle_movers_signal_id').on('scan_cycle_movers').column('signal_id').execute();
  await db.schema.createIndex('movers_signals_created').on('movers_signals').column('created_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('movers_signals_created').execute();
  await db.schema.dropIndex('scan_cycle_movers_signal_id').execute();
  await db.schema.dropIndex('signal_outcomes_status').execute();
  await db.schema.dropTable('signal_outcomes').execute();
}
