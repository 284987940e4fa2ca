/**
 * Patterns summary: candlestick patterns on the last closed candles, swing highs/lows with the
 * nearest support and resistance, and regular RSI(14) divergence between the last two swings.
 */
import type { Candle } from '../market/types.js';
import { detectCandlesticks } from './candlestick.js';
import { checkPeriod, requireHistory, toColumns } from './guards.js';
import { formatter, type Formatter } from './present.js';
import { PARAMS, REQUIREMENTS, SeriesCache } from './series-cache.js';
import { nearestLevels, rsiDivergence, swingHighs, swingLows } from './swings.js';
import type { PatternsOptions, PatternsSummary, SwingPoint } from './types.js';

/** Needs 20 closed candles. */
export function patterns(candles: readonly Candle[], options: PatternsOptions = {}): PatternsSummary {
  const window = options.swingWindow ?? PARAMS.swingWindow;
  const maxSwings = options.maxSwings ?? 3;
  const lookback = options.candlestickLookback ?? 3;
  checkPeriod('swingWindow', window);
  checkPeriod('maxSwings', maxSwings);
  checkPeriod('candlestickLookback', lookback);
  return patternsFrom(new SeriesCache(toColumns(candles)), formatter(options.precision), { window, maxSwings, lookback });
}

export interface PatternsParams {
  window: number;
  /** Swing points listed per side; 0 lists none (the snapshot only needs the levels). */
  maxSwings: number;
  lookback: number;
}

export function patternsFrom(s: SeriesCache, f: Formatter, p: PatternsParams = { window: PARAMS.swingWindow, maxSwings: 3, lookback: 3 }): PatternsSummary {
  requireHistory(s.cols.n, REQUIREMENTS.patterns);
  const c = s.cols;
  const i = s.last;
  const close = c.close[i]!;
  const highs = p.window === PARAMS.swingWindow ? s.swingHighs : swingHighs(c.high, p.window);
  const lows = p.window === PARAMS.swingWindow ? s.swingLows : swingLows(c.low, p.window);
  const levels = nearestLevels(close, c.high, c.low, highs, lows);
  const div = rsiDivergence(c.high, c.low, s.rsi.values, highs, lows);
  const point =
    (col: readonly number[]) =>
    (j: number): SwingPoint => ({ time: s.iso(j), price: f.price(col[j]!) });
  return {
    asOf: s.iso(i),
    close: f.price(close),
    candlestick: detectCandlesticks(c, p.lookback).map((h) => ({ name: h.name, time: s.iso(h.index), bias: h.bias })),
    support: levels.support === null ? null : f.price(levels.support),
    resistance: levels.resistance === null ? null : f.price(levels.resistance),
    swingHighs: p.maxSwings > 0 ? highs.slice(-p.maxSwings).map(point(c.high)) : [],
    swingLows: p.maxSwings > 0 ? lows.slice(-p.maxSwings).map(point(c.low)) : [],
    divergence: div && {
      type: div.type,
      from: s.iso(div.from),
      to: s.iso(div.to),
      price: [f.price(div.price[0]), f.price(div.price[1])],
      rsi: [f.osc(div.rsi[0]), f.osc(div.rsi[1])],
      candlesAgo: i - div.to,
    },
  };
}
