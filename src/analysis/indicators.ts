/**
 * Indicator series: tight single-pass loops over plain number columns.
 *
 * Conventions (pinned by tests against StockCharts and TA-Lib reference values):
 * - Every series is a number[] aligned to the input (index i belongs to candle i). Warm-up
 *   slots hold NaN; NaN never leaves this layer (summaries guard with `finite()`/`must()`).
 * - No rounding anywhere in here.
 * - EMA(n): seeded with the SMA of the first n values (first value at index n-1), then
 *   ema += (x - ema) * 2/(n+1).
 * - RSI(n): Wilder. First average gain/loss = simple mean of the first n changes (first RSI at
 *   index n), then avg = (avg*(n-1) + x)/n. RSI = 100*avgGain/(avgGain+avgLoss).
 *   Flat market (no gains and no losses in the averages): RSI is undefined; we report 50 and set
 *   `flat` (TA-Lib answers 0, others 100 or NaN; 50 reads as "no momentum", which is what it is).
 * - MACD(f,s,sig): both EMAs seeded with their SMA (fast from index f-1, slow from s-1), line from
 *   index s-1, signal = EMA(sig) of the line seeded with the SMA of its first sig values (first
 *   signal at index s+sig-2, i.e. 33 for 12/26/9), histogram = line - signal.
 * - Bollinger(n,k): SMA(n) ± k × population standard deviation (divide by n, as TA-Lib and
 *   StockCharts). Bandwidth = (upper-lower)/middle × 100 (percent, StockCharts).
 * - True range needs the previous close, so it starts at index 1 (TA-Lib TRANGE).
 * - ATR(n): Wilder-smoothed true range seeded with the mean of the first n true ranges, i.e.
 *   TR[1..n], first ATR at index n (TA-Lib's seed). The other common seed counts bar 0's
 *   high-low as a true range (StockCharts, TradingView): it differs only during warm-up.
 * - Stochastic(k, smoothK, d) "slow": fast %K over k candles, %K = SMA(smoothK) of fast %K,
 *   %D = SMA(d) of %K. When the k-candle range is zero, fast %K is 50 (TA-Lib answers 0).
 * - ADX(n): Wilder. +DM/-DM/TR smoothed with S = S - S/n + x; +DI = 100·S(+DM)/S(TR);
 *   DX = 100·|+DI − −DI|/(+DI + −DI); first ADX = mean of the first n DX (index 2n-1), then
 *   ADX = (ADX·(n-1) + DX)/n. Seed 'wilder' (default; Wilder's book, StockCharts): the first smoothed
 *   sums are plain sums of the first n values (DI from index n). Seed 'talib': TA-Lib sums n-1
 *   values and applies one smoothing step at index n. The two converge (the gap shrinks by (n-1)/n
 *   per candle, below 1e-6 of the value after ~200 candles).
 *   When +DI + −DI is 0 (no directional movement at all), DX is 0.
 */
import { checkPeriod, checkPositive, insufficient } from './guards.js';

/** Read-only numeric column: number[] or a typed array. */
export type Column = ArrayLike<number>;

/** Packed double array of NaN (plain arrays: V8 allocates them on-heap, far cheaper than typed arrays here). */
function nanArray(n: number): number[] {
  const a: number[] = [];
  for (let i = 0; i < n; i++) a.push(Number.NaN);
  return a;
}

// Hot loops below index inside bounds they just checked; `!` only silences noUncheckedIndexedAccess.

/** Simple moving average; first value at index period-1. */
export function sma(values: Column, period: number): number[] {
  checkPeriod('SMA period', period);
  return smaFrom(values, period, 0);
}

/** SMA over values[start..]; used to smooth series that carry a NaN warm-up prefix. */
function smaFrom(values: Column, period: number, start: number): number[] {
  const n = values.length;
  const out = nanArray(n);
  if (n - start < period) return out;
  let sum = 0;
  for (let i = start; i < start + period; i++) sum += values[i]!;
  out[start + period - 1] = sum / period;
  for (let i = start + period; i < n; i++) {
    sum += values[i]! - values[i - period]!;
    out[i] = sum / period;
  }
  return out;
}

/** Exponential moving average seeded with the SMA of the first `period` values. */
export function ema(values: Column, period: number): number[] {
  checkPeriod('EMA period', period);
  const n = values.length;
  const out = nanArray(n);
  if (n < period) return out;
  let sum = 0;
  for (let i = 0; i < period; i++) sum += values[i]!;
  let e = sum / period;
  out[period - 1] = e;
  const k = 2 / (period + 1);
  for (let i = period; i < n; i++) {
    e += (values[i]! - e) * k;
    out[i] = e;
  }
  return out;
}

/**
 * EMA(period) at index end-1 (default: the last value) without allocating the series; NaN when
 * fewer than `period` values precede `end`.
 */
export function emaLast(values: Column, period: number, end = values.length): number {
  checkPeriod('EMA period', period);
  if (end < period) return Number.NaN;
  let sum = 0;
  for (let i = 0; i < period; i++) sum += values[i]!;
  let e = sum / period;
  const k = 2 / (period + 1);
  for (let i = period; i < end; i++) e += (values[i]! - e) * k;
  return e;
}

export interface RsiSeries {
  values: number[];
  /** True when the last RSI had no gains and no losses to average (reported as 50). */
  flat: boolean;
}

/** Wilder RSI. Needs period+1 values. */
export function rsi(values: Column, period = 14): RsiSeries {
  checkPeriod('RSI period', period);
  const n = values.length;
  if (n < period + 1) throw insufficient(`RSI(${period})`, period + 1, n);
  const out = nanArray(n);
  let gain = 0;
  let loss = 0;
  for (let i = 1; i <= period; i++) {
    const d = values[i]! - values[i - 1]!;
    if (d > 0) gain += d;
    else loss -= d;
  }
  gain /= period;
  loss /= period;
  out[period] = gain + loss === 0 ? 50 : (100 * gain) / (gain + loss);
  const m = period - 1;
  for (let i = period + 1; i < n; i++) {
    const d = values[i]! - values[i - 1]!;
    gain = (gain * m + (d > 0 ? d : 0)) / period;
    loss = (loss * m + (d < 0 ? -d : 0)) / period;
    out[i] = gain + loss === 0 ? 50 : (100 * gain) / (gain + loss);
  }
  return { values: out, flat: gain + loss === 0 };
}

export interface MacdSeries {
  macd: number[];
  signal: number[];
  histogram: number[];
}

/** MACD line, signal and histogram. Needs slow+signal-1 values (34 for 12/26/9). */
export function macd(values: Column, fast = 12, slow = 26, signal = 9): MacdSeries {
  checkPeriod('MACD fast period', fast);
  checkPeriod('MACD slow period', slow, fast + 1);
  checkPeriod('MACD signal period', signal);
  const n = values.length;
  const needed = slow + signal - 1;
  if (n < needed) throw insufficient(`MACD(${fast},${slow},${signal})`, needed, n);
  const line = nanArray(n);
  const sig = nanArray(n);
  const hist = nanArray(n);
  // One pass: both EMAs seeded with their SMA, then the signal EMA seeded with the SMA of the
  // first `signal` MACD values.
  const kf = 2 / (fast + 1);
  const ks = 2 / (slow + 1);
  const kg = 2 / (signal + 1);
  let ef = 0;
  let es = 0;
  let g = 0;
  for (let i = 0; i < n; i++) {
    const x = values[i]!;
    if (i < fast) {
      ef += x;
      if (i === fast - 1) ef /= fast;
    } else {
      ef += (x - ef) * kf;
    }
    if (i < slow) {
      es += x;
      if (i < slow - 1) continue;
      es /= slow;
    } else {
      es += (x - es) * ks;
    }
    const l = ef - es;
    line[i] = l;
    if (i < needed - 1) {
      g += l;
    } else if (i === needed - 1) {
      g = (g + l) / signal;
      sig[i] = g;
      hist[i] = l - g;
    } else {
      g += (l - g) * kg;
      sig[i] = g;
      hist[i] = l - g;
    }
  }
  return { macd: line, signal: sig, histogram: hist };
}

export interface BollingerSeries {
  middle: number[];
  upper: number[];
  lower: number[];
  /** Population standard deviation of the window. */
  sd: number[];
}

/**
 * Bollinger Bands with population standard deviation. Needs `period` values. `from` limits the
 * computation to windows ending at index >= from (earlier slots stay NaN).
 */
export function bollinger(values: Column, period = 20, multiplier = 2, from = 0): BollingerSeries {
  checkPeriod('Bollinger period', period);
  checkPositive('Bollinger multiplier', multiplier);
  const n = values.length;
  if (n < period) throw insufficient(`Bollinger(${period},${multiplier})`, period, n);
  const middle = nanArray(n);
  const upper = nanArray(n);
  const lower = nanArray(n);
  const sd = nanArray(n);
  // Two passes per window (mean, then squared deviations): exact for flat windows, no cancellation.
  for (let i = Math.max(period - 1, from); i < n; i++) {
    let sum = 0;
    for (let j = i - period + 1; j <= i; j++) sum += values[j]!;
    const mean = sum / period;
    let sq = 0;
    for (let j = i - period + 1; j <= i; j++) {
      const d = values[j]! - mean;
      sq += d * d;
    }
    const s = Math.sqrt(sq / period);
    middle[i] = mean;
    sd[i] = s;
    upper[i] = mean + multiplier * s;
    lower[i] = mean - multiplier * s;
  }
  return { middle, upper, lower, sd };
}

/** True range; index 0 is NaN (no previous close). */
export function trueRange(high: Column, low: Column, close: Column): number[] {
  const n = close.length;
  const out = nanArray(n);
  for (let i = 1; i < n; i++) out[i] = tr(high[i]!, low[i]!, close[i - 1]!);
  return out;
}

function tr(h: number, l: number, prevClose: number): number {
  let r = h - l;
  const a = h > prevClose ? h - prevClose : prevClose - h;
  if (a > r) r = a;
  const b = l > prevClose ? l - prevClose : prevClose - l;
  if (b > r) r = b;
  return r;
}

/** ATR, Wilder smoothing, TA-Lib seed (mean of TR[1..period], first value at index period). */
export function atr(high: Column, low: Column, close: Column, period = 14): number[] {
  checkPeriod('ATR period', period);
  const n = close.length;
  if (n < period + 1) throw insufficient(`ATR(${period})`, period + 1, n);
  const out = nanArray(n);
  let sum = 0;
  for (let i = 1; i <= period; i++) sum += tr(high[i]!, low[i]!, close[i - 1]!);
  let a = sum / period;
  out[period] = a;
  const m = period - 1;
  for (let i = period + 1; i < n; i++) {
    a = (a * m + tr(high[i]!, low[i]!, close[i - 1]!)) / period;
    out[i] = a;
  }
  return out;
}

export interface StochasticSeries {
  /** Slow %K (fast %K smoothed by SMA(smoothK)); equals fast %K when smoothK is 1. */
  k: number[];
  /** %D = SMA(dPeriod) of %K. */
  d: number[];
}

/**
 * Slow stochastic. Needs kPeriod+smoothK+dPeriod-2 values (18 for 14,3,3). With `from`, only what
 * the values at index >= from depend on is computed (earlier slots may stay NaN).
 */
export function stochastic(high: Column, low: Column, close: Column, kPeriod = 14, smoothK = 3, dPeriod = 3, from = 0): StochasticSeries {
  checkPeriod('Stochastic %K period', kPeriod);
  checkPeriod('Stochastic %K smoothing', smoothK);
  checkPeriod('Stochastic %D period', dPeriod);
  const n = close.length;
  const needed = kPeriod + smoothK + dPeriod - 2;
  if (n < needed) throw insufficient(`Stochastic(${kPeriod},${smoothK},${dPeriod})`, needed, n);
  const start = Math.max(kPeriod - 1, Math.min(from, n - 1) - (smoothK - 1) - (dPeriod - 1));
  const fastK = nanArray(n);
  for (let i = start; i < n; i++) {
    let hh = high[i]!;
    let ll = low[i]!;
    for (let j = i - kPeriod + 1; j < i; j++) {
      const h = high[j]!;
      const l = low[j]!;
      if (h > hh) hh = h;
      if (l < ll) ll = l;
    }
    const range = hh - ll;
    fastK[i] = range > 0 ? (100 * (close[i]! - ll)) / range : 50;
  }
  const k = smoothK === 1 ? fastK : smaFrom(fastK, smoothK, start);
  const d = smaFrom(k, dPeriod, start + smoothK - 1);
  return { k, d };
}

export type AdxSeed = 'wilder' | 'talib';

export interface AdxSeries {
  adx: number[];
  plusDI: number[];
  minusDI: number[];
  dx: number[];
}

/** ADX with +DI/-DI (Wilder). Needs 2·period values (28 for 14); DI and DX start at index period. */
export function adx(high: Column, low: Column, close: Column, period = 14, seed: AdxSeed = 'wilder'): AdxSeries {
  checkPeriod('ADX period', period, 2);
  const n = close.length;
  const needed = 2 * period;
  if (n < needed) throw insufficient(`ADX(${period})`, needed, n);
  const adxOut = nanArray(n);
  const plusDI = nanArray(n);
  const minusDI = nanArray(n);
  const dx = nanArray(n);
  let sP = 0;
  let sM = 0;
  let sT = 0;
  const seedEnd = seed === 'wilder' ? period : period - 1;
  let dxSum = 0;
  let a = 0;
  for (let i = 1; i < n; i++) {
    const up = high[i]! - high[i - 1]!;
    const down = low[i - 1]! - low[i]!;
    const pdm = up > down && up > 0 ? up : 0;
    const mdm = down > up && down > 0 ? down : 0;
    const t = tr(high[i]!, low[i]!, close[i - 1]!);
    if (i <= seedEnd) {
      sP += pdm;
      sM += mdm;
      sT += t;
      if (i < period) continue;
    } else {
      sP += pdm - sP / period;
      sM += mdm - sM / period;
      sT += t - sT / period;
    }
    const p = sT > 0 ? (100 * sP) / sT : 0;
    const m = sT > 0 ? (100 * sM) / sT : 0;
    const x = p + m > 0 ? (100 * Math.abs(p - m)) / (p + m) : 0;
    plusDI[i] = p;
    minusDI[i] = m;
    dx[i] = x;
    if (i < 2 * period - 1) {
      dxSum += x;
    } else if (i === 2 * period - 1) {
      a = (dxSum + x) / period;
      adxOut[i] = a;
    } else {
      a = (a * (period - 1) + x) / period;
      adxOut[i] = a;
    }
  }
  return { adx: adxOut, plusDI, minusDI, dx };
}

/** Mean of the last `period` values (volume SMA). NaN when there are fewer values. */
export function meanLast(values: Column, period: number): number {
  const n = values.length;
  if (n < period) return Number.NaN;
  let sum = 0;
  for (let i = n - period; i < n; i++) sum += values[i]!;
  return sum / period;
}
