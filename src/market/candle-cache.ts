/** Closed candles per (symbol, timeframe), kept so a repeat request fetches only what is new.
 * Closed candles never change, so they can be cached without expiry; the map is bounded. */
import type { Candle, Timeframe } from './types.js';

const MAX_PER_KEY = 1500;

export class CandleCache {
  private readonly entries = new Map<string, Candle[]>();

  constructor(private readonly maxKeys = 600) {}

  get(symbol: string, timeframe: Timeframe): readonly Candle[] | undefined {
    const key = `${symbol}|${timeframe}`;
    const hit = this.entries.get(key);
    if (hit) {
      // refresh LRU position
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }

  /** Replace the series (after a full fetch). */
  set(symbol: string, timeframe: Timeframe, closed: Candle[]): void {
    const key = `${symbol}|${timeframe}`;
    this.entries.delete(key);
    this.entries.set(key, closed.slice(-MAX_PER_KEY));
    while (this.entries.size > this.maxKeys) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  /** Append candles newer than the last cached one. */
  append(symbol: string, timeframe: Timeframe, closed: readonly Candle[]): void {
    const current = this.entries.get(`${symbol}|${timeframe}`) ?? [];
    const lastTime = current.at(-1)?.time ?? -Infinity;
    const merged = current.concat(closed.filter((c) => c.time > lastTime));
    this.set(symbol, timeframe, merged);
  }

  clear(): void {
    this.entries.clear();
  }
}
