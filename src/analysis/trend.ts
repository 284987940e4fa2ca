/** Trend summary: EMA 20/50/200, ADX(14) with ±DI, and a direction/strength verdict. */
import type { Candle } from '../market/types.js';
import { finite, must, requireHistory, toColumns } from './guards.js';
import { emaLast } from './indicators.js';
import { formatter, type Formatter } from './present.js';
import { MIN_CANDLES, REQUIREMENTS, SeriesCache } from './series-cache.js';
import type { AnalysisOptions, TrendDirection, TrendStrength, TrendSummary } from './types.js';

/** Candles over which the EMA20 slope is measured. */
const SLOPE_CANDLES = 5;

/**
 * Needs 50 closed candles (EMA50). With fewer than 200, ema200 is null and a note says so rather
 * than failing the whole answer: EMA 20/50 and ADX are still meaningful on shorter history.
 */
export function trend(candles: readonly Candle[], options: AnalysisOptions = {}): TrendSummary {
  return trendFrom(new SeriesCache(toColumns(candles)), formatter(options.precision));
}

export function trendFrom(s: SeriesCache, f: Formatter): TrendSummary {
  requireHistory(s.cols.n, REQUIREMENTS.trend);
  const { n, close } = s.cols;
  const i = s.last;
  const c = close[i]!;
  const e20 = must(emaLast(close, 20), 'EMA20');
  const e20Before = must(emaLast(close, 20, n - SLOPE_CANDLES), 'EMA20');
  const e50 = must(emaLast(close, 50), 'EMA50');
  const e200 = finite(emaLast(close, 200)); // NaN (→ null) below 200 candles
  const a = s.adx;
  const adxV = must(a.adx[i]!, 'ADX');
  const p = must(a.plusDI[i]!, '+DI');
  const m = must(a.minusDI[i]!, '-DI');

  const votes = [Math.sign(c - e20), Math.sign(e20 - e50), Math.sign(p - m), Math.sign(e20 - e20Before)];
  if (e200 !== null) votes.push(Math.sign(e50 - e200));
  const net = votes.reduce((x, y) => x + y, 0) / votes.length;
  const direction: TrendDirection = net >= 0.5 ? 'up' : net <= -0.5 ? 'down' : 'sideways';
  const strength: TrendStrength = adxV >= 25 ? 'strong' : adxV >= 20 ? 'moderate' : 'weak';
  const notes: string[] = [];
  if (e200 === null) notes.push(`ema200 needs ${MIN_CANDLES.ema200} candles, got ${n}; the direction vote leaves out EMA50 vs EMA200`);

  return {
    asOf: s.iso(i),
    close: f.price(c),
    ema: { ema20: f.price(e20), ema50: f.price(e50), ema200: e200 === null ? null : f.price(e200) },
    adx: f.osc(adxV),
    plusDI: f.osc(p),
    minusDI: f.osc(m),
    direction,
    strength,
    notes,
  };
}
