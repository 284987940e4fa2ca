/**
 * The stored history of a replay's symbols, loaded once into memory as plain arrays (a month of
 * 1-minute candles for 20 symbols is under a million rows), with the prefix sums the 24h quotes
 * need, so every read at replay time t is a binary search and a slice.
 */
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import type { Candle, FundingPoint, LongShortRatio, MarketInfo, OpenInterestPoint, Timeframe } from '../market/types.js';
import { historyNeeds, NATIVE_TIMEFRAMES } from './history-fetch.js';
import { loadCandles, loadFunding, loadLongShort, loadOpenInterest } from './history-store.js';

export interface Series {
  time: number[];
  open: number[];
  high: number[];
  low: number[];
  close: number[];
  volume: number[];
}

export interface MinuteSeries extends Series {
  /** volumePrefix[k] = Σ volume[0..k-1] (length n + 1). */
  volumePrefix: number[];
  /** Σ volume × close (quote turnover) of the first k minutes. */
  turnoverPrefix: number[];
}

export interface SymbolHistory {
  info: MarketInfo;
  m1: MinuteSeries;
  /** Native candles of the coarser timeframes (15m, 1h, 4h, 1d). */
  native: Map<Timeframe, Series>;
  funding: FundingPoint[];
  fundingTimes: number[];
  openInterest: OpenInterestPoint[];
  openInterestTimes: number[];
  longShort: LongShortRatio[];
  longShortTimes: number[];
}

/** Index of the last element <= x in an ascending array, or -1. */
export function lastAtOrBefore(times: readonly number[], x: number): number {
  let lo = 0;
  let hi = times.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid]! <= x) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

function toSeries(candles: readonly Candle[]): Series {
  return {
    time: candles.map((c) => c.time),
    open: candles.map((c) => c.open),
    high: candles.map((c) => c.high),
    low: candles.map((c) => c.low),
    close: candles.map((c) => c.close),
    volume: candles.map((c) => c.volume),
  };
}

function toMinuteSeries(candles: readonly Candle[]): MinuteSeries {
  const s = toSeries(candles);
  const volumePrefix = [0];
  const turnoverPrefix = [0];
  for (let k = 0; k < candles.length; k++) {
    volumePrefix.push(volumePrefix[k]! + s.volume[k]!);
    turnoverPrefix.push(turnoverPrefix[k]! + s.volume[k]! * s.close[k]!);
  }
  return { ...s, volumePrefix, turnoverPrefix };
}

/** Everything a replay of [from, to) reads of `markets`, from the history tables. */
export async function loadHistory(db: Kysely<DB>, markets: readonly MarketInfo[], from: number, to: number): Promise<Map<string, SymbolHistory>> {
  const needs = new Map(historyNeeds(from, to).map((n) => [n.kind, n.range]));
  const range = (kind: Parameters<typeof needs.get>[0]) => needs.get(kind)!;
  const out = new Map<string, SymbolHistory>();
  for (const info of markets) {
    const s = info.symbol;
    const m1 = toMinuteSeries(await loadCandles(db, s, '1m', range('candles:1m').from, to));
    const native = new Map<Timeframe, Series>();
    for (const tf of NATIVE_TIMEFRAMES) native.set(tf, toSeries(await loadCandles(db, s, tf, range(`candles:${tf}`).from, to)));
    const funding = await loadFunding(db, s, range('funding').from, to);
    const openInterest = await loadOpenInterest(db, s, range('open_interest').from, to);
    const longShort = await loadLongShort(db, s, range('long_short').from, to);
    out.set(s, {
      info,
      m1,
      native,
      funding,
      fundingTimes: funding.map((f) => f.time),
      openInterest,
      openInterestTimes: openInterest.map((p) => p.time),
      longShort,
      longShortTimes: longShort.map((p) => p.time),
    });
  }
  return out;
}
