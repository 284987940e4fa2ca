/**
 * Swings, support/resistance, RSI divergence and candlestick patterns, on constructed fixtures
 * whose answer a trader can read off the numbers.
 */
import { createRequire } from 'node:module';
import type * as TechnicalIndicators from 'technicalindicators';
import { describe, expect, it } from 'vitest';
import { patterns } from '../../src/analysis/index.js';
import { rsi } from '../../src/analysis/indicators.js';
import { nearestLevels, swingHighs, swingLows } from '../../src/analysis/swings.js';
import { fromCloses, fromOhlc, isoAt } from './helpers.js';

type Row = readonly [open: number, high: number, low: number, close: number];

/** 12 candles falling 1 per candle from 120 (ranges of 2), then the pattern rows. */
function afterDecline(...rows: Row[]): Row[] {
  const ctx: Row[] = Array.from({ length: 12 }, (_, i) => {
    const o = 120 - i;
    return [o, o + 0.5, o - 1.5, o - 1] as const;
  });
  return [...ctx, ...rows];
}

/** 12 candles rising 1 per candle from 100, then the pattern rows. */
function afterRise(...rows: Row[]): Row[] {
  const ctx: Row[] = Array.from({ length: 12 }, (_, i) => {
    const o = 100 + i;
    return [o, o + 1.5, o - 0.5, o + 1] as const;
  });
  return [...ctx, ...rows];
}

/** Pads with 10 quiet candles first so every fixture has the 20 candles patterns() needs. */
function run(rows: Row[]) {
  const pad: Row[] = Array.from({ length: 10 }, () => [rows[0]![0], rows[0]![0] + 1, rows[0]![0] - 1, rows[0]![0]] as const);
  const all = [...pad, ...rows];
  return { result: patterns(fromOhlc(all)), last: all.length - 1 };
}

describe('candlestick patterns on the last closed candles', () => {
  it('bullish engulfing after a decline, reported with its last candle time', () => {
    const { result, last } = run(afterDecline([104, 104.5, 99.5, 100], [99.8, 106, 99.5, 105]));
    expect(result.candlestick).toContainEqual({ name: 'bullish engulfing', time: isoAt(last), bias: 'bullish' });
  });

  it('bearish engulfing after a rise', () => {
    const { result, last } = run(afterRise([108, 112.5, 107.5, 112], [112.2, 112.5, 106, 107]));
    expect(result.candlestick).toContainEqual({ name: 'bearish engulfing', time: isoAt(last), bias: 'bearish' });
  });

  it('the same long-lower-shadow candle is a hammer after a decline and a hanging man after a rise', () => {
    const hammer = run(afterDecline([100, 100.5, 97, 100.4]));
    expect(hammer.result.candlestick).toContainEqual({ name: 'hammer', time: isoAt(hammer.last), bias: 'bullish' });
    const hanging = run(afterRise([113, 113.5, 110, 113.4]));
    expect(hanging.result.candlestick).toContainEqual({ name: 'hanging man', time: isoAt(hanging.last), bias: 'bearish' });
  });

  it('shooting star after a rise, inverted hammer after a decline', () => {
    const star = run(afterRise([113, 116, 112.9, 113.4]));
    expect(star.result.candlestick).toContainEqual({ name: 'shooting star', time: isoAt(star.last), bias: 'bearish' });
    const inv = run(afterDecline([100, 103, 99.9, 100.4]));
    expect(inv.result.candlestick).toContainEqual({ name: 'inverted hammer', time: isoAt(inv.last), bias: 'bullish' });
  });

  it('doji: body within 10% of the recent average range; neutral', () => {
    const { result, last } = run(afterRise([112, 113, 111, 112.02]));
    expect(result.candlestick).toContainEqual({ name: 'doji', time: isoAt(last), bias: 'neutral' });
  });

  it('a body of 40% of the range is not a doji, although technicalindicators says it is (0.1%-of-price tolerance)', () => {
    const candle: Row = [50_000, 50_060, 49_960, 50_040];
    const ti = createRequire(import.meta.url)('technicalindicators') as typeof TechnicalIndicators;
    expect(ti.doji({ open: [candle[0]], high: [candle[1]], low: [candle[2]], close: [candle[3]] })).toBe(true);
    const ctx: Row[] = Array.from({ length: 22 }, (_, i) => [50_000 + (i % 2) * 50, 50_100, 50_000 - 50, 50_050 - (i % 2) * 50] as const);
    const result = patterns(fromOhlc([...ctx, candle]));
    expect(result.candlestick.map((p) => p.name)).not.toContain('doji');
  });

  it('morning star (three candles) after a decline', () => {
    const { result, last } = run(afterDecline([110, 111, 99, 100], [97, 97.5, 96, 96.5], [98, 108.5, 97.8, 108]));
    expect(result.candlestick).toContainEqual({ name: 'morning star', time: isoAt(last), bias: 'bullish' });
  });

  it('three white soldiers; rejected when an open falls below the previous body', () => {
    const soldiers: Row[] = [
      [100, 103.3, 99.8, 103],
      [102, 105.8, 101.8, 105.5],
      [104.5, 108.2, 104.3, 108],
    ];
    const { result, last } = run(afterDecline(...soldiers));
    expect(result.candlestick).toContainEqual({ name: 'three white soldiers', time: isoAt(last), bias: 'bullish' });
    // technicalindicators accepts a second candle opening below the first one's open; the textbook does not.
    const loose = run(afterDecline(soldiers[0]!, [99, 105.8, 98.8, 105.5], soldiers[2]!));
    expect(loose.result.candlestick.map((p) => p.name)).not.toContain('three white soldiers');
  });

  it('only the last 3 candles are scanned', () => {
    const { result } = run(
      afterDecline([104, 104.5, 99.5, 100], [99.8, 106, 99.5, 105], [105, 106, 104, 105.5], [105.5, 106.5, 104.5, 106], [106, 107, 105, 106.5]),
    );
    expect(result.candlestick.map((p) => p.name)).not.toContain('bullish engulfing');
  });
});

describe('swing highs and lows (fractals)', () => {
  it('a swing high is above the w highs before it and not below the w after it', () => {
    expect(swingHighs([1, 2, 3, 2, 1, 2, 5, 2, 1], 2)).toEqual([2, 6]);
    expect(swingLows([5, 4, 3, 4, 5, 4, 1, 4, 5], 2)).toEqual([2, 6]);
  });

  it('the first candle of an equal-high run is the swing; the last w candles are never swings', () => {
    expect(swingHighs([1, 3, 3, 1, 0], 1)).toEqual([1]);
    expect(swingHighs([1, 2, 3], 1)).toEqual([]);
  });

  it('support/resistance: nearest swing level below/above, broken highs become support', () => {
    const high = [0, 100, 0, 110, 0];
    const low = [0, 95, 0, 108, 0];
    expect(nearestLevels(105, high, low, [1, 3], [1, 3])).toEqual({ support: 100, resistance: 108 });
    expect(nearestLevels(200, high, low, [1, 3], [1, 3])).toEqual({ support: 110, resistance: null });
  });
});

describe('RSI divergence', () => {
  /** Quiet start, sharp drop, bounce, slow grinding lower low, small bounce to confirm it. */
  function bullishCloses(): number[] {
    const c: number[] = [];
    let p = 100;
    for (let i = 0; i < 25; i++) c.push((p += i % 2 === 0 ? 0.3 : -0.3));
    for (let i = 0; i < 8; i++) c.push((p -= 2));
    for (let i = 0; i < 6; i++) c.push((p += 1.5));
    for (let i = 0; i < 22; i++) c.push((p += i % 2 === 0 ? -1.5 : 0.6));
    for (let i = 0; i < 5; i++) c.push((p += 1));
    return c;
  }

  it('bullish: price makes a lower low while RSI makes a higher low between the last two swing lows', () => {
    const closes = bullishCloses();
    const candles = fromCloses(closes, { wick: 0.1 });
    // The premise, checked independently: two swing lows, the later one lower in price, higher in RSI.
    const lows = swingLows(
      candles.map((c) => c.low),
      3,
    );
    expect(lows).toEqual([32, 59]);
    const r = rsi(closes).values;
    expect(closes[59]!).toBeLessThan(closes[32]!);
    expect(r[59]!).toBeGreaterThan(r[32]! + 20);

    const d = patterns(candles).divergence;
    expect(d).toMatchObject({ type: 'bullish', from: isoAt(32), to: isoAt(59), candlesAgo: 6 });
    expect(d!.price[1]).toBeLessThan(d!.price[0]);
    expect(d!.rsi[1]).toBeGreaterThan(d!.rsi[0]);
  });

  it('bearish: the mirror image (price higher high, RSI lower high)', () => {
    const candles = fromCloses(
      bullishCloses().map((x) => 200 - x),
      { wick: 0.1 },
    );
    const d = patterns(candles).divergence;
    expect(d).toMatchObject({ type: 'bearish', from: isoAt(32), to: isoAt(59) });
    expect(d!.price[1]).toBeGreaterThan(d!.price[0]);
    expect(d!.rsi[1]).toBeLessThan(d!.rsi[0]);
  });

  it('no divergence when price and RSI agree (higher low in both)', () => {
    const closes = bullishCloses().map((x, i) => (i >= 39 ? x + 3 : x));
    const candles = fromCloses(closes, { wick: 0.1 });
    const lows = swingLows(
      candles.map((c) => c.low),
      3,
    );
    expect(closes[lows.at(-1)!]!).toBeGreaterThan(closes[lows.at(-2)!]!);
    expect(patterns(candles).divergence).toBeNull();
  });
});

describe('patterns() summary', () => {
  it('lists recent swings with their times and the nearest levels around the close', () => {
    const p = patterns(fromCloses([10, 11, 12, 13, 12, 11, 10, 9, 10, 11, 12, 11, 10, 11, 12, 13, 14, 15, 14, 13, 13.5, 13.2], { wick: 0.1 }));
    expect(p.swingHighs).toEqual([
      { time: isoAt(3), price: 13.1 },
      { time: isoAt(10), price: 12.1 },
      { time: isoAt(17), price: 15.1 },
    ]);
    expect(p.swingLows).toEqual([{ time: isoAt(7), price: 8.9 }]);
    // Close 13.2: the swing high at 13.1, already broken, is the nearest support.
    expect(p.support).toBe(13.1);
    expect(p.resistance).toBe(15.1);
  });

  it('needs 20 candles and validates its options', () => {
    expect(() => patterns(fromCloses([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]))).toThrow('Pattern analysis needs 20 candles, got 10');
    expect(() => patterns(fromCloses(Array(30).fill(1)), { swingWindow: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});
