/** get_signal_history and `cctrader signals`: stored signals, newest first, with what became of
 * them (the decision, and the position's outcome when one was opened). Reads only the database. */
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import { AppError } from '../errors.js';
import { num, toDec, usd } from '../trading/money.js';
import { findPortfolio } from '../portfolio/portfolios.js';
import { symbolForms } from '../market/symbols.js';

import { SIGNAL_STATUSES, type SignalStatusFilter } from './statuses.js';

export { SIGNAL_STATUSES, type SignalStatusFilter };

export type SignalHistoryItem = {
  id: number;
  signalId: string | null;
  at: string;
  symbol: string;
  direction: 'long' | 'short';
  confidence: number;
  entry: number;
  stopLoss: number;
  takeProfit: number;
  status: string;
  code: string | null;
  reason: string | null;
  /** The position the signal opened: open, or closed with its exit reason and net P&L. */
  position: { id: number; state: 'open' | 'closed'; exitReason: string | null; exitPrice: number | null; realizedPnl: number | null } | null;
};

export interface SignalHistoryOptions {
  symbol?: string | undefined;
  status?: SignalStatusFilter | undefined;
  portfolio?: string | undefined;
  limit?: number | undefined;
}

export async function getSignalHistory(db: Kysely<DB>, options: SignalHistoryOptions = {}): Promise<{ items: SignalHistoryItem[]; hasMore: boolean }> {
  const limit = options.limit ?? 10;
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new AppError('INVALID_INPUT', 'limit is 1-100');
  let query = db
    .selectFrom('movers_signals as s')
    .leftJoin('paper_positions as p', 'p.id', 's.position_id')
    .select([
      's.id',
      's.signal_id',
      's.created_at',
      's.symbol',
      's.direction',
      's.confidence',
      's.entry_price',
      's.stop_loss',
      's.take_profit',
      's.status',
      's.reason_code',
      's.reason',
      'p.id as position_id',
      'p.status as position_status',
      'p.exit_reason',
      'p.exit_price',
      'p.realized_pnl',
    ])
    .orderBy('s.id', 'desc')
    .limit(limit + 1);
  if (options.symbol) query = query.where('s.symbol', 'in', symbolForms(options.symbol));
  if (options.status) query = query.where('s.status', '=', options.status);
  if (options.portfolio) {
    const portfolio = await findPortfolio(db, options.portfolio);
    if (!portfolio) throw new AppError('NOT_FOUND', `No portfolio named ${options.portfolio}`, { hint: 'list them with `cctrader portfolio list`' });
    query = query.where('s.portfolio_id', '=', portfolio.id);
  }
  const rows = await query.execute();
  return {
    hasMore: rows.length > limit,
    items: rows.slice(0, limit).map((r) => ({
      id: r.id,
      signalId: r.signal_id,
      at: new Date(r.created_at).toISOString(),
      symbol: r.symbol,
      direction: r.direction,
      confidence: r.confidence,
      entry: num(toDec(r.entry_price)),
      stopLoss: num(toDec(r.stop_loss)),
      takeProfit: num(toDec(r.take_profit)),
      status: r.status,
      code: r.reason_code,
      reason: r.reason,
      position:
        r.position_id === null
          ? null
          : {
              id: r.position_id,
              state: r.position_status ?? 'open',
              exitReason: r.exit_reason,
              exitPrice: r.exit_price === null ? null : num(toDec(r.exit_price)),
              realizedPnl: r.realized_pnl === null ? null : usd(toDec(r.realized_pnl)),
            },
    })),
  };
}
