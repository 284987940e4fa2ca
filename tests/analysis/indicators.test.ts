/**
 * Indicator series against published reference values, to 1e-6 (sources in fixtures/reference-data.ts).
 * Where a reference sheet uses a different warm-up seed than ours, the test says how it bridges it.
 */
import { describe, expect, it } from 'vitest';
import { MACD as TiMacd, BollingerBands as TiBollinger, EMA as TiEma } from 'technicalindicators';
import { syntheticCandles } from '../../bench/analysis-candles.js';
import { adx, atr, bollinger, ema, macd, rsi, sma, stochastic, trueRange } from '../../src/analysis/indicators.js';
import * as R from './fixtures/reference-data.js';

const TOL = 1e-6;

/** Asserts series[offset + k] ≈ expected[k] for every k, reporting the first mismatch by index. */
function expectSeries(series: ArrayLike<number>, offset: number, expected: readonly number[], tol = TOL): void {
  expected.forEach((e, k) => {
    const got = series[offset + k]!;
    if (!(Math.abs(got - e) <= tol)) {
      throw new Error(`index ${offset + k}: expected ${e}, got ${got} (|diff| ${Math.abs(got - e)})`);
    }
  });
}

function expectWarmup(series: ArrayLike<number>, firstValid: number): void {
  for (let i = 0; i < firstValid; i++) expect(series[i], `index ${i} is warm-up`).toBeNaN();
  expect(Number.isFinite(series[firstValid]!)).toBe(true);
}

describe('RSI(14), Wilder', () => {
  it('matches the StockCharts worked example (4-decimal closes), first value at bar 14', () => {
    const r = rsi(R.SC_RSI_CLOSE, 14);
    expectWarmup(r.values, 14);
    expectSeries(r.values, 14, R.SC_RSI_EXPECTED);
    expect(r.flat).toBe(false);
  });

  it('matches the StockCharts example with 2-decimal closes (70.464135 first)', () => {
    expectSeries(rsi(R.SC_RSI2_CLOSE, 14).values, 14, R.SC_RSI2_EXPECTED);
  });

  it('matches TA-Lib TA_RSI on an integer series with many unchanged closes', () => {
    expectSeries(rsi(R.TALIB_CLOSE, 14).values, 14, R.TALIB_RSI14);
  });

  it('reports 50 and flat when there are no gains and no losses; 100 and 0 for one-way markets', () => {
    const flat = rsi(Array(30).fill(100), 14);
    expect(flat.values[29]).toBe(50);
    expect(flat.flat).toBe(true);
    const up = rsi(
      Array.from({ length: 30 }, (_, i) => 100 + i),
      14,
    );
    expect(up.values[29]).toBe(100);
    expect(up.flat).toBe(false);
    expect(
      rsi(
        Array.from({ length: 30 }, (_, i) => 100 - i),
        14,
      ).values[29],
    ).toBe(0);
  });

  it('says how many candles it needs when history is too short', () => {
    expect(() => rsi(R.SC_RSI_CLOSE.slice(0, 9), 14)).toThrow('RSI(14) needs 15 candles, got 9');
  });
});

describe('EMA seeded with the SMA, and MACD(12,26,9)', () => {
  it('EMA12 and EMA26 match the investexcel.net worked example from their first value', () => {
    const e12 = ema(R.MACD_CLOSE, 12);
    const e26 = ema(R.MACD_CLOSE, 26);
    expectWarmup(e12, 11);
    expectWarmup(e26, 25);
    expectSeries(e12, 11, R.MACD_EMA12);
    expectSeries(e26, 25, R.MACD_EMA26);
  });

  it('line, signal (seeded with the SMA of 9 MACD values, first at bar 33) and histogram match', () => {
    const m = macd(R.MACD_CLOSE, 12, 26, 9);
    expectWarmup(m.macd, 25);
    expectWarmup(m.signal, 33);
    expectWarmup(m.histogram, 33);
    expectSeries(m.macd, 25, R.MACD_LINE);
    expectSeries(m.signal, 33, R.MACD_SIGNAL);
    expectSeries(m.histogram, 33, R.MACD_HIST);
  });

  it('needs 34 candles for the signal line', () => {
    expect(() => macd(R.MACD_CLOSE.slice(0, 20))).toThrow('MACD(12,26,9) needs 34 candles, got 20');
  });

  it('agrees with technicalindicators (EMA-based MACD) once right-aligned', () => {
    const close = syntheticCandles({ n: 200, seed: 7 }).map((c) => c.close);
    const ours = macd(close);
    const theirs = TiMacd.calculate({
      values: close,
      fastPeriod: 12,
      slowPeriod: 26,
      signalPeriod: 9,
      SimpleMAOscillator: false,
      SimpleMASignal: false,
    });
    const last = theirs[theirs.length - 1]!;
    expect(ours.macd[199]).toBeCloseTo(last.MACD!, 9);
    expect(ours.signal[199]).toBeCloseTo(last.signal!, 9);
    const tiEma = TiEma.calculate({ values: close, period: 50 });
    expect(ema(close, 50)[199]).toBeCloseTo(tiEma[tiEma.length - 1]!, 9);
  });
});

describe('Bollinger Bands (20,2), population standard deviation', () => {
  it('matches the StockCharts worked example: middle, sd, bands and bandwidth', () => {
    const bb = bollinger(R.SC_BB_CLOSE, 20, 2);
    expectWarmup(bb.middle, 19);
    R.SC_BB_EXPECTED.forEach(([middle, sd, upper, lower, bandwidth], k) => {
      const i = 19 + k;
      expect(Math.abs(bb.middle[i]! - middle)).toBeLessThanOrEqual(TOL);
      expect(Math.abs(bb.sd[i]! - sd)).toBeLessThanOrEqual(TOL);
      expect(Math.abs(bb.upper[i]! - upper)).toBeLessThanOrEqual(TOL);
      expect(Math.abs(bb.lower[i]! - lower)).toBeLessThanOrEqual(TOL);
      const bw = ((bb.upper[i]! - bb.lower[i]!) / bb.middle[i]!) * 100;
      expect(Math.abs(bw - bandwidth)).toBeLessThanOrEqual(TOL);
    });
  });

  it('uses the population, not the sample, deviation (sample would be ~2.6% wider)', () => {
    const bb = bollinger(R.SC_BB_CLOSE, 20, 2);
    const window = R.SC_BB_CLOSE.slice(0, 20);
    const mean = window.reduce((a, b) => a + b, 0) / 20;
    const sample = Math.sqrt(window.reduce((a, b) => a + (b - mean) ** 2, 0) / 19);
    expect(bb.sd[19]! / sample).toBeCloseTo(Math.sqrt(19 / 20), 12);
  });

  it('agrees with technicalindicators BollingerBands', () => {
    const close = syntheticCandles({ n: 120, seed: 8 }).map((c) => c.close);
    const theirs = TiBollinger.calculate({ values: close, period: 20, stdDev: 2 });
    const bb = bollinger(close, 20, 2);
    expect(bb.upper[119]).toBeCloseTo(theirs[theirs.length - 1]!.upper, 9);
    expect(bb.lower[119]).toBeCloseTo(theirs[theirs.length - 1]!.lower, 9);
  });
});

describe('ATR(14), Wilder with the TA-Lib seed', () => {
  it('matches TA-Lib TA_ATR: first value at bar 14 = mean of TR[1..14]', () => {
    const a = atr(R.TALIB_HIGH, R.TALIB_LOW, R.TALIB_CLOSE, 14);
    expectWarmup(a, 14);
    expectSeries(a, 14, R.TALIB_ATR14);
  });

  it('matches the StockCharts sheet, whose seed counts bar 0 high-low, once that bar gets a previous close', () => {
    // StockCharts' first ATR (bar 13) averages bar 0's high-low with TR[1..13]. Prepending a candle
    // whose close lies inside bar 0's range makes our TR for bar 0 equal its high-low, so our
    // TA-Lib-seeded ATR must then reproduce the whole StockCharts column.
    const rows = [[48.16, 48.16, 48.16] as const, ...R.SC_ATR_HLC];
    const a = atr(
      rows.map((r) => r[0]),
      rows.map((r) => r[1]),
      rows.map((r) => r[2]),
      14,
    );
    expectSeries(a, 14, R.SC_ATR_EXPECTED);
  });

  it('true range starts at bar 1 and uses the previous close on gaps', () => {
    const tr = trueRange([10, 20], [9, 19], [9.5, 19.5]);
    expect(tr[0]).toBeNaN();
    expect(tr[1]).toBe(10.5); // |20 - 9.5| beats 20 - 19
  });
});

describe('Stochastic, slow (k, smoothK, d)', () => {
  const hl = [...R.SC_STO_HL.map(([h, l]) => [h, l, (h + l) / 2] as const), ...R.SC_STO_ROWS.map(([h, l, c]) => [h, l, c] as const)];
  const high = hl.map((r) => r[0]);
  const low = hl.map((r) => r[1]);
  const close = hl.map((r) => r[2]);
  const fastK = R.SC_STO_ROWS.map((r) => r[3]);

  it('fast %K(14) matches the StockCharts worked example (smoothK = 1)', () => {
    const s = stochastic(high, low, close, 14, 1, 3);
    expectWarmup(s.k, 13);
    expectSeries(s.k, 13, fastK);
  });

  it('%D is the 3-period SMA of %K (computed from the published %K)', () => {
    const s = stochastic(high, low, close, 14, 1, 3);
    const expectedD = fastK.slice(2).map((_, k) => (fastK[k]! + fastK[k + 1]! + fastK[k + 2]!) / 3);
    expectSeries(s.d, 15, expectedD);
  });

  it('slow %K and %D (5,3,3 SMA) match TA-Lib TA_STOCH', () => {
    const s = stochastic(R.TALIB_HIGH, R.TALIB_LOW, R.TALIB_CLOSE, 5, 3, 3);
    expectSeries(s.k, 8, R.TALIB_STOCH_K);
    expectSeries(s.d, 8, R.TALIB_STOCH_D);
    expectWarmup(s.d, 8);
  });

  it('(14,3,3) gives its first %D at bar 17, and only the tail when asked `from`', () => {
    const c = syntheticCandles({ n: 60, seed: 3 });
    const [h, l, cl] = [c.map((x) => x.high), c.map((x) => x.low), c.map((x) => x.close)];
    const full = stochastic(h, l, cl, 14, 3, 3);
    expectWarmup(full.d, 17);
    const tail = stochastic(h, l, cl, 14, 3, 3, 59);
    expect(tail.k[59]).toBeCloseTo(full.k[59]!, 12);
    expect(tail.d[59]).toBeCloseTo(full.d[59]!, 12);
  });

  it('reports 50 when the high-low range is zero (flat market)', () => {
    const flat = Array(20).fill(5);
    expect(stochastic(flat, flat, flat, 14, 3, 3).d[19]).toBe(50);
  });
});

describe('ADX(14) with +DI/-DI', () => {
  const high = R.SC_ADX_HLC.map((r) => r[0]);
  const low = R.SC_ADX_HLC.map((r) => r[1]);
  const close = R.SC_ADX_HLC.map((r) => r[2]);

  it('Wilder seed matches the StockCharts sheet: +DI, -DI, DX from bar 14, ADX from bar 27', () => {
    // The sheet prints 7 decimals, so the comparison is to 1e-7 (still tighter than 1e-6).
    const a = adx(high, low, close, 14);
    expectWarmup(a.plusDI, 14);
    expectWarmup(a.adx, 27);
    expectSeries(
      a.plusDI,
      14,
      R.SC_ADX_DI.map((r) => r[0]),
      1e-7,
    );
    expectSeries(
      a.minusDI,
      14,
      R.SC_ADX_DI.map((r) => r[1]),
      1e-7,
    );
    expectSeries(
      a.dx,
      14,
      R.SC_ADX_DI.map((r) => r[2]),
      1e-7,
    );
    expectSeries(a.adx, 27, R.SC_ADX_EXPECTED, 1e-7);
  });

  it('TA-Lib seed matches TA-Lib TA_DX', () => {
    expectSeries(adx(R.TALIB_HIGH, R.TALIB_LOW, R.TALIB_CLOSE, 14, 'talib').dx, 14, R.TALIB_DX14);
  });

  it('the two seeds converge: below 1e-6 apart after 300 candles', () => {
    const c = syntheticCandles({ n: 300, seed: 11 });
    const args = [c.map((x) => x.high), c.map((x) => x.low), c.map((x) => x.close), 14] as const;
    const w = adx(...args, 'wilder');
    const t = adx(...args, 'talib');
    expect(Math.abs(w.adx[27]! - t.adx[27]!)).toBeGreaterThan(1e-4);
    expect(Math.abs(w.adx[299]! - t.adx[299]!)).toBeLessThan(1e-6);
    expect(Math.abs(w.plusDI[299]! - t.plusDI[299]!)).toBeLessThan(1e-6);
  });

  it('needs 28 candles and reports 0 in a market with no directional movement', () => {
    expect(() => adx(high.slice(0, 20), low.slice(0, 20), close.slice(0, 20))).toThrow('ADX(14) needs 28 candles, got 20');
    const flat = Array(40).fill(3);
    const a = adx(flat, flat, flat, 14);
    expect(a.adx[39]).toBe(0);
    expect(a.plusDI[39]).toBe(0);
  });
});

describe('SMA and parameter checks', () => {
  it('simple moving average of volumes', () => {
    expect(Array.from(sma([1, 2, 3, 4, 5], 3)).slice(2)).toEqual([2, 3, 4]);
  });

  it('rejects non-integer or non-positive periods with INVALID_INPUT', () => {
    expect(() => ema([1, 2, 3], 0)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => rsi([1, 2, 3], 2.5)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => macd(R.MACD_CLOSE, 26, 12, 9)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});
