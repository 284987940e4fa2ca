/**
 * The per-area summaries the analyze_* tools return: reference values through the summary, the
 * flat-market and short-history answers, EMA200 shortfall, and presentation rounding.
 */
import { describe, expect, it } from 'vitest';
import { syntheticCandles } from '../../bench/analysis-candles.js';
import { momentum, trend, volatility, volume, MIN_CANDLES } from '../../src/analysis/index.js';
import { atr, ema } from '../../src/analysis/indicators.js';
import { AppError } from '../../src/errors.js';
import * as R from './fixtures/reference-data.js';
import { fromCloses, isoAt } from './helpers.js';

function insufficientData(fn: () => unknown): AppError {
  try {
    fn();
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected an AppError');
}

describe('momentum()', () => {
  const candles = fromCloses(R.MACD_CLOSE);

  it('reports the investexcel MACD values on the last candle, and the last signal-line cross', () => {
    const m = momentum(candles, { precision: 'full' });
    expect(m.macd.macd).toBeCloseTo(R.MACD_LINE.at(-1)!, 6);
    expect(m.macd.signal).toBeCloseTo(R.MACD_SIGNAL.at(-1)!, 6);
    expect(m.macd.histogram).toBeCloseTo(R.MACD_HIST.at(-1)!, 6);
    // The published histogram turns negative at bar 61 (0.19 -> -0.77): a bearish cross 4 candles
    // before the last candle (bar 65).
    expect(m.macd.crossedAgo).toBe(4);
    expect(m.macd.crossDirection).toBe('bearish');
    expect(m.asOf).toBe(isoAt(65));
    expect(m.flat).toBe(false);
  });

  it('finds the earlier bullish cross (bar 48) when the history ends before the bearish one', () => {
    const m = momentum(candles.slice(0, 55), { precision: 'full' });
    expect(m.macd.crossDirection).toBe('bullish');
    expect(m.macd.crossedAgo).toBe(54 - 48);
  });

  it('rounds for display: oscillators to 2 decimals, MACD values to 4 significant digits', () => {
    const m = momentum(candles);
    expect(m.macd).toMatchObject({ macd: 2.763, signal: 3.961, histogram: -1.198 });
    expect(Math.round(m.rsi * 100) / 100).toBe(m.rsi);
    expect(Math.round(m.stochastic.k * 100) / 100).toBe(m.stochastic.k);
  });

  it('flat market: RSI 50 with flat: true, stochastic 50/50, MACD 0 and no cross', () => {
    const m = momentum(fromCloses(Array(60).fill(100)));
    expect(m).toMatchObject({ rsi: 50, flat: true, stochastic: { k: 50, d: 50 } });
    expect(m.macd).toEqual({ macd: 0, signal: 0, histogram: 0, crossedAgo: null, crossDirection: null });
  });

  it('too little history: INSUFFICIENT_DATA naming the binding indicator, needed and got', () => {
    const e = insufficientData(() => momentum(candles.slice(0, 20)));
    expect(e.code).toBe('INSUFFICIENT_DATA');
    expect(e.message).toBe('MACD(12,26,9) needs 34 candles, got 20');
    expect(e.details).toMatchObject({ needed: 34, got: 20 });
    expect(MIN_CANDLES.momentum).toBe(34);
    expect(() => momentum(candles.slice(0, 34))).not.toThrow();
  });
});

describe('volatility()', () => {
  it('reports the StockCharts Bollinger values on the last candle, with %B and bandwidth', () => {
    const candles = fromCloses(R.SC_BB_CLOSE);
    const v = volatility(candles, { precision: 'full' });
    const [middle, , upper, lower, bandwidth] = R.SC_BB_EXPECTED.at(-1)!;
    expect(v.bollinger.middle).toBeCloseTo(middle, 6);
    expect(v.bollinger.upper).toBeCloseTo(upper, 6);
    expect(v.bollinger.lower).toBeCloseTo(lower, 6);
    expect(v.bollinger.bandwidth).toBeCloseTo(bandwidth, 6);
    expect(v.bollinger.percentB).toBeCloseTo((90.65 - lower) / (upper - lower), 6);
    // Of the 22 earlier published bandwidths only 5.83 and 6.52 are below the last one (6.81).
    expect(v.bandwidthPercentile).toBeCloseTo((100 * 2) / 22, 9);
    expect(volatility(candles.slice(0, 39)).bandwidthPercentile).toBeNull();
  });

  it('ATR and ATR% of price on the last candle', () => {
    const c = syntheticCandles({ n: 100, seed: 5 });
    const v = volatility(c, { precision: 'full' });
    const a = atr(
      c.map((x) => x.high),
      c.map((x) => x.low),
      c.map((x) => x.close),
      14,
    )[99]!;
    expect(v.atr).toBe(a);
    expect(v.atrPct).toBeCloseTo((a / c[99]!.close) * 100, 12);
    expect(v.bandwidthPercentile).toBeGreaterThanOrEqual(0);
    expect(v.bandwidthPercentile).toBeLessThanOrEqual(100);
  });

  it('flat market: bands collapse, %B 0.5, bandwidth 0, ATR 0', () => {
    const v = volatility(fromCloses(Array(30).fill(42)));
    expect(v.bollinger).toEqual({ upper: 42, middle: 42, lower: 42, percentB: 0.5, bandwidth: 0 });
    expect(v.atr).toBe(0);
    expect(v.atrPct).toBe(0);
  });

  it('needs 20 candles', () => {
    expect(() => volatility(fromCloses(R.SC_BB_CLOSE.slice(0, 12)))).toThrow('Bollinger(20,2) needs 20 candles, got 12');
  });
});

describe('trend()', () => {
  it('clear uptrend: direction up, strong ADX, +DI above -DI; EMA values as the EMA series', () => {
    const c = syntheticCandles({ n: 250, seed: 21, drift: 0.004, volatility: 0.003 });
    const t = trend(c, { precision: 'full' });
    const close = c.map((x) => x.close);
    expect(t.direction).toBe('up');
    expect(t.strength).toBe('strong');
    expect(t.plusDI).toBeGreaterThan(t.minusDI);
    expect(t.ema.ema20).toBeCloseTo(ema(close, 20)[249]!, 9);
    expect(t.ema.ema50).toBeCloseTo(ema(close, 50)[249]!, 9);
    expect(t.ema.ema200).toBeCloseTo(ema(close, 200)[249]!, 9);
    expect(t.notes).toEqual([]);
  });

  it('clear downtrend: direction down', () => {
    const t = trend(syntheticCandles({ n: 250, seed: 22, drift: -0.004, volatility: 0.003 }));
    expect(t.direction).toBe('down');
    expect(t.minusDI).toBeGreaterThan(t.plusDI);
  });

  it('fewer than 200 candles: ema200 is null with a note, the rest is still answered', () => {
    const t = trend(syntheticCandles({ n: 120, seed: 23, drift: 0.004, volatility: 0.003 }));
    expect(t.ema.ema200).toBeNull();
    expect(t.notes).toEqual(['ema200 needs 200 candles, got 120; the direction vote leaves out EMA50 vs EMA200']);
    expect(t.direction).toBe('up');
  });

  it('flat market: sideways and weak, ADX 0', () => {
    const t = trend(fromCloses(Array(60).fill(10)));
    expect(t).toMatchObject({ direction: 'sideways', strength: 'weak', adx: 0, plusDI: 0, minusDI: 0 });
  });

  it('needs 50 candles (EMA50)', () => {
    const e = insufficientData(() => trend(syntheticCandles({ n: 40, seed: 1 })));
    expect(e.message).toBe('EMA(50) needs 50 candles, got 40');
    expect(e.hint).toContain('50');
  });
});

describe('volume()', () => {
  it('relative volume = last volume / SMA(20) of volume including the last candle', () => {
    const c = fromCloses(Array.from({ length: 25 }, (_, i) => 100 + i)).map((x, i) => ({ ...x, volume: i === 24 ? 300 : 100 }));
    expect(volume(c)).toEqual({ asOf: isoAt(24), volume: 300, sma20: 110, relative: 2.73 });
    expect(volume(c, { precision: 'full' }).relative).toBeCloseTo(300 / 110, 12);
  });

  it('no volume at all in the window: relative is null, not NaN', () => {
    expect(volume(fromCloses(Array(20).fill(1), { volume: 0 })).relative).toBeNull();
  });

  it('needs 20 candles', () => {
    expect(() => volume(fromCloses([1, 2, 3]))).toThrow('Volume SMA(20) needs 20 candles, got 3');
  });
});

describe('bad input', () => {
  const good = fromCloses(Array.from({ length: 60 }, (_, i) => 100 + Math.sin(i)));

  it('rejects non-finite or non-positive prices, high below low, negative volume, unordered times', () => {
    const withClose = (close: number) => good.map((c, i) => (i === 5 ? { ...c, close } : c));
    expect(() => momentum(withClose(Number.NaN))).toThrow('Candle 5 has a price that is not a finite positive number');
    expect(() => momentum(withClose(Number.POSITIVE_INFINITY))).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => momentum(withClose(0))).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => trend(good.map((c, i) => (i === 7 ? { ...c, high: c.low - 1 } : c)))).toThrow('Candle 7 has high below low');
    expect(() => volume(good.map((c, i) => (i === 3 ? { ...c, volume: -1 } : c)))).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => volatility([...good].reverse())).toThrow(/ascending/);
  });
});
