/**
 * Input checks and typed failures for the analysis layer.
 *
 * Every indicator works on closed candles, ascending by open time. Candles are validated once and
 * copied into columns (`Columns`, packed double arrays) so the hot loops read plain arrays.
 */
import { AppError } from '../errors.js';
import type { Candle } from '../market/types.js';

/** Column view of validated candles. `n` is the number of candles. */
export interface Columns {
  readonly n: number;
  readonly time: readonly number[];
  readonly open: readonly number[];
  readonly high: readonly number[];
  readonly low: readonly number[];
  readonly close: readonly number[];
  readonly volume: readonly number[];
}

/**
 * Validates candles (finite prices > 0, high >= low, volume >= 0 and finite, strictly ascending
 * open times) and returns them as columns. Throws INVALID_INPUT naming the first bad candle.
 */
export function toColumns(candles: readonly Candle[]): Columns {
  if (!Array.isArray(candles)) {
    throw new AppError('INVALID_INPUT', 'Candles must be an array');
  }
  const n = candles.length;
  const time: number[] = [];
  const open: number[] = [];
  const high: number[] = [];
  const low: number[] = [];
  const close: number[] = [];
  const volume: number[] = [];
  let prevTime = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const c = candles[i]!;
    const t = c.time;
    const o = c.open;
    const h = c.high;
    const l = c.low;
    const cl = c.close;
    const v = c.volume;
    if (!Number.isFinite(t) || !(t > prevTime)) {
      throw badCandle(i, 'has a time that is not finite or not after the previous candle (candles must be ascending)');
    }
    if (!(o > 0) || !(h > 0) || !(l > 0) || !(cl > 0) || !Number.isFinite(o + h + l + cl)) {
      throw badCandle(i, 'has a price that is not a finite positive number');
    }
    if (h < l) throw badCandle(i, 'has high below low');
    if (!(v >= 0) || !Number.isFinite(v)) throw badCandle(i, 'has a volume that is not a finite non-negative number');
    prevTime = t;
    time.push(t);
    open.push(o);
    high.push(h);
    low.push(l);
    close.push(cl);
    volume.push(v);
  }
  return { n, time, open, high, low, close, volume };
}

function badCandle(index: number, what: string): AppError {
  return new AppError('INVALID_INPUT', `Candle ${index} ${what}`, { details: { index } });
}

/** INSUFFICIENT_DATA in the house format: "RSI(14) needs 15 candles, got 9". */
export function insufficient(indicator: string, needed: number, got: number): AppError {
  return new AppError('INSUFFICIENT_DATA', `${indicator} needs ${needed} candles, got ${got}`, {
    hint: `Request at least ${needed} closed candles.`,
    details: { needed, got, indicator },
  });
}

/** Throws INSUFFICIENT_DATA for the largest unmet requirement, so one retry with that count suffices. */
export function requireHistory(got: number, requirements: ReadonlyArray<readonly [indicator: string, needed: number]>): void {
  let worst: readonly [string, number] | undefined;
  for (const r of requirements) {
    if (got < r[1] && (worst === undefined || r[1] > worst[1])) worst = r;
  }
  if (worst !== undefined) throw insufficient(worst[0], worst[1], got);
}

/** Periods, windows and multipliers must be positive integers (or positive finite numbers). */
export function checkPeriod(name: string, value: number, min = 1): void {
  if (!Number.isInteger(value) || value < min) {
    throw new AppError('INVALID_INPUT', `${name} must be an integer >= ${min}, got ${String(value)}`);
  }
}

export function checkPositive(name: string, value: number): void {
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new AppError('INVALID_INPUT', `${name} must be a finite number > 0, got ${String(value)}`);
  }
}

/** `finite()` guard for optional outputs: NaN and ±Infinity become null, never reach JSON. */
export function finite(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/**
 * Guard for outputs that the candle-count checks guarantee. A non-finite value here is a bug, so it
 * fails loudly (INTERNAL) instead of leaking NaN or Infinity into an answer.
 */
export function must(x: number, what: string): number {
  if (!Number.isFinite(x)) {
    throw new AppError('INTERNAL', `Analysis produced a non-finite ${what}`);
  }
  return x;
}
