/**
 * What the chart views draw: the payload a tool result carries in `_meta['cctrader/chart']` for
 * hosts that render MCP App views, and that an HTML report page carries inline. The views
 * (views/src/) import these types only; this file imports nothing, so it compiles for both Node
 * and the browser.
 *
 * Units: times are epoch seconds (the chart library's unit), prices and money plain numbers.
 * Series are columnar (one array per field, aligned by index) to keep the payload small.
 */

/** The result `_meta` key holding a view's payload. Hosts do not pass `_meta` to the model. */
export const CHART_META_KEY = 'cctrader/chart';

export const VIEW_NAMES = ['candles', 'portfolio', 'scorecard', 'replay'] as const;
export type ViewName = (typeof VIEW_NAMES)[number];

/** Columnar OHLCV, ascending by time. */
export interface Ohlcv {
  t: number[];
  o: number[];
  h: number[];
  l: number[];
  c: number[];
  v: number[];
}

/** A trade's levels drawn on the price: an open position's, else a recent signal's. */
export interface TradeLevels {
  source: 'position' | 'signal';
  id: number;
  direction: 'long' | 'short';
  entry: number;
  stop: number | null;
  target: number | null;
  /** When the position was opened or the signal made, epoch seconds. */
  at: number;
  /** The signal's status (executed, rejected, ...) or `open` for a position. */
  status: string;
}

export interface CandlePanel extends Ohlcv {
  timeframe: string;
  /** True when the last candle is still forming. */
  forming: boolean;
  /** Indicator series aligned with the candles; null during warm-up. */
  ema20: Array<number | null>;
  ema50: Array<number | null>;
  bbUpper: Array<number | null>;
  bbMiddle: Array<number | null>;
  bbLower: Array<number | null>;
  support: number | null;
  resistance: number | null;
}

export interface CandlesChart {
  view: 'candles';
  symbol: string;
  market: 'perpetual' | 'spot';
  /** One panel per timeframe (a snapshot has several, market data one), shown as tabs. */
  panels: CandlePanel[];
  trade: TradeLevels | null;
}

export interface ChartPosition {
  id: number;
  symbol: string;
  direction: 'long' | 'short';
  entry: number;
  mark: number;
  stop: number | null;
  target: number | null;
  liquidation: number | null;
  unrealizedPnl: number;
  unrealizedPct: number | null;
  stale: boolean;
}

export interface PortfolioChart {
  view: 'portfolio';
  portfolio: string;
  /** What the curve covers, e.g. `All Time`, `Last 7 Days`. */
  period: string;
  startBalance: number;
  equity: number;
  returnPct: number | null;
  /** The realized balance after each trade (the period's start first), then the equity now. */
  curve: { t: number[]; equity: number[]; drawdownPct: number[] };
  maxDrawdownPct: number;
  positions: ChartPosition[];
}

export interface ScorecardBucket {
  key: string;
  signals: number;
  decided: number;
  pending: number;
  targets: number;
  stops: number;
  expired: number;
  hitRate: number | null;
  avgR: number | null;
  avgConfidence: number | null;
}

export interface ScorecardChart {
  view: 'scorecard';
  since: string | null;
  to: string;
  analyst: string;
  horizonHours: number;
  totals: { signals: number; decided: number; hitRate: number | null; avgR: number | null };
  buckets: ScorecardBucket[];
}

export interface ReplayChartTrade {
  direction: 'long' | 'short';
  openedAt: number;
  entry: number;
  closedAt: number | null;
  exit: number | null;
  pnl: number | null;
  reason: string | null;
}

export interface ReplayMarket extends Ohlcv {
  symbol: string;
  timeframe: string;
  trades: ReplayChartTrade[];
}

export interface ReplayChart {
  view: 'replay';
  id: string;
  analyst: string;
  window: { from: string; to: string; every: string };
  startBalance: number;
  performance: { totalReturnPct: number; maxDrawdownPct: number; trades: number; winRate: number | null; sharpe: number | null };
  /** The replay's equity at its steps (thinned to at most a few hundred points). */
  equity: { t: number[]; v: number[] };
  /** Buy and hold, as the equity it would have had, at the same times; null where no price was known. */
  benchmarks: Array<{ name: string; finalPct: number | null; v: Array<number | null> }>;
  /** The most traded symbols' candles over the window with their trades. */
  markets: ReplayMarket[];
  tradesTotal: number;
}

export type ChartPayload = CandlesChart | PortfolioChart | ScorecardChart | ReplayChart;
