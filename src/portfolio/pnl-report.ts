/**
 * get_pnl_report and `cctrader pnl-report`: P&L by symbol and overall for a period, read from the
 * daily roll-ups (trading/rollup.ts) with exact integer sums, so that it costs the same over 100
 * or 100,000 trades.
 *
 * Definitions (they reconcile with the trade log by construction):
 * - periods are UTC calendar days, today included: daily = the last 7 days, weekly = the last
 *   28 days (4 weeks), monthly = the last 365 days (12 months), all = everything;
 * - realized P&L of a period = Σ pnl of the trades booked in it (entry fees, funding, closes),
 *   so the entry fee of a position still open counts when it was paid;
 * - unrealized = open positions at the latest price (whatever the period);
 * - trades = round trips closed in the period; win rate, profit factor and expectancy are over
 *   them, each round trip's P&L net of its fees and funding;
 * - max drawdown = deepest fall of the realized balance from its running peak, trade by trade;
 * - llmCost = the token ledger's spend in the period (desk-wide: it knows no portfolios) next to
 *   this realized P&L, and per signal / per executed trade of this portfolio (outcomes/cost.ts).
 */
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import { llmCostForPeriod, type LlmCostBlock } from '../outcomes/cost.js';
import { evaluatePortfolio, staleWarnings } from '../trading/evaluate.js';
import { loadSnapshot, type Snapshot } from '../trading/ledger.js';
import { Dec, ZERO, fromUnits, pct, toDec, usd } from '../shared/money.js';
import { balanceDays, DAY_MS, dayOf, pnlBefore, symbolTotals } from '../trading/rollup.js';
import { DEFAULT_PORTFOLIO, requirePortfolio } from '../trading/portfolios.js';

import { PERIODS, type Period } from './periods.js';

export { PERIODS, type Period };

const PERIOD_DAYS: Record<Period, number | null> = { daily: 7, weekly: 28, monthly: 365, all: null };
export const PERIOD_LABEL: Record<Period, string> = { daily: 'Last 7 Days', weekly: 'Last 4 Weeks', monthly: 'Last 12 Months', all: 'All Time' };
const MAX_CURVE_POINTS = 28;
export const MAX_REPORT_SYMBOLS = 25;

export type SymbolPnl = {
  symbol: string;
  totalPnl: number;
  realizedPnl: number;
  unrealizedPnl: number;
  /** Round trips closed in the period, plus the position still open, if any. */
  trades: number;
  open: boolean;
  /** % of closed round trips with positive net P&L; null without closed trades. */
  winRate: number | null;
};

export interface PnlReport {
  portfolio: string;
  period: Period;
  periodLabel: string;
  from: string | null;
  to: string;
  /** Realized balance (cash + margin) at the start of the period. */
  startBalance: number;
  equity: number;
  totalPnl: number;
  totalPnlPct: number | null;
  realizedPnl: number;
  unrealizedPnl: number;
  feesPaid: number;
  /** Net funding paid (negative = received). */
  fundingPaid: number;
  trades: number;
  wins: number;
  losses: number;
  winRate: number | null;
  /** Gross profit / gross loss of closed round trips; null when there is no loss. */
  profitFactor: number | null;
  /** Average net P&L per closed round trip. */
  expectancy: number | null;
  maxDrawdown: number;
  maxDrawdownPct: number | null;
  bySymbol: { items: SymbolPnl[]; hasMore: boolean };
  /** The balance at the start, the realized balance at the end of each bucket of days, then the current equity. */
  equityCurve: Array<{ t: string; equity: number }>;
  /** LLM spend in the period next to the realized P&L. */
  llmCost: LlmCostBlock;
  /** Present when some positions could not be marked now (their last known mark is used). */
  warnings?: string[];
}

export interface PnlReportOptions {
  portfolio?: string | undefined;
  period?: Period | undefined;
  minTrades?: number | undefined;
  /** Skip marking to market (no market calls): unrealized P&L is then at the last known marks. */
  offline?: boolean;
}

type SymbolRow = Awaited<ReturnType<typeof symbolTotals>>[number];
type SymbolEntry = { realized: Dec; unrealized: Dec; closed: number; wins: number; open: boolean };

/** Per symbol (realized from the roll-up, unrealized from the open positions) and the totals of the closed round trips. */
function aggregate(symbolRows: readonly SymbolRow[], positions: Snapshot['positions']) {
  const symbols = new Map<string, SymbolEntry>();
  const entry = (s: string): SymbolEntry => {
    let e = symbols.get(s);
    if (!e) symbols.set(s, (e = { realized: ZERO, unrealized: ZERO, closed: 0, wins: 0, open: false }));
    return e;
  };
  const t = { realized: ZERO, fees: ZERO, funding: ZERO, grossWin: ZERO, grossLoss: ZERO, closed: 0, wins: 0, losses: 0 };
  for (const r of symbolRows) {
    const e = entry(r.symbol);
    e.realized = fromUnits(r.pnl);
    e.closed = Number(r.closed);
    e.wins = Number(r.wins);
    t.realized = t.realized.plus(e.realized);
    t.fees = t.fees.plus(fromUnits(r.fees));
    t.funding = t.funding.plus(fromUnits(r.funding));
    t.grossWin = t.grossWin.plus(fromUnits(r.win));
    t.grossLoss = t.grossLoss.plus(fromUnits(r.loss));
    t.closed += e.closed;
    t.wins += e.wins;
    t.losses += Number(r.losses);
  }
  for (const p of positions) {
    const e = entry(p.row.symbol);
    e.unrealized = e.unrealized.plus(p.unrealized);
    e.open = true;
  }
  return { symbols, totals: t };
}

/** Drawdown: within each day from the day's running peak, and across days from the running peak before it. */
function drawdown(
  balanceRows: ReadonlyArray<{ low: string; high: string; drawdown: string; drawdown_pct: number }>,
  startBalance: Dec,
): { usd: Dec; pct: number | null } {
  let peak = startBalance;
  let max = ZERO;
  let maxPct = 0;
  for (const day of balanceRows) {
    const fromPeak = peak.minus(toDec(day.low));
    max = Dec.max(max, toDec(day.drawdown), fromPeak);
    maxPct = Math.max(maxPct, day.drawdown_pct, peak.gt(0) ? fromPeak.div(peak).times(100).toNumber() : 0);
    peak = Dec.max(peak, toDec(day.high));
  }
  return { usd: max, pct: balanceRows.length ? Math.round(maxPct * 100) / 100 : null };
}

function bySymbol(symbols: Map<string, SymbolEntry>, minTrades: number): PnlReport['bySymbol'] {
  const rows = [...symbols.entries()]
    .map(([symbol, e]) => ({ symbol, e, total: e.realized.plus(e.unrealized), trades: e.closed + (e.open ? 1 : 0) }))
    .filter((r) => r.trades >= minTrades)
    .sort((a, b) => b.total.comparedTo(a.total) || a.symbol.localeCompare(b.symbol));
  return {
    items: rows.slice(0, MAX_REPORT_SYMBOLS).map((r) => ({
      symbol: r.symbol,
      totalPnl: usd(r.total),
      realizedPnl: usd(r.e.realized),
      unrealizedPnl: usd(r.e.unrealized),
      trades: r.trades,
      open: r.e.open,
      winRate: r.e.closed ? Math.round((r.e.wins / r.e.closed) * 1000) / 10 : null,
    })),
    hasMore: rows.length > MAX_REPORT_SYMBOLS,
  };
}

export async function getPnlReport(deps: Deps, options: PnlReportOptions = {}): Promise<PnlReport> {
  const period = options.period ?? 'all';
  const minTrades = options.minTrades ?? 1;
  if (!Number.isInteger(minTrades) || minTrades < 0) throw new AppError('INVALID_INPUT', 'min_trades is a whole number ≥ 0');
  const portfolio = await requirePortfolio(deps, options.portfolio ?? DEFAULT_PORTFOLIO);
  const evaluation = options.offline ? null : await evaluatePortfolio(deps, portfolio);
  const now = evaluation?.at ?? deps.clock.now();
  const days = PERIOD_DAYS[period];
  const fromDay = days === null ? null : dayOf(now) - (days - 1) * DAY_MS;
  const id = portfolio.id;
  const [symbolRows, balanceRows, before, snap] = await Promise.all([
    symbolTotals(deps.db, id, fromDay ?? 0),
    balanceDays(deps.db, id, fromDay ?? 0),
    fromDay === null ? Promise.resolve(ZERO) : pnlBefore(deps.db, id, fromDay),
    loadSnapshot(deps.db, id, evaluation?.marks ?? new Map(), new Set(evaluation?.stale.map((s) => s.positionId))),
  ]);
  const startBalance = toDec(portfolio.starting_balance).plus(before);
  const { symbols, totals: t } = aggregate(symbolRows, snap.positions);
  const dd = drawdown(balanceRows, startBalance);
  const total = t.realized.plus(snap.unrealized);
  return {
    portfolio: portfolio.name,
    period,
    periodLabel: PERIOD_LABEL[period],
    from: fromDay === null ? null : new Date(fromDay).toISOString(),
    to: new Date(now).toISOString(),
    startBalance: usd(startBalance),
    equity: usd(snap.equity),
    totalPnl: usd(total),
    totalPnlPct: pct(total, startBalance),
    realizedPnl: usd(t.realized),
    unrealizedPnl: usd(snap.unrealized),
    feesPaid: usd(t.fees),
    fundingPaid: usd(t.funding.neg()),
    trades: t.closed,
    wins: t.wins,
    losses: t.losses,
    winRate: t.closed ? Math.round((t.wins / t.closed) * 1000) / 10 : null,
    profitFactor: t.grossLoss.isZero() ? null : t.grossWin.div(t.grossLoss.abs()).toDecimalPlaces(2).toNumber(),
    expectancy: t.closed ? usd(t.grossWin.plus(t.grossLoss).div(t.closed)) : null,
    maxDrawdown: usd(dd.usd),
    maxDrawdownPct: dd.pct,
    bySymbol: bySymbol(symbols, minTrades),
    equityCurve: curve(fromDay ?? balanceRows[0]?.day ?? dayOf(now), now, startBalance, balanceRows, snap.equity),
    llmCost: await llmCostForPeriod(deps.db, { from: fromDay, portfolioId: id, realizedPnl: t.realized, closedTrades: t.closed }),
    ...(evaluation?.stale.length ? { warnings: staleWarnings(evaluation.stale) } : {}),
  };
}

/** Start balance, then the close of the last active day of each bucket, then the equity now. */
function curve(firstDay: number, now: number, start: Dec, days: Array<{ day: number; close: string }>, equity: Dec): Array<{ t: string; equity: number }> {
  const spanDays = Math.max(1, Math.ceil((now - firstDay) / DAY_MS));
  const bucket = Math.ceil(spanDays / MAX_CURVE_POINTS) * DAY_MS;
  const out: Array<{ t: string; equity: number }> = [{ t: new Date(firstDay).toISOString(), equity: usd(start) }];
  for (let i = 0; i < days.length; i++) {
    const day = days[i]!;
    const end = firstDay + (Math.floor((day.day - firstDay) / bucket) + 1) * bucket;
    const next = days[i + 1];
    if (next && next.day < end) continue; // not the last active day of its bucket
    if (end < now) out.push({ t: new Date(end).toISOString(), equity: usd(toDec(day.close)) });
  }
  out.push({ t: new Date(now).toISOString(), equity: usd(equity) });
  return out;
}
