/* Frozen migration: the paper-trading engine's columns and tables. Never edit after release.
 * Money is a decimal string rounded to 1e-8 USDT; the *_units integer columns hold the same
 * amount in 1e-8 USDT so that SQL can sum it exactly. Times are epoch ms; `day` is the epoch ms
 * of a UTC midnight. */
import { sql, type Kysely } from 'kysely';

const SIGNAL_COLUMNS: Array<[string, 'text' | 'integer' | 'real', string | null]> = [
  ['signal_id', 'text', null],
  ['portfolio_id', 'integer', null],
  ['status', 'text', 'recorded'],
  ['reason_code', 'text', null],
  ['reason', 'text', null],
  ['decision', 'text', null],
  ['position_id', 'integer', null],
  ['timeframe', 'text', null],
  ['technical_score', 'real', null],
  ['sentiment_score', 'real', null],
];

const POSITION_COLUMNS: Array<[string, 'text' | 'integer', string | null]> = [
  ['signal_id', 'integer', null],
  ['leverage', 'text', '1'],
  ['margin', 'text', '0'],
  ['entry_notional', 'text', '0'],
  ['entry_fee', 'text', '0'],
  ['liquidation_price', 'text', null],
  ['last_evaluated_at', 'integer', null],
  ['exit_price', 'text', null],
  ['exit_reason', 'text', null],
  ['realized_pnl', 'text', null],
  ['realized_units', 'integer', null],
  ['funding_paid', 'text', '0'],
];

const TRADE_COLUMNS: Array<[string, 'text' | 'integer', string | number]> = [
  ['notional', 'text', '0'],
  ['pnl_units', 'integer', 0],
  ['fee_units', 'integer', 0],
];

async function addColumns(db: Kysely<any>, table: string, columns: Array<[string, 'text' | 'integer' | 'real', string | number | null]>): Promise<void> {
  for (const [name, type, dflt] of columns) {
    await db.schema
      .alterTable(table)
      .addColumn(name, type, (c) => (dflt === null ? c : c.notNull().defaultTo(dflt)))
      .execute();
  }
}

async function dropColumns(db: Kysely<any>, table: string, columns: Array<[string, unknown, unknown]>): Promise<void> {
  for (const [name] of [...columns].reverse()) await db.schema.alterTable(table).dropColumn(name).execute();
}

export async function up(db: Kysely<any>): Promise<void> {
  await addColumns(db, 'movers_signals', SIGNAL_COLUMNS);
  await addColumns(db, 'paper_positions', POSITION_COLUMNS);
  await addColumns(db, 'paper_trades', TRADE_COLUMNS);

  // Idempotency: a client signal id is stored once, whatever the code does.
  await db.schema.createIndex('movers_signals_signal_id').on('movers_signals').column('signal_id').unique().execute();
  await db.schema.createIndex('movers_signals_portfolio_status').on('movers_signals').columns(['portfolio_id', 'status', 'id']).execute();
  // One open position per symbol and portfolio.
  await db.schema
    .createIndex('paper_positions_one_open_per_symbol')
    .on('paper_positions')
    .columns(['portfolio_id', 'symbol'])
    .unique()
    .where(sql.ref('status'), '=', 'open')
    .execute();
  await db.schema.createIndex('paper_positions_portfolio_closed').on('paper_positions').columns(['portfolio_id', 'closed_at']).execute();
  await db.schema.createIndex('paper_trades_position').on('paper_trades').column('position_id').execute();

  // Daily roll-ups of the trade log (derived data, kept in the booking transaction; rebuildable):
  // what the P&L report reads, so that it costs the same over 100 trades or 100,000.
  await db.schema
    .createTable('paper_pnl_daily')
    .addColumn('portfolio_id', 'integer', (c) => c.notNull().references('paper_portfolios.id').onDelete('cascade'))
    .addColumn('day', 'integer', (c) => c.notNull())
    .addColumn('symbol', 'text', (c) => c.notNull())
    .addColumn('pnl_units', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('fee_units', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('funding_units', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('closed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('wins', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('losses', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('win_units', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('loss_units', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('paper_pnl_daily_pk', ['portfolio_id', 'day', 'symbol'])
    .execute();
  await db.schema
    .createTable('paper_balance_daily')
    .addColumn('portfolio_id', 'integer', (c) => c.notNull().references('paper_portfolios.id').onDelete('cascade'))
    .addColumn('day', 'integer', (c) => c.notNull())
    .addColumn('open', 'text', (c) => c.notNull())
    .addColumn('high', 'text', (c) => c.notNull())
    .addColumn('low', 'text', (c) => c.notNull())
    .addColumn('close', 'text', (c) => c.notNull())
    .addColumn('drawdown', 'text', (c) => c.notNull())
    .addColumn('drawdown_pct', 'real', (c) => c.notNull())
    .addPrimaryKeyConstraint('paper_balance_daily_pk', ['portfolio_id', 'day'])
    .execute();

  // The desk-wide halt switch: one row, persisted, checked before every entry.
  await db.schema
    .createTable('trading_halt')
    .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
    .addColumn('halted', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('reason', 'text')
    .addColumn('updated_at', 'integer', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('trading_halt').execute();
  await db.schema.dropTable('paper_balance_daily').execute();
  await db.schema.dropTable('paper_pnl_daily').execute();
  for (const index of [
    'paper_trades_position',
    'paper_positions_portfolio_closed',
    'paper_positions_one_open_per_symbol',
    'movers_signals_portfolio_status',
    'movers_signals_signal_id',
  ]) {
    await db.schema.dropIndex(index).execute();
  }
  await dropColumns(db, 'paper_trades', TRADE_COLUMNS);
  await dropColumns(db, 'paper_positions', POSITION_COLUMNS);
  await dropColumns(db, 'movers_signals', SIGNAL_COLUMNS);
}
