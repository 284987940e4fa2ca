/**
 * Marking a portfolio to market and executing what is due: stops and targets hit since the last
 * check (read from the candles' highs and lows, so nothing between checks is missed) and funding
 * at the funding times crossed. Runs whenever a portfolio is read, before every signal, and from
 * the scanner/monitor through `evaluatePortfolio`.
 *
 * Funding approximation: each funding time crossed is settled at the exchange's current rate
 * (historical rates are not fetched) on the position's value at that time (the open of the candle
 * containing it, or the latest price).
 */
import type { Deps } from '../deps.js';
import { isAppError } from '../errors.js';
import type { Candle, MarketData, Ticker } from '../market/types.js';
import { TIMEFRAME_MS } from '../market/types.js';
import { requirePortfolio } from './portfolios.js';
import { bookLiquidity, exitAtReference, tickerLiquidity, type Execution } from './fills.js';
import { bookClose, bookFunding, openPositions, type ClosedPosition, type FundingBooking, type PositionRow } from './ledger.js';
import { type Dec, money, str, toDec } from '../shared/money.js';
import { withPortfolioLock } from './serialize.js';
import { writeTransaction } from '../shared/transaction.js';
import { candleTimeframe, candleWindow, findTrigger, fundingTimes, type Trigger } from './triggers.js';

/** A position whose market data failed: it keeps its last known mark, and nothing was booked for it. */
export interface StaleMark {
  positionId: number;
  symbol: string;
  /** The last known mark and when it was taken (epoch ms). */
  mark: Dec;
  markAt: number;
  /** Why it could not be marked now (RATE_LIMITED, UPSTREAM_UNAVAILABLE, ...). */
  code: string;
}

export interface Evaluation {
  portfolioId: number;
  at: number;
  /** Latest price of every symbol with a position still open (the last known one for stale positions). */
  marks: Map<string, Dec>;
  /** Positions that could not be marked now; their stops, targets and funding are booked once data returns. */
  stale: StaleMark[];
  /** Positions this evaluation closed (stop, target or liquidation). */
  closed: ClosedPosition[];
  fundingSettled: number;
}

/**
 * The warning a portfolio answer carries when some positions could not be marked now: which, why,
 * and what happens to their stops and targets. Empty when every mark is fresh.
 */
export function staleWarnings(stale: readonly StaleMark[]): string[] {
  if (stale.length === 0) return [];
  const codes = [...new Set(stale.map((s) => s.code))].join(', ');
  const symbols = stale.map((s) => s.symbol).join(', ');
  return [
    `${stale.length === 1 ? '1 position' : `${stale.length} positions`} could not be marked now (${codes}): ${symbols} ${stale.length === 1 ? 'shows its' : 'show their'} last known mark (stale, with markAt); stops and targets that fall due meanwhile are booked at the candles' prices once the exchange answers again`,
  ];
}

/** Evaluate a portfolio (by row or name) under its lock. */
export async function evaluatePortfolio(deps: Deps, portfolio: { id: number } | string): Promise<Evaluation> {
  const id = typeof portfolio === 'string' ? (await requirePortfolio(deps, portfolio)).id : portfolio.id;
  return withPortfolioLock(deps.db, id, () => evaluateLocked(deps, id));
}

/** Evaluate every portfolio that has an open position (for the monitor and the scan cycle). */
export async function evaluateAllPortfolios(deps: Deps): Promise<Evaluation[]> {
  const rows = await deps.db.selectFrom('paper_positions').select('portfolio_id').distinct().where('status', '=', 'open').execute();
  const out: Evaluation[] = [];
  for (const { portfolio_id } of rows) out.push(await evaluatePortfolio(deps, { id: portfolio_id }));
  return out;
}

/**
 * Evaluate; the caller holds the portfolio lock. Each position is planned on its own: when one
 * symbol's quote or candles fail, that position keeps its last known mark (listed in `stale`, its
 * last check not moved, so whatever fell due is booked at the candles' prices once data returns)
 * and every other position is still marked, stopped, taken profit on and charged funding.
 */
export async function evaluateLocked(deps: Deps, portfolioId: number): Promise<Evaluation> {
  const now = deps.clock.now();
  const rows = await openPositions(deps.db, portfolioId);
  const settled = await Promise.allSettled(rows.map((row) => planPosition(deps, row, now)));
  const result: Evaluation = { portfolioId, at: now, marks: new Map(), stale: [], closed: [], fundingSettled: 0 };
  const plans: Plan[] = [];
  settled.forEach((outcome, i) => {
    const row = rows[i]!;
    if (outcome.status === 'fulfilled') return void plans.push(outcome.value);
    const error: unknown = outcome.reason;
    const code = isAppError(error) ? error.code : 'INTERNAL';
    if (code === 'INTERNAL') deps.log.error('position evaluation failed unexpectedly', { position: row.id, symbol: row.symbol, error });
    else deps.log.warn('position not marked: market data failed', { position: row.id, symbol: row.symbol, code });
    const mark = toDec(row.mark_price ?? row.entry_price);
    result.stale.push({ positionId: row.id, symbol: row.symbol, mark, markAt: row.mark_at ?? row.opened_at, code });
    result.marks.set(row.symbol, mark);
  });
  if (plans.length === 0) return result;
  await applyPlans(deps, plans, now, result);
  return result;
}

interface Plan {
  row: PositionRow;
  last: Dec;
  trigger: Trigger | null;
  exit: Execution | null;
  funding: FundingBooking[];
}

async function planPosition(deps: Deps, row: PositionRow, now: number): Promise<Plan> {
  const ticker = await deps.market.ticker(row.symbol);
  const last = toDec(ticker.last);
  const lastEvaluated = row.last_evaluated_at ?? row.opened_at;
  const tf = candleTimeframe(now - lastEvaluated);
  const step = TIMEFRAME_MS[tf];
  const window = candleWindow(row.opened_at, lastEvaluated, now, tf);
  let candles: Candle[] = [];
  if (window) {
    const series = await deps.market.candlesSince(row.symbol, tf, window.from);
    candles = series.candles.filter((c) => c.time >= window.from && c.time + step <= now);
  }
  const levels = {
    direction: row.direction,
    stop: row.stop_loss === null ? null : toDec(row.stop_loss),
    target: row.take_profit === null ? null : toDec(row.take_profit),
  };
  const trigger = findTrigger(levels, candles, last, now);
  const until = trigger ? trigger.at : now;
  const funding = await fundingDue(deps, row, ticker, candles, step, lastEvaluated, until);
  let exit: Execution | null = null;
  if (trigger) {
    const side = row.direction === 'long' ? 'sell' : 'buy';
    const liquidity =
      deps.config.FILL_MODE === 'instant'
        ? tickerLiquidity(ticker, side)
        : bookLiquidity(await deps.market.orderBook(row.symbol), side, deps.config.MAX_SLIPPAGE_PCT);
    exit = exitAtReference(liquidity, toDec(row.quantity), trigger.reference);
  }
  return { row, last, trigger, exit, funding };
}

/** Funding interval per symbol, hours (changes rarely; one fundingRate call per symbol and process). */
const intervals = new WeakMap<MarketData, Map<string, number>>();

async function fundingDue(deps: Deps, row: PositionRow, ticker: Ticker, candles: Candle[], step: number, from: number, to: number): Promise<FundingBooking[]> {
  if (ticker.market !== 'swap' || to <= from) return [];
  // The last funding time was at least an hour before the next one: nothing crossed since then.
  if (ticker.nextFundingTime !== null && from >= ticker.nextFundingTime - 3_600_000) return [];
  let perSymbol = intervals.get(deps.market);
  if (!perSymbol) intervals.set(deps.market, (perSymbol = new Map()));
  let hours = perSymbol.get(row.symbol);
  let rate = ticker.fundingRate;
  let anchor = ticker.nextFundingTime;
  if (hours === undefined || rate === null) {
    const fr = await deps.market.fundingRate(row.symbol);
    if (!fr) return [];
    hours = fr.intervalHours ?? 8;
    perSymbol.set(row.symbol, hours);
    rate = fr.rate;
    anchor = fr.nextFundingTime ?? anchor;
  }
  const times = fundingTimes(from, to, hours, anchor);
  const fundingRate = rate;
  if (times.length === 0 || fundingRate === 0) return [];
  const qty = toDec(row.quantity);
  // A positive rate: longs pay shorts.
  const sign = row.direction === 'long' ? 1 : -1;
  return times.map((at) => {
    const candle = candles.find((c) => c.time <= at && at < c.time + step);
    const price = candle ? toDec(candle.open) : toDec(ticker.last);
    return { at, price, rate: fundingRate, payment: money(price.times(qty).times(toDec(fundingRate)).times(sign)) };
  });
}

type Event = { at: number; plan: Plan; funding: FundingBooking } | { at: number; plan: Plan; funding: null };

/**
 * Book everything that fell due, across all positions in time order (so that the trade log and
 * the balance path stay chronological), in one transaction; then mark the rest as checked.
 */
async function applyPlans(deps: Deps, plans: Plan[], now: number, result: Evaluation): Promise<void> {
  await writeTransaction(deps.db, async (tx) => {
    const live = new Map<number, PositionRow>();
    for (const plan of plans) {
      const current = await tx.selectFrom('paper_positions').selectAll().where('id', '=', plan.row.id).where('status', '=', 'open').executeTakeFirst();
      // Closed or evaluated meanwhile by another process: its evaluation stands.
      if (current && current.last_evaluated_at === plan.row.last_evaluated_at) live.set(current.id, current);
    }
    const events: Event[] = [];
    for (const plan of plans) {
      if (!live.has(plan.row.id)) continue;
      for (const funding of plan.funding) events.push({ at: funding.at, plan, funding });
      // Never before the last check (a candle is re-read after a check inside it): the log stays in time order.
      if (plan.trigger) events.push({ at: Math.max(plan.trigger.at, plan.row.last_evaluated_at ?? plan.row.opened_at), plan, funding: null });
    }
    events.sort((a, b) => a.at - b.at || (a.funding ? 0 : 1) - (b.funding ? 0 : 1));
    for (const event of events) {
      const position = live.get(event.plan.row.id)!;
      if (event.funding) {
        live.set(position.id, await bookFunding(tx, position, event.funding));
        result.fundingSettled++;
        continue;
      }
      const closed = await bookClose(tx, position, {
        execution: event.plan.exit!,
        feeRate: deps.config.TAKER_FEE_RATE,
        reason: event.plan.trigger!.reason,
        at: event.at,
        evaluatedAt: now,
      });
      result.closed.push(closed);
      live.delete(position.id);
    }
    for (const plan of plans) {
      if (!live.has(plan.row.id)) continue;
      await tx
        .updateTable('paper_positions')
        .set({ last_evaluated_at: now, mark_price: str(plan.last), mark_at: now })
        .where('id', '=', plan.row.id)
        .execute();
    }
    const closedIds = new Set(result.closed.map((c) => c.positionId));
    for (const plan of plans) if (!closedIds.has(plan.row.id)) result.marks.set(plan.row.symbol, plan.last);
  });
}
