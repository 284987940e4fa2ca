/**
 * The candle view's data (fetch_market_data, fetch_technical_snapshot): the candles a tool
 * answered from, EMA 20/50 and Bollinger(20, 2) computed over the same closed candles the
 * analysis used (so the last values equal the ones the model was told), the nearest support and
 * resistance, and the levels of an open position or a recent signal on the symbol.
 */
import type { Deps } from '../deps.js';
import { bollinger, ema } from '../analysis/indicators.js';
import { patterns } from '../analysis/patterns.js';
import { sig } from '../market/quotes.js';
import type { Candle, Timeframe } from '../market/types.js';
import { findPortfolio, DEFAULT_PORTFOLIO } from '../trading/portfolios.js';
import { getSignalHistory } from '../signals/history.js';
import { openPositionOn } from '../trading/ledger.js';
import { num, toDec } from '../shared/money.js';
import type { CandlePanel, CandlesChart, TradeLevels } from './types.js';

/** Candles a snapshot panel shows (the indicators are computed over all the analysis read). */
export const SNAPSHOT_PANEL_CANDLES = 120;
/** Closed candles read before the first one shown, so that EMA50 and the bands start on it. */
const WARM_UP = 60;

const sec = (ms: number): number => Math.floor(ms / 1000);
/** An indicator value to 8 significant digits (a price's precision; a chart needs no more), or null in warm-up. */
const orNull = (x: number | undefined): number | null => (x !== undefined && Number.isFinite(x) ? sig(x, 8) : null);

/** An indicator series, or none when the history is too short for it (the chart then leaves it out). */
function orEmpty(series: () => number[]): number[] {
  try {
    return series();
  } catch {
    return [];
  }
}

/** The panel of `shown` last candles of `closed` (plus the forming one), indicators over all of `closed`. */
export function candlePanel(
  timeframe: Timeframe,
  closed: readonly Candle[],
  shown: number,
  forming: Candle | null,
  levels: { support: number | null; resistance: number | null },
): CandlePanel {
  const close = closed.map((c) => c.close);
  const e20 = orEmpty(() => ema(close, 20));
  const e50 = orEmpty(() => ema(close, 50));
  let bb: { upper: number[]; middle: number[]; lower: number[] } = { upper: [], middle: [], lower: [] };
  if (close.length >= 20) bb = bollinger(close, 20, 2);
  const from = Math.max(0, closed.length - shown);
  const rows = closed.slice(from);
  const pick = (series: ArrayLike<number>): Array<number | null> => {
    const out: Array<number | null> = [];
    for (let i = from; i < closed.length; i++) out.push(orNull(series[i]));
    if (forming) out.push(null);
    return out;
  };
  const all = forming ? [...rows, forming] : rows;
  return {
    timeframe,
    t: all.map((c) => sec(c.time)),
    o: all.map((c) => c.open),
    h: all.map((c) => c.high),
    l: all.map((c) => c.low),
    c: all.map((c) => c.close),
    v: all.map((c) => c.volume),
    forming: forming !== null,
    ema20: pick(e20),
    ema50: pick(e50),
    bbUpper: pick(bb.upper),
    bbMiddle: pick(bb.middle),
    bbLower: pick(bb.lower),
    support: levels.support,
    resistance: levels.resistance,
  };
}

/**
 * The levels to draw for `symbol`: the open position of the portfolio on it, else the newest signal
 * on it made within OUTCOME_HORIZON_HOURS (the window its outcome is judged over).
 */
export async function tradeLevels(deps: Pick<Deps, 'db' | 'clock' | 'config'>, symbol: string, portfolio = DEFAULT_PORTFOLIO): Promise<TradeLevels | null> {
  const p = await findPortfolio(deps.db, portfolio);
  const position = p ? await openPositionOn(deps.db, p.id, symbol) : undefined;
  if (position) {
    return {
      source: 'position',
      id: position.id,
      direction: position.direction,
      entry: num(toDec(position.entry_price)),
      stop: position.stop_loss === null ? null : num(toDec(position.stop_loss)),
      target: position.take_profit === null ? null : num(toDec(position.take_profit)),
      at: sec(position.opened_at),
      status: 'open',
    };
  }
  const { items } = await getSignalHistory(deps.db, { symbol, limit: 1, analysisChars: 1 });
  const signal = items[0];
  if (!signal) return null;
  const at = Date.parse(signal.at);
  if (deps.clock.now() - at > deps.config.OUTCOME_HORIZON_HOURS * 3_600_000) return null;
  return {
    source: 'signal',
    id: signal.id,
    direction: signal.direction,
    entry: signal.entry,
    stop: signal.stopLoss,
    target: signal.takeProfit,
    at: sec(at),
    status: signal.status,
  };
}

/** Closed candles up to and including the one opened at `asOfMs` (a later fetch may have more). */
function upTo(candles: readonly Candle[], asOfMs: number): Candle[] {
  let end = candles.length;
  while (end > 0 && candles[end - 1]!.time > asOfMs) end--;
  return candles.slice(0, end);
}

export interface SnapshotChartInput {
  symbol: string;
  market: 'perpetual' | 'spot';
  /** The timeframes the snapshot analysed, with the open time of their last closed candle. */
  timeframes: Array<{ timeframe: Timeframe; asOf: string }>;
  keyLevels: { support: { price: number } | null; resistance: { price: number } | null };
  /** Candles the analysis read per timeframe. */
  count: number;
  portfolio?: string | undefined;
}

/** The snapshot's panels: one per timeframe that was analysed, levels from its key levels. */
export async function snapshotChart(deps: Deps, input: SnapshotChartInput): Promise<CandlesChart> {
  const levels = { support: input.keyLevels.support?.price ?? null, resistance: input.keyLevels.resistance?.price ?? null };
  const panels = await Promise.all(
    input.timeframes.map(async ({ timeframe, asOf }) => {
      const series = await deps.market.candles(input.symbol, timeframe, { limit: input.count });
      return candlePanel(timeframe, upTo(series.candles, Date.parse(asOf)), SNAPSHOT_PANEL_CANDLES, null, levels);
    }),
  );
  return { view: 'candles', symbol: input.symbol, market: input.market, panels, trade: await tradeLevels(deps, input.symbol, input.portfolio) };
}

export interface MarketChartInput {
  symbol: string;
  market: 'perpetual' | 'spot';
  timeframe: Timeframe;
  asOf: string;
  /** Closed candles the answer summarised. */
  candles: number;
  forming: { t: string; o: number; h: number; l: number; c: number; v: number } | null;
  portfolio?: string | undefined;
}

/** fetch_market_data's panel: the candles it summarised and the forming one, support and resistance over them. */
export async function marketDataChart(deps: Deps, input: MarketChartInput): Promise<CandlesChart> {
  const series = await deps.market.candles(input.symbol, input.timeframe, { limit: input.candles + WARM_UP });
  const closed = upTo(series.candles, Date.parse(input.asOf));
  const window = closed.slice(-input.candles);
  let levels: { support: number | null; resistance: number | null } = { support: null, resistance: null };
  try {
    const p = patterns(window);
    levels = { support: p.support, resistance: p.resistance };
  } catch {
    // Too few candles for swings: the chart simply has no levels.
  }
  const f = input.forming;
  const forming = f ? { time: Date.parse(f.t), open: f.o, high: f.h, low: f.l, close: f.c, volume: f.v } : null;
  const panel = candlePanel(input.timeframe, closed, input.candles, forming, levels);
  return { view: 'candles', symbol: input.symbol, market: input.market, panels: [panel], trade: await tradeLevels(deps, input.symbol, input.portfolio) };
}
