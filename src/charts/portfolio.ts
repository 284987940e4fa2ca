/**
 * The portfolio view's data (get_portfolio_status, get_pnl_report, `pnl-report --html`): the
 * equity curve (the realized balance trade by trade, then the equity marked now) with its
 * drawdown from the running peak, and the open positions with their stops and targets.
 */
import type { Deps } from '../deps.js';
import { positionView, type PositionView } from '../portfolio/status.js';
import { requirePortfolio } from '../trading/portfolios.js';
import { realizedBalanceSeries } from '../portfolio/balance-series.js';
import { loadSnapshot } from '../trading/ledger.js';
import type { ChartPosition, PortfolioChart } from './types.js';

const sec = (ms: number): number => Math.floor(ms / 1000);
const r2 = (x: number): number => Math.round(x * 100) / 100;

/** Drawdown in % from the running peak at each point (0 at a new high, negative below it). */
export function drawdowns(values: readonly number[]): number[] {
  let peak = -Infinity;
  return values.map((v) => {
    peak = Math.max(peak, v);
    return peak > 0 ? r2(((v - peak) / peak) * 100) : 0;
  });
}

export function chartPosition(
  p: Pick<
    PositionView,
    'id' | 'symbol' | 'direction' | 'entryPrice' | 'markPrice' | 'stopLoss' | 'takeProfit' | 'liquidationPrice' | 'unrealizedPnl' | 'unrealizedPct' | 'stale'
  >,
): ChartPosition {
  return {
    id: p.id,
    symbol: p.symbol,
    direction: p.direction,
    entry: p.entryPrice,
    mark: p.markPrice,
    stop: p.stopLoss,
    target: p.takeProfit,
    liquidation: p.liquidationPrice,
    unrealizedPnl: p.unrealizedPnl,
    unrealizedPct: p.unrealizedPct,
    stale: p.stale === true,
  };
}

export interface PortfolioChartInput {
  portfolio: string;
  /** The curve's label, e.g. `All Time`. */
  period: string;
  /** Start of the curve (epoch ms), or null for the portfolio's whole life. */
  from: number | null;
  /** The equity now and when it was marked (epoch ms): the curve's last point. */
  equity: number;
  at: number;
  returnPct: number | null;
  /** Open positions as the answer showed them; read from the ledger (at their last marks) when absent. */
  positions?: ChartPosition[] | undefined;
}

export async function portfolioChart(deps: Pick<Deps, 'db' | 'config' | 'clock'>, input: PortfolioChartInput): Promise<PortfolioChart> {
  const portfolio = await requirePortfolio(deps, input.portfolio);
  const series = await realizedBalanceSeries(deps.db, portfolio, input.from);
  const points = [...series.filter((p) => p.t <= input.at), { t: input.at, balance: input.equity }];
  // The chart's time unit is the second and its times must increase: trades booked within the
  // same second are drawn a second apart (invisible at any zoom a curve of hours is read at).
  const t: number[] = [];
  const equity: number[] = [];
  for (const p of points) {
    t.push(Math.max(sec(p.t), (t.at(-1) ?? -Infinity) + 1));
    equity.push(p.balance);
  }
  const drawdownPct = drawdowns(equity);
  const positions = input.positions ?? (await loadSnapshot(deps.db, portfolio.id, new Map())).positions.map((m) => chartPosition(positionView(m)));
  return {
    view: 'portfolio',
    portfolio: portfolio.name,
    period: input.period,
    startBalance: equity[0]!,
    equity: input.equity,
    returnPct: input.returnPct,
    curve: { t, equity, drawdownPct },
    maxDrawdownPct: Math.min(0, ...drawdownPct),
    positions,
  };
}
