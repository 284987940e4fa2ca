/**
 * The report of a replay, computed from what the replay's own desk recorded: the equity at every
 * step, the closed trades, the signals and their outcomes, the spend. Pure: the same inputs give
 * the same report, number for number (only `id`, `createdAt` and `durationMs` are not inputs).
 *
 * Definitions:
 * - total return: final equity over the starting balance; max drawdown: the largest fall of the
 *   step-by-step equity from its running peak (USD and %);
 * - Sharpe and Sortino: daily returns (equity at the last step of each UTC day, against the day
 *   before, the first against the starting balance), mean over standard deviation (Sortino: over
 *   the downside deviation, sqrt(mean(min(r, 0)²))), annualised by √365; null with fewer than two days;
 * - profit factor: gross profit over gross loss of the closed trades (net of fees and funding);
 *   win rate: winners over closed trades; expectancy in R: the mean of each trade's net result over
 *   its initial risk (|entry − stop| × quantity);
 * - time in market: the share of the window with at least one position open;
 * - benchmarks: buying BTC at the first step and holding to the last, and an equal-weight basket
 *   of the replay's symbols, both without fees.
 */

export interface EquityPoint {
  /** Epoch ms of the step. */
  t: number;
  equity: number;
}

export interface ReplayTrade {
  symbol: string;
  direction: 'long' | 'short';
  openedAt: number;
  closedAt: number | null;
  entryPrice: number;
  exitPrice: number | null;
  quantity: number;
  stopLoss: number | null;
  takeProfit: number | null;
  exitReason: string | null;
  /** Net realized P&L (fees and funding included); null while open. */
  realizedPnl: number | null;
  /** USD lost if the stop is hit at its level, from the entry fill: the trade's 1R. */
  riskUsd: number | null;
}

export interface ConfidenceRow {
  key: string;
  signals: number;
  decided: number;
  hitRate: number | null;
  avgR: number | null;
}

export interface ReplayReportInput {
  id: string;
  createdAt: number;
  durationMs: number;
  status: 'completed' | 'stopped' | 'failed';
  window: { from: number; to: number; everyMs: number; steps: number; stepsRun: number };
  analyst: string;
  symbols: string[];
  settings: Record<string, number | string | boolean | null>;
  startBalance: number;
  equity: EquityPoint[];
  trades: ReplayTrade[];
  feesUsd: number;
  fundingUsd: number;
  benchmarks: { btcBuyHoldPct: number | null; basketBuyHoldPct: number | null; basketSymbols: number };
  cycles: Record<string, number | Record<string, number>>;
  scorecard: { signals: number; decided: number; hitRate: number | null; avgR: number | null; byConfidence: ConfidenceRow[] };
  llm: { requests: number; recordedUsd: number; wouldHaveCostUsd: number; rerunCostUsd: number; cassette: string | null; cassetteMisses: number };
  warnings: string[];
}

export interface ReplayReport {
  id: string;
  createdAt: string;
  durationMs: number;
  status: ReplayReportInput['status'];
  window: { from: string; to: string; every: string; steps: number; stepsRun: number };
  analyst: string;
  symbols: string[];
  settings: ReplayReportInput['settings'];
  performance: {
    startBalance: number;
    finalEquity: number;
    totalReturnPct: number;
    maxDrawdownUsd: number;
    maxDrawdownPct: number;
    sharpe: number | null;
    sortino: number | null;
    profitFactor: number | null;
    winRate: number | null;
    expectancyR: number | null;
    trades: number;
    wins: number;
    losses: number;
    openAtEnd: number;
    feesUsd: number;
    fundingUsd: number;
    timeInMarketPct: number;
  };
  benchmarks: ReplayReportInput['benchmarks'];
  cycles: ReplayReportInput['cycles'];
  scorecard: ReplayReportInput['scorecard'];
  llm: ReplayReportInput['llm'];
  equityCurve: Array<{ t: string; equity: number }>;
  trades: Array<Omit<ReplayTrade, 'openedAt' | 'closedAt'> & { openedAt: string; closedAt: string | null }>;
  warnings: string[];
}

const DAY = 86_400_000;
const r2 = (x: number): number => Math.round(x * 100) / 100;
const r4 = (x: number): number => Math.round(x * 10_000) / 10_000;
const iso = (ms: number): string => new Date(ms).toISOString();

/** `1h`, `15m`, `1d`: the step as the user wrote it. */
export function formatEvery(ms: number): string {
  if (ms % DAY === 0) return `${ms / DAY}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  return `${Math.round(ms / 60_000)}m`;
}

export function maxDrawdown(points: readonly EquityPoint[], start: number): { usd: number; pct: number } {
  let peak = start;
  let usd = 0;
  let pct = 0;
  for (const p of points) {
    peak = Math.max(peak, p.equity);
    const fall = peak - p.equity;
    if (fall > usd) usd = fall;
    if (peak > 0 && (fall / peak) * 100 > pct) pct = (fall / peak) * 100;
  }
  return { usd: r2(usd), pct: r2(pct) };
}

/** Daily returns: the equity at the last step of each UTC day against the one before (the first against `start`). */
export function dailyReturns(points: readonly EquityPoint[], start: number): number[] {
  const closes = new Map<number, number>();
  for (const p of points) closes.set(Math.floor(p.t / DAY), p.equity);
  const out: number[] = [];
  let prev = start;
  for (const [, equity] of [...closes.entries()].sort((a, b) => a[0] - b[0])) {
    out.push(prev > 0 ? equity / prev - 1 : 0);
    prev = equity;
  }
  return out;
}

export function sharpeSortino(returns: readonly number[]): { sharpe: number | null; sortino: number | null } {
  if (returns.length < 2) return { sharpe: null, sortino: null };
  const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
  const variance = returns.reduce((a, r) => a + (r - mean) ** 2, 0) / (returns.length - 1);
  const downside = Math.sqrt(returns.reduce((a, r) => a + Math.min(r, 0) ** 2, 0) / returns.length);
  const annual = Math.sqrt(365);
  return {
    sharpe: variance > 0 ? r4((mean / Math.sqrt(variance)) * annual) : null,
    sortino: downside > 0 ? r4((mean / downside) * annual) : null,
  };
}

/** Share of [from, to) with at least one position open, %. */
export function timeInMarket(trades: readonly ReplayTrade[], from: number, to: number): number {
  const spans = trades
    .map((t) => [Math.max(from, t.openedAt), Math.min(to, t.closedAt ?? to)] as const)
    .filter(([a, b]) => b > a)
    .sort((a, b) => a[0] - b[0]);
  let covered = 0;
  let end = from;
  for (const [a, b] of spans) {
    if (b <= end) continue;
    covered += b - Math.max(a, end);
    end = b;
  }
  return to > from ? r2((covered / (to - from)) * 100) : 0;
}

function tradeStats(
  trades: readonly ReplayTrade[],
): Pick<ReplayReport['performance'], 'profitFactor' | 'winRate' | 'expectancyR' | 'trades' | 'wins' | 'losses' | 'openAtEnd'> {
  const closed = trades.filter((t) => t.realizedPnl !== null);
  const wins = closed.filter((t) => t.realizedPnl! > 0);
  const grossWin = wins.reduce((a, t) => a + t.realizedPnl!, 0);
  const grossLoss = closed.filter((t) => t.realizedPnl! < 0).reduce((a, t) => a - t.realizedPnl!, 0);
  const rs = closed.filter((t) => t.riskUsd !== null && t.riskUsd > 0).map((t) => t.realizedPnl! / t.riskUsd!);
  return {
    profitFactor: grossLoss > 0 ? r2(grossWin / grossLoss) : null,
    winRate: closed.length ? r2((wins.length / closed.length) * 100) : null,
    expectancyR: rs.length ? r2(rs.reduce((a, b) => a + b, 0) / rs.length) : null,
    trades: closed.length,
    wins: wins.length,
    losses: closed.length - wins.length,
    openAtEnd: trades.length - closed.length,
  };
}

export function buildReport(input: ReplayReportInput): ReplayReport {
  const final = input.equity.at(-1)?.equity ?? input.startBalance;
  const dd = maxDrawdown(input.equity, input.startBalance);
  return {
    id: input.id,
    createdAt: iso(input.createdAt),
    durationMs: input.durationMs,
    status: input.status,
    window: {
      from: iso(input.window.from),
      to: iso(input.window.to),
      every: formatEvery(input.window.everyMs),
      steps: input.window.steps,
      stepsRun: input.window.stepsRun,
    },
    analyst: input.analyst,
    symbols: input.symbols,
    settings: input.settings,
    performance: {
      startBalance: r2(input.startBalance),
      finalEquity: r2(final),
      totalReturnPct: r2(((final - input.startBalance) / input.startBalance) * 100),
      maxDrawdownUsd: dd.usd,
      maxDrawdownPct: dd.pct,
      ...sharpeSortino(dailyReturns(input.equity, input.startBalance)),
      ...tradeStats(input.trades),
      feesUsd: r2(input.feesUsd),
      fundingUsd: r2(input.fundingUsd),
      timeInMarketPct: timeInMarket(input.trades, input.window.from, input.window.to),
    },
    benchmarks: input.benchmarks,
    cycles: input.cycles,
    scorecard: input.scorecard,
    llm: input.llm,
    equityCurve: input.equity.map((p) => ({ t: iso(p.t), equity: r2(p.equity) })),
    trades: input.trades.map((t) => ({ ...t, openedAt: iso(t.openedAt), closedAt: t.closedAt === null ? null : iso(t.closedAt) })),
    warnings: input.warnings,
  };
}

/** The report without what differs between two runs of the same inputs (the run id and wall-clock times). */
export function comparable(report: ReplayReport): Omit<ReplayReport, 'id' | 'createdAt' | 'durationMs'> {
  const { id: _id, createdAt: _createdAt, durationMs: _durationMs, ...rest } = report;
  return rest;
}
