/**
 * Deterministic synthetic candles for the analysis bench and tests: a geometric random walk driven
 * by a seeded PRNG (mulberry32), so every run sees the same series.
 */
import type { Candle } from '../src/market/types.js';
import { mulberry32 } from '../src/sim/rng.js';

export { mulberry32 };

export interface SyntheticOptions {
  n: number;
  seed?: number;
  /** First open price. */
  start?: number;
  /** Mean log return per candle (0.002 = +0.2% per candle). */
  drift?: number;
  /** Standard deviation of the log return per candle. */
  volatility?: number;
  /** Candle duration, ms. */
  stepMs?: number;
  /** Open time of the first candle, epoch ms. */
  startTime?: number;
}

export function syntheticCandles(o: SyntheticOptions): Candle[] {
  const rand = mulberry32(o.seed ?? 1);
  const gauss = (): number => {
    const u = Math.max(rand(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  };
  const drift = o.drift ?? 0;
  const vol = o.volatility ?? 0.004;
  const step = o.stepMs ?? 3_600_000;
  let time = o.startTime ?? Date.UTC(2024, 0, 1);
  let close = o.start ?? 67_000;
  const out: Candle[] = [];
  for (let i = 0; i < o.n; i++) {
    const open = close;
    const ret = drift + vol * gauss();
    close = open * Math.exp(ret);
    const high = Math.max(open, close) * (1 + Math.abs(gauss()) * vol * 0.5);
    const low = Math.min(open, close) * (1 - Math.abs(gauss()) * vol * 0.5);
    const volume = 100 * (0.5 + rand()) * (1 + Math.abs(ret) * 100);
    out.push({ time, open, high, low, close, volume });
    time += step;
  }
  return out;
}

/**
 * Merges every `factor` consecutive candles into one (first open, max high, min low, last close,
 * summed volume), e.g. 15m → 1h with factor 4. A trailing partial group is dropped.
 */
export function aggregate(candles: readonly Candle[], factor: number): Candle[] {
  const out: Candle[] = [];
  for (let i = 0; i + factor <= candles.length; i += factor) {
    const group = candles.slice(i, i + factor);
    out.push({
      time: group[0]!.time,
      open: group[0]!.open,
      high: Math.max(...group.map((c) => c.high)),
      low: Math.min(...group.map((c) => c.low)),
      close: group[group.length - 1]!.close,
      volume: group.reduce((sum, c) => sum + c.volume, 0),
    });
  }
  return out;
}

/**
 * A consistent 15m/1h/4h set: one 15m walk, aggregated to 1h and 4h, the last `n` candles of each.
 * The 15m series spans 16·n candles so the 4h series has n candles.
 */
export function multiTimeframe(
  n: number,
  o: Omit<SyntheticOptions, 'n' | 'stepMs'> = {},
): {
  '15m': Candle[];
  '1h': Candle[];
  '4h': Candle[];
} {
  const base = syntheticCandles({ ...o, n: 16 * n, stepMs: 900_000, startTime: o.startTime ?? Date.UTC(2024, 0, 1) });
  return { '15m': base.slice(-n), '1h': aggregate(base, 4).slice(-n), '4h': aggregate(base, 16).slice(-n) };
}
