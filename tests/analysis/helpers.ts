/** Candle builders and assertions shared by the analysis tests. */
import type { Candle } from '../../src/market/types.js';

export const HOUR = 3_600_000;
export const T0 = Date.UTC(2024, 0, 1);

/** Candles from closes: open = previous close, high/low = body ± `wick`, volume 1 (or given). */
export function fromCloses(closes: readonly number[], o: { wick?: number; volume?: number; stepMs?: number } = {}): Candle[] {
  const wick = o.wick ?? 0;
  return closes.map((close, i) => {
    const open = i === 0 ? close : closes[i - 1]!;
    return {
      time: T0 + i * (o.stepMs ?? HOUR),
      open,
      high: Math.max(open, close) + wick,
      low: Math.min(open, close) - wick,
      close,
      volume: o.volume ?? 1,
    };
  });
}

/** Candles from [open, high, low, close] rows, one hour apart. */
export function fromOhlc(rows: ReadonlyArray<readonly [number, number, number, number]>): Candle[] {
  return rows.map(([open, high, low, close], i) => ({ time: T0 + i * HOUR, open, high, low, close, volume: 1 }));
}

export function isoAt(i: number, stepMs = HOUR): string {
  return new Date(T0 + i * stepMs).toISOString();
}

/** Every number reachable from `value` (objects and arrays), with its path. */
export function numbersIn(value: unknown, path = '$'): Array<[string, number]> {
  if (typeof value === 'number') return [[path, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => numbersIn(v, `${path}[${i}]`));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => numbersIn(v, `${path}.${k}`));
  }
  return [];
}

/** Throws naming the first NaN/±Infinity found anywhere in `value`. */
export function assertAllFinite(value: unknown): void {
  for (const [path, n] of numbersIn(value)) {
    if (!Number.isFinite(n)) throw new Error(`${path} is ${n}`);
  }
}
