/**
 * Swing highs/lows (fractals), nearest support/resistance and RSI divergence.
 *
 * A swing high at index i with window w: high[i] is above the w highs before it and not below the
 * w highs after it (the first candle of an equal-high run wins). Swing lows mirror that. A swing is
 * only confirmed once w candles have closed after it, so the last w candles are never swings.
 */
import type { Column } from './indicators.js';

/** Indices of confirmed swing highs, ascending. */
export function swingHighs(high: Column, window: number): number[] {
  const out: number[] = [];
  const n = high.length;
  outer: for (let i = window; i < n - window; i++) {
    const h = high[i]!;
    for (let k = 1; k <= window; k++) {
      if (!(h > high[i - k]!) || h < high[i + k]!) continue outer;
    }
    out.push(i);
  }
  return out;
}

/** Indices of confirmed swing lows, ascending. */
export function swingLows(low: Column, window: number): number[] {
  const out: number[] = [];
  const n = low.length;
  outer: for (let i = window; i < n - window; i++) {
    const l = low[i]!;
    for (let k = 1; k <= window; k++) {
      if (!(l < low[i - k]!) || l > low[i + k]!) continue outer;
    }
    out.push(i);
  }
  return out;
}

export interface Levels {
  /** Highest swing price (high or low) strictly below `price`, or null. */
  support: number | null;
  /** Lowest swing price (high or low) strictly above `price`, or null. */
  resistance: number | null;
}

/**
 * Nearest support below and resistance above `price` among swing highs and swing lows: a broken
 * swing high below the price is support, a broken swing low above it is resistance.
 */
export function nearestLevels(price: number, high: Column, low: Column, highs: readonly number[], lows: readonly number[]): Levels {
  let support = Number.NEGATIVE_INFINITY;
  let resistance = Number.POSITIVE_INFINITY;
  const consider = (p: number): void => {
    if (p < price && p > support) support = p;
    else if (p > price && p < resistance) resistance = p;
  };
  for (const i of highs) consider(high[i]!);
  for (const i of lows) consider(low[i]!);
  return {
    support: support === Number.NEGATIVE_INFINITY ? null : support,
    resistance: resistance === Number.POSITIVE_INFINITY ? null : resistance,
  };
}

export type DivergenceType = 'bullish' | 'bearish';

export interface DivergenceHit {
  type: DivergenceType;
  /** Index of the earlier and the later swing. */
  from: number;
  to: number;
  price: [number, number];
  rsi: [number, number];
}

/**
 * Regular RSI divergence between the last two swings of each kind:
 * bullish = price lower low while RSI makes a higher low; bearish = price higher high while RSI
 * makes a lower high. Swings whose RSI is still in warm-up are skipped. When both kinds are
 * present, the one whose later swing is more recent wins.
 */
export function rsiDivergence(high: Column, low: Column, rsiValues: Column, highs: readonly number[], lows: readonly number[]): DivergenceHit | null {
  const bull = lastTwo(lows, rsiValues);
  const bear = lastTwo(highs, rsiValues);
  let bullish: DivergenceHit | null = null;
  let bearish: DivergenceHit | null = null;
  if (bull) {
    const [a, b] = bull;
    const pa = low[a]!;
    const pb = low[b]!;
    const ra = rsiValues[a]!;
    const rb = rsiValues[b]!;
    if (pb < pa && rb > ra) bullish = { type: 'bullish', from: a, to: b, price: [pa, pb], rsi: [ra, rb] };
  }
  if (bear) {
    const [a, b] = bear;
    const pa = high[a]!;
    const pb = high[b]!;
    const ra = rsiValues[a]!;
    const rb = rsiValues[b]!;
    if (pb > pa && rb < ra) bearish = { type: 'bearish', from: a, to: b, price: [pa, pb], rsi: [ra, rb] };
  }
  if (bullish && bearish) return bullish.to >= bearish.to ? bullish : bearish;
  return bullish ?? bearish;
}

function lastTwo(indices: readonly number[], rsiValues: Column): [number, number] | null {
  const len = indices.length;
  if (len < 2) return null;
  const a = indices[len - 2]!;
  const b = indices[len - 1]!;
  if (!Number.isFinite(rsiValues[a]!) || !Number.isFinite(rsiValues[b]!)) return null;
  return [a, b];
}
