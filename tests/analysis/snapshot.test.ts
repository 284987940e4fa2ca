/**
 * fetch_technical_snapshot's core: per-timeframe summaries, the cross-timeframe verdict a trader
 * acts on, key levels, the ATR stop distance, failures of single timeframes, and the size budget.
 */
import { describe, expect, it } from 'vitest';
import { multiTimeframe, syntheticCandles } from '../../bench/analysis-candles.js';
import { snapshot, type TimeframeSnapshot } from '../../src/analysis/index.js';
import { atr } from '../../src/analysis/indicators.js';
import type { Candle } from '../../src/market/types.js';
import { assertAllFinite } from './helpers.js';

const uptrend = multiTimeframe(200, { seed: 1, drift: 0.0008, volatility: 0.002 });
const downtrend = multiTimeframe(200, { seed: 1, drift: -0.0008, volatility: 0.002 });
const mixed = {
  '15m': syntheticCandles({ n: 200, seed: 4, drift: 0.002, volatility: 0.002, stepMs: 900_000 }),
  '1h': syntheticCandles({ n: 200, seed: 5, drift: -0.003, volatility: 0.004, stepMs: 3_600_000 }),
  '4h': syntheticCandles({ n: 200, seed: 6, drift: 0, volatility: 0.006, stepMs: 14_400_000 }),
};

function tf(s: ReturnType<typeof snapshot>, key: '15m' | '1h' | '4h'): TimeframeSnapshot {
  const t = s.timeframes[key];
  if (t === undefined || 'error' in t) throw new Error(`${key} was not analysed`);
  return t;
}

describe('alignment verdict', () => {
  it('clear uptrend on 15m/1h/4h: bullish, every timeframe bullish, reasons say why', () => {
    const s = snapshot(uptrend);
    expect(s.alignment).toBe('bullish');
    for (const k of ['15m', '1h', '4h'] as const) {
      expect(tf(s, k).bias).toBe('bullish');
      expect(tf(s, k).trend.direction).toBe('up');
    }
    expect(s.reasons[0]).toBe('Bullish on 15m, 1h, 4h (3 of 3 timeframes analysed)');
    expect(s.reasons.slice(1).map((r) => r.slice(0, r.indexOf(':')))).toEqual(['15m', '1h', '4h']);
    expect(s.reasons[1]).toMatch(/^15m: uptrend \(ADX [\d.]+, (strong|moderate|weak)\), MACD (above|below) signal/);
  });

  it('clear downtrend: bearish', () => {
    const s = snapshot(downtrend);
    expect(s.alignment).toBe('bearish');
    expect(Object.values(s.timeframes).map((t) => (t as TimeframeSnapshot).bias)).toEqual(['bearish', 'bearish', 'bearish']);
  });

  it('timeframes disagreeing (15m up, 1h down): mixed, and the reasons show the disagreement', () => {
    const s = snapshot(mixed);
    expect(s.alignment).toBe('mixed');
    expect(tf(s, '15m').bias).toBe('bullish');
    expect(tf(s, '1h').bias).toBe('bearish');
    expect(s.reasons[0]).toContain('bearish on 1h');
    expect(s.reasons.join('\n')).toMatch(/1h: downtrend/);
  });

  it('one bullish timeframe of three with the others neutral is not enough: mixed', () => {
    // A market that does not move: closes unchanged, candles with some range.
    const quiet = (stepMs: number): Candle[] =>
      Array.from({ length: 200 }, (_, i) => ({ time: i * stepMs, open: 100, high: 101, low: 99, close: 100, volume: 5 }));
    const s = snapshot({ '15m': uptrend['15m'], '1h': quiet(3_600_000), '4h': quiet(14_400_000) });
    expect(tf(s, '15m').bias).toBe('bullish');
    expect(tf(s, '1h').bias).toBe('neutral');
    expect(s.alignment).toBe('mixed');
  });
});

describe('snapshot contents', () => {
  const s = snapshot(uptrend);

  it('price and asOf come from the shortest timeframe; timeframes are ordered short to long', () => {
    const last15 = uptrend['15m'].at(-1)!;
    expect(s.price).toBeCloseTo(last15.close, 2);
    expect(s.asOf).toBe(new Date(last15.time).toISOString());
    expect(Object.keys(snapshot({ '4h': uptrend['4h'], '15m': uptrend['15m'] }).timeframes)).toEqual(['15m', '4h']);
  });

  it('stopDistance is 1.5 × ATR(14) of the middle timeframe, in price and % of its close', () => {
    const h = uptrend['1h'];
    const a = atr(
      h.map((c) => c.high),
      h.map((c) => c.low),
      h.map((c) => c.close),
      14,
    )[199]!;
    const full = snapshot(uptrend, { precision: 'full' });
    expect(full.stopDistance).toEqual({ timeframe: '1h', atr: a, multiple: 1.5, price: 1.5 * a, pct: ((1.5 * a) / h[199]!.close) * 100 });
    expect(snapshot(uptrend, { stopAtrMultiple: 2 }).stopDistance.multiple).toBe(2);
    expect(() => snapshot(uptrend, { stopAtrMultiple: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });

  it('key levels bracket the price, at least 0.25 ATR away, with their timeframe and distance', () => {
    const full = snapshot(uptrend, { precision: 'full' });
    const b = uptrend['15m'];
    const atr15 = atr(
      b.map((c) => c.high),
      b.map((c) => c.low),
      b.map((c) => c.close),
      14,
    )[199]!;
    const { support, resistance } = full.keyLevels;
    expect(support).not.toBeNull();
    expect(support!.price).toBeLessThanOrEqual(full.price - 0.25 * atr15);
    expect(support!.distancePct).toBeCloseTo(((full.price - support!.price) / full.price) * 100, 9);
    if (resistance !== null) expect(resistance.price).toBeGreaterThanOrEqual(full.price + 0.25 * atr15);
    expect(['15m', '1h', '4h']).toContain(support!.timeframe);
  });

  it('each timeframe carries the committed field names, rounded for display', () => {
    const t = tf(s, '1h');
    expect(Object.keys(t.momentum.macd)).toEqual(['macd', 'signal', 'histogram', 'crossedAgo', 'crossDirection']);
    expect(Object.keys(t.volatility.bollinger)).toEqual(['upper', 'middle', 'lower', 'percentB', 'bandwidth']);
    expect(Object.keys(t.trend.ema)).toEqual(['ema20', 'ema50', 'ema200']);
    expect(Math.round(t.momentum.rsi * 100) / 100).toBe(t.momentum.rsi);
    expect(t.notes).toBeUndefined();
    assertAllFinite(s);
  });

  it('a timeframe with fewer than 200 candles reports ema200 as null with a note, not a failure', () => {
    const r = snapshot({ ...uptrend, '4h': uptrend['4h'].slice(-120) });
    expect(tf(r, '4h').trend.ema.ema200).toBeNull();
    expect(tf(r, '4h').notes).toEqual(['ema200 needs 200 candles, got 120; the direction vote leaves out EMA50 vs EMA200']);
  });
});

describe('size budget', () => {
  it('three timeframes stay well under 6 KB of JSON', () => {
    for (const input of [uptrend, downtrend, mixed]) {
      const size = JSON.stringify(snapshot(input)).length;
      expect(size).toBeLessThan(6 * 1024);
      expect(size).toBeLessThan(3.5 * 1024); // measured ~2.6 KB: keep the headroom visible
    }
  });
});

describe('failures of single timeframes', () => {
  it('a timeframe that failed upstream is reported and the others are still analysed', () => {
    const s = snapshot({
      '15m': uptrend['15m'],
      '1h': { error: { code: 'UPSTREAM_UNAVAILABLE', message: 'Exchange did not answer' } },
      '4h': uptrend['4h'],
    });
    expect(s.timeframes['1h']).toEqual({ error: { code: 'UPSTREAM_UNAVAILABLE', message: 'Exchange did not answer' } });
    expect(tf(s, '15m').bias).toBe('bullish');
    expect(s.reasons).toContain('1h: not analysed (UPSTREAM_UNAVAILABLE)');
    expect(s.reasons[0]).toContain('(2 of 3 timeframes analysed)');
    expect(s.stopDistance.timeframe).toBe('4h');
  });

  it('a timeframe with too little history becomes an INSUFFICIENT_DATA entry with the counts', () => {
    const s = snapshot({ ...uptrend, '4h': uptrend['4h'].slice(-30) });
    expect(s.timeframes['4h']).toEqual({ error: { code: 'INSUFFICIENT_DATA', message: 'EMA(50) needs 50 candles, got 30' } });
    expect(s.alignment).toBe('bullish');
  });

  it('no usable timeframe: the call fails with the reason for each', () => {
    expect(() => snapshot({ '1h': uptrend['1h'].slice(-10), '4h': uptrend['4h'].slice(-20) })).toThrow(
      /No timeframe could be analysed \(1h: .*needs 50 candles, got 10; 4h: .*got 20\)/,
    );
  });

  it('rejects unsupported timeframes and an empty request', () => {
    expect(() => snapshot({ '2h': uptrend['1h'] } as never)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => snapshot({})).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});
