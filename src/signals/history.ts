/** get_signal_history and `cctrader signals`: stored signals, newest first, with what became of
 * them (the decision, and the position's outcome when one was opened). Reads only the database. */
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import { AppError } from '../errors.js';
import { num, toDec, usd } from '../shared/money.js';
import { findPortfolio } from '../trading/portfolios.js';
import { symbolForms } from '../market/symbols.js';
import { cutAtWord } from '../shared/text.js';

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
  /** The analysis behind the signal (the model's or the rules analyst's reasoning), whole or cut. */
  analysis: string;
  /** Present (true) when `analysis` was cut to the requested length. */
  analysisCut?: true;
  /** The position the signal opened: open, or closed with its exit reason and net P&L. */
  position: { id: number; state: 'open' | 'closed'; exitReason: string | null; exitPrice: number | null; realizedPnl: number | null } | null;
};

export interface SignalHistoryOptions {
  symbol?: string | undefined;
  status?: SignalStatusFilter | undefined;
  portfolio?: string | undefined;
  limit?: number | undefined;
  /** Cut each analysis to this many characters (at a word boundary, flagged); whole when absent. */
  analysisChars?: number | undefined;
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
      's.analysis',
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
      ...analysisOf(r.analysis, options.analysisChars),
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

function analysisOf(text: string, max: number | undefined): { analysis: string; analysisCut?: true } {
  return max === undefined || text.length <= max ? { analysis: text } : { analysis: cutAtWord(text, max), analysisCut: true };
}

export interface SignalDetail {
  id: number;
  signalId: string | null;
  at: string;
  portfolio: string | null;
  symbol: string;
  direction: 'long' | 'short';
  confidence: number;
  entry: number;
  stopLoss: number;
  takeProfit: number;
  timeframe: string | null;
  technicalScore: number | null;
  sentimentScore: number | null;
  status: string;
  code: string | null;
  reason: string | null;
  /** The decision as stored: the numbers behind it, the clamps and the fill (null before one was taken). */
  decision: { numbers: Record<string, unknown>; clamps: unknown[]; fill: Record<string, unknown> | null } | null;
  analysis: string;
  position: {
    id: number;
    state: 'open' | 'closed';
    entryPrice: number;
    quantity: number;
    openedAt: string;
    closedAt: string | null;
    exitReason: string | null;
    exitPrice: number | null;
    realizedPnl: number | null;
  } | null;
}

/** One signal whole: levels, decision, reason code, analysis and the outcome of its position. */
export async function getSignal(db: Kysely<DB>, id: number): Promise<SignalDetail> {
  const r = await db
    .selectFrom('movers_signals as s')
    .leftJoin('paper_positions as p', 'p.id', 's.position_id')
    .leftJoin('paper_portfolios as f', 'f.id', 's.portfolio_id')
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
      's.timeframe',
      's.technical_score',
      's.sentiment_score',
      's.status',
      's.reason_code',
      's.reason',
      's.decision',
      's.analysis',
      'f.name as portfolio',
      'p.id as position_id',
      'p.status as position_status',
      'p.entry_price as position_entry',
      'p.quantity',
      'p.opened_at',
      'p.closed_at',
      'p.exit_reason',
      'p.exit_price',
      'p.realized_pnl',
    ])
    .where('s.id', '=', id)
    .executeTakeFirst();
  if (!r) throw new AppError('NOT_FOUND', `No signal with id ${id}`, { hint: '`cctrader signals` lists the recent ones with their ids' });
  const decision =
    r.decision === null ? null : (JSON.parse(r.decision) as { numbers?: Record<string, unknown>; clamps?: unknown[]; fill?: Record<string, unknown> | null });
  return {
    id: r.id,
    signalId: r.signal_id,
    at: new Date(r.created_at).toISOString(),
    portfolio: r.portfolio,
    symbol: r.symbol,
    direction: r.direction,
    confidence: r.confidence,
    entry: num(toDec(r.entry_price)),
    stopLoss: num(toDec(r.stop_loss)),
    takeProfit: num(toDec(r.take_profit)),
    timeframe: r.timeframe,
    technicalScore: r.technical_score,
    sentimentScore: r.sentiment_score,
    status: r.status,
    code: r.reason_code,
    reason: r.reason,
    decision: decision ? { numbers: decision.numbers ?? {}, clamps: decision.clamps ?? [], fill: decision.fill ?? null } : null,
    analysis: r.analysis,
    position:
      r.position_id === null
        ? null
        : {
            id: r.position_id,
            state: r.position_status ?? 'open',
            entryPrice: num(toDec(r.position_entry ?? r.entry_price)),
            quantity: toDec(r.quantity ?? '0').toNumber(),
            openedAt: new Date(r.opened_at ?? r.created_at).toISOString(),
            closedAt: r.closed_at === null ? null : new Date(r.closed_at).toISOString(),
            exitReason: r.exit_reason,
            exitPrice: r.exit_price === null ? null : num(toDec(r.exit_price)),
            realizedPnl: r.realized_pnl === null ? null : usd(toDec(r.realized_pnl)),
          },
  };
}

export interface ExecutedSignal {
  signalId: number;
  symbol: string;
  direction: 'long' | 'short';
  confidence: number;
  positionId: number;
  /** The fill: price (7 significant digits), quantity, entry fee. */
  price: number;
  quantity: number;
  fee: number;
  stopLoss: number | null;
  takeProfit: number | null;
}

/** The executed signals (oldest first) with the fills of the positions they opened. */
export async function executedSignals(db: Kysely<DB>): Promise<ExecutedSignal[]> {
  const rows = await db
    .selectFrom('movers_signals as s')
    .innerJoin('paper_positions as p', 'p.id', 's.position_id')
    .select([
      's.id',
      's.symbol',
      's.direction',
      's.confidence',
      'p.id as position_id',
      'p.entry_price',
      'p.quantity',
      'p.entry_fee',
      'p.stop_loss',
      'p.take_profit',
    ])
    .where('s.status', '=', 'executed')
    .orderBy('s.id')
    .execute();
  return rows.map((r) => ({
    signalId: r.id,
    symbol: r.symbol,
    direction: r.direction,
    confidence: r.confidence,
    positionId: r.position_id,
    price: num(toDec(r.entry_price)),
    quantity: toDec(r.quantity).toNumber(),
    fee: usd(toDec(r.entry_fee)),
    stopLoss: r.stop_loss === null ? null : num(toDec(r.stop_loss)),
    takeProfit: r.take_profit === null ? null : num(toDec(r.take_profit)),
  }));
}
