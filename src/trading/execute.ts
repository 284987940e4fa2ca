/**
 * The one door into trading: a validated proposal (portfolio, market, direction, confidence,
 * entry, stop, target) goes through
 *   lock → evaluation of the open positions → decision on the state (the portfolio gates) →
 *   the live market (book or quote, ATR) → one write transaction: the decision again on the state
 *   read inside it, the record of the signal, and for an execution the fill and its booking.
 * Submissions to one portfolio are serialized (trading/serialize.ts) and every booking is one
 * `BEGIN IMMEDIATE` transaction, so caps hold under concurrent submissions and in every process.
 *
 * Trading does not know who proposed, nor how a signal is stored: the caller hands in a
 * `SignalRecord` (signals/ implements it), asked inside the lock for an earlier outcome
 * (idempotency) and inside the transaction to store the decision, so that the signal, its
 * decision and its fill commit together or not at all.
 */
import type { Kysely } from 'kysely';
import { atr } from '../analysis/indicators.js';
import type { DB } from '../db/schema.js';
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import type { MarketInfo } from '../market/types.js';
import { num, toDec, usd, type Dec } from '../shared/money.js';
import { writeTransaction } from '../shared/transaction.js';
import { evaluateLocked } from './evaluate.js';
import { bookLiquidity, slippagePct, tickerLiquidity } from './fills.js';
import { bookOpen } from './ledger.js';
import { decide, riskLimits, type Decision, type MarketView, type SignalLevels } from './risk.js';
import { loadRiskState } from './risk-state.js';
import { withPortfolioLock } from './serialize.js';
import type { Direction } from './triggers.js';

export type FillReport = {
  positionId: number;
  side: 'buy' | 'sell';
  mode: 'realistic' | 'instant';
  price: number;
  quantity: number;
  notional: number;
  fee: number;
  margin: number;
  leverage: number;
  /** Cost against the mid price, % (spread and depth). */
  slippagePct: number;
  liquidationPrice: number | null;
};

/** A decision taken: executed, rejected or recorded (never `continue`). */
export type FinalDecision = Exclude<Decision, { kind: 'continue' }>;

export interface ExecutionRequest {
  portfolio: { id: number; name: string };
  market: MarketInfo;
  levels: SignalLevels;
}

/** How the proposer's signal is kept: asked under the lock and inside the write transaction. */
export interface SignalRecord<T> {
  /** Under the portfolio lock, before anything is decided: the outcome of an earlier submission of this signal, if any. */
  earlier(): Promise<T | undefined>;
  /** Inside the transaction: store the signal and its decision; the row id the position will reference. */
  store(tx: Kysely<DB>, decided: { decision: FinalDecision; at: number }): Promise<number>;
  /** Inside the transaction, after the booking: complete the record with the fill, and answer. */
  complete(tx: Kysely<DB>, rowId: number, decided: { decision: FinalDecision; fill: FillReport | null; at: number }): Promise<T>;
}

export async function executeSignal<T>(deps: Deps, request: ExecutionRequest, record: SignalRecord<T>): Promise<T> {
  const { portfolio, market: info, levels } = request;
  return withPortfolioLock(deps.db, portfolio.id, async () => {
    const prior = await record.earlier();
    if (prior) return prior;
    const evaluation = await evaluateLocked(deps, portfolio.id);
    const limits = riskLimits(deps.config);
    const now = deps.clock.now();
    const pre = decide(limits, levels, (await loadRiskState(deps.db, portfolio.id, info.symbol, evaluation.marks, now)).state, info.symbol, null);
    const market = pre.kind === 'continue' ? await marketView(deps, info, levels.direction) : null;
    return writeTransaction(deps.db, async (tx) => {
      let decision: Decision = pre;
      if (market) {
        // Decide again on the state read inside the transaction: another process may have traded.
        const { state } = await loadRiskState(tx, portfolio.id, info.symbol, evaluation.marks, now);
        decision = decide(limits, levels, state, info.symbol, market);
      }
      if (decision.kind === 'continue') throw new AppError('INTERNAL', 'The risk decision was left incomplete');
      const rowId = await record.store(tx, { decision, at: now });
      const fill = decision.kind === 'execute' ? await book(tx, request, decision, market!, rowId, now) : null;
      return record.complete(tx, rowId, { decision, fill, at: now });
    });
  });
}

/** An execution's fill, booked: the position, its opening trade, the cash. */
async function book(
  tx: Kysely<DB>,
  request: ExecutionRequest,
  decision: Extract<Decision, { kind: 'execute' }>,
  market: MarketView,
  rowId: number,
  at: number,
): Promise<FillReport> {
  const positionId = await bookOpen(tx, {
    portfolioId: request.portfolio.id,
    signalRowId: rowId,
    symbol: request.market.symbol,
    direction: request.levels.direction,
    execution: decision.execution,
    fee: decision.fee,
    margin: decision.margin,
    leverage: decision.leverage,
    liquidationPrice: decision.liquidationPrice,
    stop: request.levels.stop,
    target: request.levels.target,
    at,
  });
  const liq = market.liquidity;
  return {
    positionId,
    side: liq.side,
    mode: liq.mode,
    price: num(decision.execution.price),
    quantity: decision.execution.quantity.toNumber(),
    notional: usd(decision.execution.notional),
    fee: usd(decision.fee),
    margin: usd(decision.margin),
    leverage: decision.leverage.toNumber(),
    slippagePct: slippagePct(liq.side, decision.execution.price, liq.mid),
    liquidationPrice: decision.liquidationPrice ? num(decision.liquidationPrice) : null,
  };
}

/** The live market a decision needs: what an entry could take (book or quote) and ATR(14) of 1h candles. */
async function marketView(deps: Deps, info: MarketInfo, direction: Direction): Promise<MarketView> {
  const side = direction === 'long' ? 'buy' : 'sell';
  const realistic = deps.config.FILL_MODE === 'realistic';
  const [liquidity, atr1h] = await Promise.all([
    realistic
      ? deps.market.orderBook(info.symbol).then((book) => bookLiquidity(book, side, deps.config.MAX_SLIPPAGE_PCT))
      : deps.market.ticker(info.symbol).then((t) => tickerLiquidity(t, side)),
    hourlyAtr(deps, info.symbol),
  ]);
  const dec = (x: number | null): Dec | null => (x === null ? null : toDec(x));
  return {
    symbol: info.symbol,
    active: info.active,
    qtyStep: dec(info.qtyStep),
    minQty: dec(info.minQty),
    minNotional: dec(info.minNotional),
    atr: atr1h,
    liquidity,
  };
}

/** ATR(14) of the last closed 1h candles; null when the market is too young to have them. */
async function hourlyAtr(deps: Deps, symbol: string): Promise<number | null> {
  const series = await deps.market.candles(symbol, '1h', { limit: 50 });
  if (series.candles.length < 15) return null;
  const c = series.candles;
  const values = atr(
    c.map((x) => x.high),
    c.map((x) => x.low),
    c.map((x) => x.close),
    14,
  );
  const last = values[values.length - 1];
  return last !== undefined && Number.isFinite(last) ? last : null;
}
