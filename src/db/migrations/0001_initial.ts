/* Frozen migration: the original system's tables. Never edit after release; add a new file.
 * Money and quantities are decimal strings (TEXT); times are epoch milliseconds (INTEGER). */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('agent_sessions')
    .addColumn('operation_type', 'text', (c) => c.primaryKey())
    .addColumn('session_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .addColumn('last_used_at', 'integer', (c) => c.notNull())
    .addColumn('metadata', 'text')
    .execute();

  await db.schema
    .createTable('paper_portfolios')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('starting_balance', 'text', (c) => c.notNull())
    .addColumn('cash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'integer', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('movers_signals')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .addColumn('symbol', 'text', (c) => c.notNull())
    .addColumn('direction', 'text', (c) => c.notNull().check(sql`direction in ('long', 'short')`))
    .addColumn('confidence', 'integer', (c) => c.notNull())
    .addColumn('entry_price', 'text', (c) => c.notNull())
    .addColumn('stop_loss', 'text', (c) => c.notNull())
    .addColumn('take_profit', 'text', (c) => c.notNull())
    .addColumn('analysis', 'text', (c) => c.notNull().defaultTo(''))
    .execute();
  await db.schema.createIndex('movers_signals_symbol_time').on('movers_signals').columns(['symbol', 'created_at']).execute();

  await db.schema
    .createTable('paper_positions')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('portfolio_id', 'integer', (c) => c.notNull().references('paper_portfolios.id').onDelete('cascade'))
    .addColumn('symbol', 'text', (c) => c.notNull())
    .addColumn('direction', 'text', (c) => c.notNull().check(sql`direction in ('long', 'short')`))
    .addColumn('entry_price', 'text', (c) => c.notNull())
    .addColumn('quantity', 'text', (c) => c.notNull())
    .addColumn('stop_loss', 'text')
    .addColumn('take_profit', 'text')
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('open', 'closed')`))
    .addColumn('opened_at', 'integer', (c) => c.notNull())
    .addColumn('closed_at', 'integer')
    .execute();
  await db.schema.createIndex('paper_positions_portfolio_status').on('paper_positions').columns(['portfolio_id', 'status']).execute();

  await db.schema
    .createTable('paper_trades')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('portfolio_id', 'integer', (c) => c.notNull().references('paper_portfolios.id').onDelete('cascade'))
    .addColumn('position_id', 'integer', (c) => c.references('paper_positions.id').onDelete('cascade'))
    .addColumn('symbol', 'text', (c) => c.notNull())
    .addColumn('trade_type', 'text', (c) => c.notNull())
    .addColumn('price', 'text', (c) => c.notNull())
    .addColumn('quantity', 'text', (c) => c.notNull())
    .addColumn('fee', 'text', (c) => c.notNull().defaultTo('0'))
    .addColumn('pnl', 'text', (c) => c.notNull().defaultTo('0'))
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('paper_trades_portfolio_time').on('paper_trades').columns(['portfolio_id', 'created_at']).execute();

  await db.schema
    .createTable('token_usage')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('session_id', 'text')
    .addColumn('operation_type', 'text', (c) => c.notNull())
    .addColumn('model', 'text')
    .addColumn('tokens_input', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('tokens_output', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('cost_usd', 'text', (c) => c.notNull().defaultTo('0'))
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('token_usage_time').on('token_usage').column('created_at').execute();

  await db.schema
    .createTable('token_sessions')
    .addColumn('session_id', 'text', (c) => c.primaryKey())
    .addColumn('operation_type', 'text', (c) => c.notNull())
    .addColumn('started_at', 'integer', (c) => c.notNull())
    .addColumn('last_activity_at', 'integer', (c) => c.notNull())
    .addColumn('request_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('tokens_input', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('tokens_output', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('cost_usd', 'text', (c) => c.notNull().defaultTo('0'))
    .execute();

  await db.schema
    .createTable('rate_limit_tracking')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('window_type', 'text', (c) => c.notNull().check(sql`window_type in ('hourly', 'daily')`))
    .addColumn('window_start', 'integer', (c) => c.notNull())
    .addColumn('request_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('token_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addUniqueConstraint('rate_limit_tracking_window', ['window_type', 'window_start'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'rate_limit_tracking',
    'token_sessions',
    'token_usage',
    'paper_trades',
    'paper_positions',
    'movers_signals',
    'paper_portfolios',
    'agent_sessions',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
