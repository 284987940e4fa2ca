/**
 * The standard parameter set the desk commits to, and a per-candle-set cache so a snapshot computes
 * each series once even when several areas read it (RSI feeds momentum and divergence, ...).
 */
import type { Columns } from './guards.js';
import { iso } from './present.js';
import {
  adx,
  atr,
  bollinger,
  macd,
  rsi,
  stochastic,
  type AdxSeries,
  type BollingerSeries,
  type MacdSeries,
  type RsiSeries,
  type StochasticSeries,
} from './indicators.js';
import { swingHighs, swingLows } from './swings.js';

export const PARAMS = {
  rsi: 14,
  macd: { fast: 12, slow: 26, signal: 9 },
  bollinger: { period: 20, multiplier: 2 },
  atr: 14,
  stochastic: { k: 14, smoothK: 3, d: 3 },
  adx: 14,
  ema: [20, 50, 200] as const,
  volumeSma: 20,
  /** Candles on each side of a swing high/low (a 7-candle fractal). */
  swingWindow: 3,
  /** Bandwidth history used for `bandwidthPercentile`. */
  bandwidthHistory: 120,
} as const;

/** Requirement lists per area: [indicator label, candles needed]. */
export const REQUIREMENTS = {
  momentum: [
    ['RSI(14)', 15],
    ['Stochastic(14,3,3)', 18],
    ['MACD(12,26,9)', 34],
  ],
  volatility: [
    ['ATR(14)', 15],
    ['Bollinger(20,2)', 20],
  ],
  trend: [
    ['EMA(20)', 20],
    ['ADX(14)', 28],
    ['EMA(50)', 50],
  ],
  volume: [['Volume SMA(20)', 20]],
  patterns: [
    ['RSI(14)', 15],
    ['Pattern analysis', 20],
  ],
} as const satisfies Record<string, ReadonlyArray<readonly [string, number]>>;

/** Minimum closed candles per summary (the largest requirement of each area). */
export const MIN_CANDLES = {
  momentum: 34,
  volatility: 20,
  trend: 50,
  volume: 20,
  patterns: 20,
  /** Per timeframe in a snapshot: every area. EMA200 is reported as null below 200 candles. */
  snapshot: 50,
  /** Candles for a non-null EMA200. */
  ema200: 200,
} as const;

export class SeriesCache {
  private rsiS: RsiSeries | undefined;
  private macdS: MacdSeries | undefined;
  private stochS: StochasticSeries | undefined;
  private atrS: readonly number[] | undefined;
  private adxS: AdxSeries | undefined;
  private bbS: BollingerSeries | undefined;
  private bbHistS: BollingerSeries | undefined;
  private highsS: number[] | undefined;
  private lowsS: number[] | undefined;

  private readonly isoMemo = new Map<number, string>();

  constructor(readonly cols: Columns) {}

  /** ISO-8601 open time of candle i (memoised: several summaries print the same times). */
  iso(i: number): string {
    let t = this.isoMemo.get(i);
    if (t === undefined) {
      t = iso(this.cols.time[i]!);
      this.isoMemo.set(i, t);
    }
    return t;
  }

  get last(): number {
    return this.cols.n - 1;
  }

  get rsi(): RsiSeries {
    return (this.rsiS ??= rsi(this.cols.close, PARAMS.rsi));
  }

  get macd(): MacdSeries {
    const p = PARAMS.macd;
    return (this.macdS ??= macd(this.cols.close, p.fast, p.slow, p.signal));
  }

  get stochastic(): StochasticSeries {
    const p = PARAMS.stochastic;
    // Summaries read only the last %K/%D, so only their inputs are computed.
    return (this.stochS ??= stochastic(this.cols.high, this.cols.low, this.cols.close, p.k, p.smoothK, p.d, this.cols.n - 1));
  }

  get atr(): readonly number[] {
    return (this.atrS ??= atr(this.cols.high, this.cols.low, this.cols.close, PARAMS.atr));
  }

  get adx(): AdxSeries {
    return (this.adxS ??= adx(this.cols.high, this.cols.low, this.cols.close, PARAMS.adx));
  }

  /** Bollinger bands for the last window only. */
  get bollingerLast(): BollingerSeries {
    const p = PARAMS.bollinger;
    return (this.bbS ??= bollinger(this.cols.close, p.period, p.multiplier, this.cols.n - 1));
  }

  /** Bollinger bands for the last `bandwidthHistory` windows. */
  get bollingerHistory(): BollingerSeries {
    const p = PARAMS.bollinger;
    return (this.bbHistS ??= bollinger(this.cols.close, p.period, p.multiplier, this.cols.n - PARAMS.bandwidthHistory));
  }

  get swingHighs(): number[] {
    return (this.highsS ??= swingHighs(this.cols.high, PARAMS.swingWindow));
  }

  get swingLows(): number[] {
    return (this.lowsS ??= swingLows(this.cols.low, PARAMS.swingWindow));
  }
}
