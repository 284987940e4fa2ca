/** get_portfolio_status and `cctrader status`: the portfolio marked to market, after executing
 * whatever stops, targets and funding fell due since the last look. */
import type { Deps } from '../deps.js';
import { isUnavailable } from '../errors.js';
import { symbolForms } from '../market/symbols.js';
import { evaluatePortfolio, staleWarnings } from '../trading/evaluate.js';
import { readHalt } from '../trading/halt.js';
import { loadSnapshot, type ClosedPosition, type MarkedPosition } from '../trading/ledger.js';
import { num, pct, toDec, usd } from '../shared/money.js';
import { dailyBreaker } from '../trading/risk.js';
import { realizedFromDay } from '../trading/risk-state.js';
import { DEFAULT_PORTFOLIO, requirePortfolio } from '../trading/portfolios.js';

export const MAX_LISTED_POSITIONS = 20;

export type PositionView = {
  id: number;
  symbol: string;
  direction: 'long' | 'short';
  quantity: number;
  entryPrice: number;
  markPrice: number;
  stopLoss: number | null;
  takeProfit: number | null;
  notional: number;
  margin: number;
  leverage: number;
  unrealizedPnl: number;
  /** Unrealized P&L as % of the entry notional. */
  unrealizedPct: number | null;
  fundingPaid: number;
  liquidationPrice: number | null;
  openedAt: string;
  /** When the mark was taken. */
  markAt: string;
  /** Present (true) when the exchange could not quote the symbol now: the mark is the last known one. */
  stale?: true;
};

export type ClosedView = {
  id: number;
  symbol: string;
  direction: 'long' | 'short';
  reason: string;
  entryPrice: number;
  exitPrice: number;
  quantity: number;
  exitFee: number;
  /** Net of entry and exit fees and funding. */
  realizedPnl: number;
  at: string;
};

export interface PortfolioStatus {
  portfolio: string;
  asOf: string;
  startingBalance: number;
  equity: number;
  cash: number;
  margin: number;
  unrealizedPnl: number;
  /** All-time realized P&L (sum of the trade log: fees and funding included). */
  realizedPnl: number;
  returnPct: number | null;
  exposure: number;
  exposurePct: number | null;
  positions: { items: PositionView[]; hasMore: boolean };
  /** Positions this call found stopped out, at target, or liquidated since the last look. */
  justClosed: ClosedView[];
  halted: boolean;
  haltReason: string | null;
  breaker: { tripped: boolean; realizedToday: number; limit: number };
  /** Present when part of the answer comes from stored state (stale marks), saying which and why. */
  warnings?: string[];
}

export function positionView(p: MarkedPosition): PositionView {
  const r = p.row;
  const entryNotional = toDec(r.entry_notional);
  return {
    id: r.id,
    symbol: r.symbol,
    direction: r.direction,
    quantity: toDec(r.quantity).toNumber(),
    entryPrice: num(toDec(r.entry_price)),
    markPrice: num(p.mark),
    stopLoss: r.stop_loss === null ? null : num(toDec(r.stop_loss)),
    takeProfit: r.take_profit === null ? null : num(toDec(r.take_profit)),
    notional: usd(p.notional),
    margin: usd(p.margin),
    leverage: toDec(r.leverage).toNumber(),
    unrealizedPnl: usd(p.unrealized),
    unrealizedPct: pct(p.unrealized, entryNotional),
    fundingPaid: usd(toDec(r.funding_paid)),
    liquidationPrice: r.liquidation_price === null ? null : num(toDec(r.liquidation_price)),
    openedAt: new Date(r.opened_at).toISOString(),
    markAt: new Date(p.markAt).toISOString(),
    ...(p.stale ? { stale: true as const } : {}),
  };
}

/**
 * Which stored positions a typed symbol means. The exchange resolves it when it can (an unknown
 * symbol is NOT_FOUND with the closest listed ones); when it cannot answer, the stored forms are
 * matched, so a portfolio can always be read.
 */
export async function symbolFilter(deps: Pick<Deps, 'market'>, input: string | undefined): Promise<((symbol: string) => boolean) | null> {
  if (!input) return null;
  try {
    const { symbol } = await deps.market.resolveSymbol(input);
    return (s) => s === symbol;
  } catch (error) {
    if (!isUnavailable(error)) throw error;
    const forms = new Set(symbolForms(input));
    return (s) => forms.has(s);
  }
}

export function closedView(c: ClosedPosition): ClosedView {
  return {
    id: c.positionId,
    symbol: c.symbol,
    direction: c.direction,
    reason: c.reason,
    entryPrice: num(c.entryPrice),
    exitPrice: num(c.exitPrice),
    quantity: c.quantity.toNumber(),
    exitFee: usd(c.fee),
    realizedPnl: usd(c.realizedPnl),
    at: new Date(c.at).toISOString(),
  };
}

export async function getPortfolioStatus(deps: Deps, options: { portfolio?: string | undefined; symbol?: string | undefined } = {}): Promise<PortfolioStatus> {
  const portfolio = await requirePortfolio(deps, options.portfolio ?? DEFAULT_PORTFOLIO);
  const wanted = await symbolFilter(deps, options.symbol);
  const evaluation = await evaluatePortfolio(deps, portfolio);
  const snap = await loadSnapshot(deps.db, portfolio.id, evaluation.marks, new Set(evaluation.stale.map((s) => s.positionId)));
  const starting = toDec(portfolio.starting_balance);
  // cash + margin = starting balance + Σ trade pnl, exactly (see trading/ledger.ts).
  const realized = snap.balance.minus(starting);
  const realizedToday = await realizedFromDay(deps.db, portfolio.id, evaluation.at);
  const breaker = dailyBreaker(snap.balance, realizedToday, deps.config.DAILY_LOSS_LIMIT_PCT);
  const halt = await readHalt(deps.db);
  const shown = snap.positions.filter((p) => wanted === null || wanted(p.row.symbol));
  const warnings = staleWarnings(evaluation.stale);
  return {
    portfolio: portfolio.name,
    asOf: new Date(evaluation.at).toISOString(),
    startingBalance: usd(starting),
    equity: usd(snap.equity),
    cash: usd(snap.cash),
    margin: usd(snap.margin),
    unrealizedPnl: usd(snap.unrealized),
    realizedPnl: usd(realized),
    returnPct: pct(snap.equity.minus(starting), starting),
    exposure: usd(snap.exposure),
    exposurePct: pct(snap.exposure, snap.equity),
    positions: { items: shown.slice(0, MAX_LISTED_POSITIONS).map(positionView), hasMore: shown.length > MAX_LISTED_POSITIONS },
    justClosed: evaluation.closed.filter((c) => wanted === null || wanted(c.symbol)).map(closedView),
    halted: halt.halted,
    haltReason: halt.reason,
    breaker: { tripped: breaker.tripped, realizedToday: usd(realizedToday), limit: usd(breaker.limit) },
    ...(warnings.length ? { warnings } : {}),
  };
}
