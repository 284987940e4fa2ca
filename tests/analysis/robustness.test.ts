/**
 * No NaN or Infinity in any answer, whatever the market does: a property-style loop over seeded
 * random series with flat stretches, zero-volume candles, gaps, spikes, tiny and huge prices.
 */
import { describe, expect, it } from 'vitest';
import { mulberry32, syntheticCandles } from '../../bench/analysis-candles.js';
import { momentum, patterns, snapshot, trend, volatility, volume, type TimeframeSnapshot } from '../../src/analysis/index.js';
import type { Candle } from '../../src/market/types.js';
import { assertAllFinite } from './helpers.js';

/** A nasty but valid series: random walk with flat runs, zero volume, gaps and spikes. */
function nastySeries(seed: number, n: number, stepMs: number): Candle[] {
  const rand = mulberry32(seed);
  const scale = 10 ** Math.floor(rand() * 14 - 7); // 1e-7 .. 1e6
  const base = syntheticCandles({ n, seed: seed + 1000, start: scale, volatility: rand() * 0.05, stepMs });
  let flatUntil = -1;
  let flatPrice = 0;
  return base.map((c, i) => {
    if (i > flatUntil && rand() < 0.05) {
      flatUntil = i + Math.floor(rand() * 40);
      flatPrice = c.close;
    }
    if (i <= flatUntil) return { ...c, open: flatPrice, high: flatPrice, low: flatPrice, close: flatPrice, volume: rand() < 0.5 ? 0 : c.volume };
    if (rand() < 0.03) return { ...c, high: c.high * 1.5, volume: c.volume * 50 }; // spike
    if (rand() < 0.03) return { ...c, volume: 0 };
    return c;
  });
}

describe('every answer is finite', () => {
  it('200 random nasty series: all five summaries and the snapshot, no NaN/Infinity, no crash', () => {
    const rand = mulberry32(2024);
    for (let k = 0; k < 200; k++) {
      const n = 50 + Math.floor(rand() * 350);
      const c = nastySeries(k, n, 3_600_000);
      for (const precision of ['display', 'full'] as const) {
        assertAllFinite(momentum(c, { precision }));
        assertAllFinite(volatility(c, { precision }));
        assertAllFinite(trend(c, { precision }));
        assertAllFinite(volume(c, { precision }));
        assertAllFinite(patterns(c, { precision }));
      }
      const s = snapshot({ '15m': nastySeries(k + 1, n, 900_000), '1h': c, '4h': nastySeries(k + 2, 60 + (n % 200), 14_400_000) });
      assertAllFinite(s);
    }
  });

  it('a completely flat market answers with defined values everywhere', () => {
    const flat: Candle[] = Array.from({ length: 250 }, (_, i) => ({ time: i * 3_600_000, open: 7, high: 7, low: 7, close: 7, volume: 0 }));
    const s = snapshot({ '1h': flat, '4h': flat.map((c, i) => ({ ...c, time: i * 14_400_000 })) });
    assertAllFinite(s);
    const t = s.timeframes['1h'] as TimeframeSnapshot;
    expect(t.momentum).toMatchObject({ rsi: 50, flat: true, stochastic: { k: 50, d: 50 } });
    expect(t.trend).toMatchObject({ direction: 'sideways', strength: 'weak', adx: 0 });
    expect(t.volatility).toMatchObject({ atr: 0, atrPct: 0, bollinger: { percentB: 0.5, bandwidth: 0 } });
    expect(t.volume.relative).toBeNull();
    expect(t.bias).toBe('neutral');
    expect(s.alignment).toBe('mixed');
    expect(s.stopDistance.price).toBe(0);
    expect(s.keyLevels).toEqual({ support: null, resistance: null });
  });
});
