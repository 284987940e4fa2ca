/**
 * Output shapes of the analysis summaries. Field names are the ones the desk commits to in the
 * analyze_* tools. Times are ISO-8601 UTC open times of candles; `asOf` is the open time of the
 * last closed candle used. Prices are in the quote currency of the candles.
 */
import type { Precision } from './present.js';

export interface AnalysisOptions {
  /** 'display' (default) rounds at the output (see present.ts); 'full' keeps every digit. */
  precision?: Precision;
}

export type Cross = 'bullish' | 'bearish';

export interface MacdSummary {
  macd: number;
  signal: number;
  histogram: number;
  /** Candles since the MACD line last crossed its signal line (0 = on the last candle); null if no cross in the history. */
  crossedAgo: number | null;
  /** bullish = MACD crossed above the signal line; bearish = below. Null when crossedAgo is null. */
  crossDirection: Cross | null;
}

export interface MomentumSummary {
  asOf: string;
  close: number;
  /** RSI(14), Wilder. 50 when flat. */
  rsi: number;
  /** True when the RSI window had no gains and no losses (RSI undefined, reported as 50). */
  flat: boolean;
  macd: MacdSummary;
  /** Slow stochastic (14,3,3): %K = SMA3 of fast %K, %D = SMA3 of %K. 0–100. */
  stochastic: { k: number; d: number };
}

export interface BollingerSummary {
  upper: number;
  middle: number;
  lower: number;
  /** (close − lower)/(upper − lower): 0 at the lower band, 1 at the upper; 0.5 when the bands are flat. */
  percentB: number;
  /** (upper − lower)/middle × 100, percent. */
  bandwidth: number;
}

export interface VolatilitySummary {
  asOf: string;
  close: number;
  /** Bollinger(20,2), population standard deviation. */
  bollinger: BollingerSummary;
  /** ATR(14), Wilder, in price units. */
  atr: number;
  /** atr / close × 100. */
  atrPct: number;
  /** Share (0–100) of the previous up-to-119 bandwidth values below the current one; low = squeeze. Null with fewer than 40 candles. */
  bandwidthPercentile: number | null;
}

export type TrendDirection = 'up' | 'down' | 'sideways';
export type TrendStrength = 'strong' | 'moderate' | 'weak';

export interface TrendSummary {
  asOf: string;
  close: number;
  /** EMAs seeded with their SMA. ema200 is null with fewer than 200 candles (see notes). */
  ema: { ema20: number; ema50: number; ema200: number | null };
  /** ADX(14), Wilder; 0–100. */
  adx: number;
  plusDI: number;
  minusDI: number;
  /**
   * Vote of: close vs EMA20, EMA20 vs EMA50, EMA50 vs EMA200 (when available), +DI vs −DI, and the
   * EMA20 slope over 5 candles. up/down when the net vote is at least half of the votes.
   */
  direction: TrendDirection;
  /** From ADX: strong >= 25, moderate 20–25, weak < 20. */
  strength: TrendStrength;
  notes: string[];
}

export interface VolumeSummary {
  asOf: string;
  /** Volume of the last candle (base asset). */
  volume: number;
  /** Mean volume of the last 20 candles, including the last one. */
  sma20: number;
  /** volume / sma20; null when the last 20 candles traded nothing. */
  relative: number | null;
}

export type PatternBias = 'bullish' | 'bearish' | 'neutral';

export interface CandlestickPattern {
  name: string;
  /** Open time of the pattern's last candle. */
  time: string;
  bias: PatternBias;
}

export interface SwingPoint {
  time: string;
  price: number;
}

export interface DivergenceSummary {
  /** bullish: price lower low, RSI higher low (last two swing lows); bearish: the mirror on swing highs. */
  type: Cross;
  from: string;
  to: string;
  price: [number, number];
  rsi: [number, number];
  /** Candles between the later swing and the last candle. */
  candlesAgo: number;
}

export interface PatternsSummary {
  asOf: string;
  close: number;
  /** Patterns ending on one of the last 3 closed candles, oldest first. */
  candlestick: CandlestickPattern[];
  /** Nearest swing level (high or low) below the close; null if none. */
  support: number | null;
  /** Nearest swing level (high or low) above the close; null if none. */
  resistance: number | null;
  /** The most recent confirmed swing highs/lows (up to 3 each), oldest first. */
  swingHighs: SwingPoint[];
  swingLows: SwingPoint[];
  divergence: DivergenceSummary | null;
}

export interface PatternsOptions extends AnalysisOptions {
  /** Candles on each side of a swing (fractal half-width). Default 3. */
  swingWindow?: number;
  /** Swing points listed per side. Default 3. */
  maxSwings?: number;
  /** Closed candles at the end scanned for candlestick patterns. Default 3. */
  candlestickLookback?: number;
}
