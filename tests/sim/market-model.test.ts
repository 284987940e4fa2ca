/** The simulated market's invariants, checked on the model directly (fast, no HTTP). */
import { describe, expect, it } from 'vitest';

import { INSTRUMENTS } from '../../src/sim/instruments.js';
import { DAY_MS, HOUR_MS, MarketModel, type KlineInterval, type SimCandle, barEnd, barStart } from '../../src/sim/market-model.js';

/** Mid-minute, mid-hour, so forming bars are genuinely partial. */
const NOW = Date.UTC(2025, 5, 15, 12, 34, 56, 789);

function aggregate(parts: SimCandle[]): Omit<SimCandle, 'start'> {
  const [first, ...rest] = parts;
  if (first === undefined) throw new Error('no parts');
  let acc = { open: first.open, high: first.high, low: first.low, close: first.close, volume: first.volume, turnover: first.turnover };
  for (const p of rest) {
    acc = {
      open: acc.open,
      high: Math.max(acc.high, p.high),
      low: Math.min(acc.low, p.low),
      close: p.close,
      volume: acc.volume + p.volume,
      turnover: acc.turnover + p.turnover,
    };
  }
  return acc;
}

/** Every `coarse` bar fully covered by the `fine` bars equals their aggregate. Returns how many were compared. */
function expectAggregates(fine: SimCandle[], coarse: SimCandle[], coarseInterval: KlineInterval): number {
  const byStart = [...fine].sort((a, b) => a.start - b.start);
  const first = byStart[0]?.start ?? Number.POSITIVE_INFINITY;
  let compared = 0;
  for (const bar of coarse) {
    if (bar.start < first) continue;
    const end = barEnd(coarseInterval, bar.start);
    const parts = byStart.filter((c) => c.start >= bar.start && c.start < end);
    expect(parts.length).toBeGreaterThan(0);
    expect({ start: bar.start, ...aggregate(parts) }).toEqual(bar);
    compared++;
  }
  return compared;
}

describe('market model: candles', () => {
  const model = new MarketModel(42);

  it.each(['BTCUSDT', 'SOLUSDT', 'HBARUSDT'])('%s: every interval is the exact aggregate of the finer one, forming bars included', (id) => {
    const m1 = model.klines(id, { interval: '1', limit: 1000 }, NOW);
    const m15 = model.klines(id, { interval: '15', limit: 200 }, NOW);
    const h1 = model.klines(id, { interval: '60', limit: 200 }, NOW);
    const h4 = model.klines(id, { interval: '240', limit: 60 }, NOW);
    const d1 = model.klines(id, { interval: 'D', limit: 70 }, NOW);
    const w1 = model.klines(id, { interval: 'W', limit: 8 }, NOW);
    const mo = model.klines(id, { interval: 'M', limit: 2 }, NOW);
    expect(expectAggregates(m1, m15, '15')).toBeGreaterThanOrEqual(60);
    expect(expectAggregates(m15, h1, '60')).toBeGreaterThanOrEqual(45);
    expect(expectAggregates(h1, h4, '240')).toBeGreaterThanOrEqual(45);
    expect(expectAggregates(h1, d1, 'D')).toBeGreaterThanOrEqual(7);
    expect(expectAggregates(d1, w1, 'W')).toBeGreaterThanOrEqual(8);
    expect(expectAggregates(d1, mo, 'M')).toBe(2);
  });

  it('returns newest first, the first bar still forming and ending at now; its close is the ticker last', () => {
    for (const interval of ['1', '5', '60', '240', 'D', 'W', 'M'] as const) {
      const bars = model.klines('ETHUSDT', { interval, limit: 5 }, NOW);
      expect(bars).toHaveLength(5);
      const starts = bars.map((b) => b.start);
      expect([...starts].sort((a, b) => b - a)).toEqual(starts);
      const forming = bars[0];
      expect(forming?.start).toBe(barStart(interval, NOW));
      expect(NOW).toBeLessThan(barEnd(interval, forming?.start ?? 0));
      expect(forming?.close).toBe(model.ticker('ETHUSDT', NOW).last);
    }
    // Weekly bars open on Monday 00:00 UTC.
    const week = model.klines('ETHUSDT', { interval: 'W', limit: 1 }, NOW)[0];
    expect(new Date(week?.start ?? 0).getUTCDay()).toBe(1);
  });

  it('the forming minute covers only time up to now: advancing within the minute extends it', () => {
    const early = model.klines('SOLUSDT', { interval: '1', limit: 1 }, NOW - 30_000)[0];
    const late = model.klines('SOLUSDT', { interval: '1', limit: 1 }, NOW)[0];
    expect(early?.start).toBe(late?.start);
    expect(early?.volume).toBeLessThan(late?.volume ?? 0);
    expect(late?.high).toBeGreaterThanOrEqual(early?.high ?? 0);
    expect(late?.low).toBeLessThanOrEqual(early?.low ?? 0);
    // A bar that was forming is final once time has passed; completed bars never change.
    const before = model.klines('SOLUSDT', { interval: '60', limit: 3 }, NOW);
    const after = model.klines('SOLUSDT', { interval: '60', limit: 4 }, NOW + HOUR_MS);
    expect(after.slice(2)).toEqual(before.slice(1));
    expect(after[1]?.start).toBe(before[0]?.start);
    expect(after[1]?.volume).toBeGreaterThan(before[0]?.volume ?? 0);
  });

  it('with start, serves the first `limit` bars from the bar containing start; with end only, the last ones up to end', () => {
    const start = NOW - 10 * DAY_MS + 123_456;
    const fromStart = model.klines('XRPUSDT', { interval: '60', start, limit: 5 }, NOW);
    expect(fromStart.map((b) => b.start).reverse()).toEqual([0, 1, 2, 3, 4].map((i) => barStart('60', start) + i * HOUR_MS));
    const upToEnd = model.klines('XRPUSDT', { interval: '60', end: start, limit: 3 }, NOW);
    expect(upToEnd.map((b) => b.start)).toEqual([0, 1, 2].map((i) => barStart('60', start) - i * HOUR_MS));
    expect(model.klines('XRPUSDT', { interval: '60', start: NOW + HOUR_MS, limit: 5 }, NOW)).toEqual([]);
  });

  it('gives sane candles over 1000 days: positive prices and volumes, wicks around open/close, bounded drift', () => {
    const days = model.klines('HBARUSDT', { interval: 'D', limit: 1000 }, NOW);
    expect(days).toHaveLength(1000);
    for (const d of days) {
      expect(d.low).toBeGreaterThan(0);
      expect(d.volume).toBeGreaterThan(0);
      expect(d.high).toBeGreaterThanOrEqual(Math.max(d.open, d.close));
      expect(d.low).toBeLessThanOrEqual(Math.min(d.open, d.close));
    }
    const closes = days.map((d) => d.close);
    // Anchor 0.08134 USDT = 8134 ticks: the walk stays within a factor of ~3 of it.
    expect(Math.min(...closes)).toBeGreaterThan(8134 / 3);
    expect(Math.max(...closes)).toBeLessThan(8134 * 3);
  });

  it('has realistic short-term volatility (1m and 1h returns, hourly ranges)', () => {
    const logReturns = (bars: SimCandle[]): number[] =>
      bars
        .slice()
        .reverse()
        .slice(1)
        .map((b, i, arr) => Math.log(b.close / (i === 0 ? b.open : (arr[i - 1]?.close ?? b.open))));
    const std = (xs: number[]): number => Math.sqrt(xs.reduce((a, x) => a + x * x, 0) / xs.length);
    const m1 = std(logReturns(model.klines('ETHUSDT', { interval: '1', limit: 1000 }, NOW)));
    expect(m1).toBeGreaterThan(0.0002);
    expect(m1).toBeLessThan(0.002);
    const hours = model.klines('ETHUSDT', { interval: '60', limit: 500 }, NOW);
    const h1 = std(logReturns(hours));
    expect(h1).toBeGreaterThan(0.001);
    expect(h1).toBeLessThan(0.015);
    const meanRange = hours.reduce((a, b) => a + (b.high - b.low) / b.open, 0) / hours.length;
    expect(meanRange).toBeGreaterThan(0.002);
    expect(meanRange).toBeLessThan(0.03);
  });
});

describe('market model: movers', () => {
  // Spread over a year and across the 28-day trend cycle, at odd offsets.
  const nows = Array.from({ length: 10 }, (_, i) => Date.UTC(2024, 0, 1) + i * 37.3 * DAY_MS + i * 4_321_987);

  it.each([42, 7])('seed %i: at every sampled moment 6-10 symbols moved 5 percent or more in 24h, at least 3 each way', (seed) => {
    const model = new MarketModel(seed);
    for (const now of nows) {
      const changes = model.symbols().map((id) => {
        const t = model.ticker(id, now);
        return (t.last / t.prevPrice24h - 1) * 100;
      });
      const up = changes.filter((c) => c >= 5).length;
      const down = changes.filter((c) => c <= -5).length;
      expect(up + down, new Date(now).toISOString()).toBeGreaterThanOrEqual(6);
      expect(up + down).toBeLessThanOrEqual(10);
      expect(up).toBeGreaterThanOrEqual(3);
      expect(down).toBeGreaterThanOrEqual(3);
    }
  });

  it('BTC and ETH are never movers; the current movers are the scheduled ones', () => {
    const model = new MarketModel(42);
    for (const now of nows) {
      const roles = model.roles(now);
      expect(roles.find((r) => r.symbol === 'BTCUSDT')?.slopePerDay).toBe(0);
      expect(roles.find((r) => r.symbol === 'ETHUSDT')?.slopePerDay).toBe(0);
      expect(roles.filter((r) => r.slopePerDay > 0)).toHaveLength(4);
      expect(roles.filter((r) => r.slopePerDay < 0)).toHaveLength(4);
    }
  });
});

describe('market model: determinism and shocks', () => {
  it('is a pure function of (seed, symbol, time): a second instance agrees, another seed differs', () => {
    const a = new MarketModel(42);
    const b = new MarketModel(42);
    const c = new MarketModel(43);
    expect(a.klines('DOGEUSDT', { interval: '15', limit: 50 }, NOW)).toEqual(b.klines('DOGEUSDT', { interval: '15', limit: 50 }, NOW));
    expect(a.ticker('DOGEUSDT', NOW)).toEqual(b.ticker('DOGEUSDT', NOW));
    expect(a.orderBook('DOGEUSDT', NOW, 50)).toEqual(b.orderBook('DOGEUSDT', NOW, 50));
    expect(a.ticker('DOGEUSDT', NOW).last).not.toBe(c.ticker('DOGEUSDT', NOW).last);
    // Access order does not matter: a random-access price equals the candle-derived one.
    expect(a.priceAt('DOGEUSDT', NOW)).toBe(a.ticker('DOGEUSDT', NOW).last);
  });

  it('a shock gaps the price from now on; earlier candles are unchanged; the forming candle spans the gap', () => {
    const model = new MarketModel(42);
    const before1h = model.klines('AVAXUSDT', { interval: '60', limit: 5 }, NOW);
    const last = model.ticker('AVAXUSDT', NOW).last;
    model.shock('AVAXUSDT', NOW, -8);
    const after = model.ticker('AVAXUSDT', NOW);
    expect(after.last / last).toBeCloseTo(0.92, 3);
    const after1h = model.klines('AVAXUSDT', { interval: '60', limit: 5 }, NOW);
    expect(after1h.slice(1)).toEqual(before1h.slice(1));
    const forming = after1h[0];
    expect(forming?.close).toBe(after.last);
    expect(forming?.high).toBeGreaterThanOrEqual(last);
    expect(forming?.low).toBeLessThanOrEqual(after.last);
    expect(forming?.open).toBe(before1h[0]?.open);
    // Later candles keep the shift and still aggregate exactly.
    const later = NOW + 3 * HOUR_MS;
    const m15 = model.klines('AVAXUSDT', { interval: '15', limit: 40 }, later);
    const h1 = model.klines('AVAXUSDT', { interval: '60', limit: 8 }, later);
    expectAggregates(m15, h1, '60');
    const unshocked = new MarketModel(42).ticker('AVAXUSDT', later).last;
    expect(model.ticker('AVAXUSDT', later).last / unshocked).toBeCloseTo(0.92, 3);
  });

  it('works far from today (history and future) and at the opening instant of a minute', () => {
    const model = new MarketModel(42);
    for (const now of [Date.UTC(2019, 0, 1), Date.UTC(2031, 6, 1, 0, 0, 0, 0)]) {
      const bars = model.klines('BTCUSDT', { interval: '1', limit: 3 }, now);
      expect(bars[0]?.start).toBe(now);
      expect(bars[0]?.volume).toBeGreaterThanOrEqual(1);
      expect(bars[0]?.open).toBe(bars[0]?.close);
      expect(model.ticker('BTCUSDT', now).last).toBe(bars[0]?.close);
    }
  });
});

describe('market model: book, open interest, funding, ratio', () => {
  const model = new MarketModel(42);

  it('order book: best bid <= last <= best ask, 1-2 tick spread, sorted levels, sizes grow with distance', () => {
    for (const spec of INSTRUMENTS) {
      const book = model.orderBook(spec.id, NOW, 200);
      const last = model.ticker(spec.id, NOW).last;
      const bid = book.bids[0]?.price ?? 0;
      const ask = book.asks[0]?.price ?? 0;
      expect(bid).toBeLessThanOrEqual(last);
      expect(ask).toBeGreaterThanOrEqual(last);
      expect(ask - bid).toBeGreaterThanOrEqual(1);
      expect(ask - bid).toBeLessThanOrEqual(2);
      expect(book.bids).toHaveLength(200);
      expect(book.asks).toHaveLength(200);
      const bidsDescending = book.bids.every((l, i) => i === 0 || l.price < (book.bids[i - 1]?.price ?? 0));
      const asksAscending = book.asks.every((l, i) => i === 0 || l.price > (book.asks[i - 1]?.price ?? 0));
      expect([spec.id, bidsDescending, asksAscending]).toEqual([spec.id, true, true]);
      const near = book.bids.slice(0, 20).reduce((a, l) => a + l.size, 0);
      const far = book.bids.slice(180).reduce((a, l) => a + l.size, 0);
      expect(far).toBeGreaterThan(near);
    }
  });

  it('open interest varies smoothly hour to hour; funding and long/short ratio stay in range', () => {
    for (const id of ['BTCUSDT', 'SOLUSDT', 'WIFUSDT']) {
      let prev = model.openInterest(id, NOW - 200 * HOUR_MS);
      for (let h = 199; h >= 0; h--) {
        const oi = model.openInterest(id, NOW - h * HOUR_MS);
        expect(oi).toBeGreaterThan(0);
        expect(Math.abs(oi / prev - 1)).toBeLessThan(0.05);
        prev = oi;
      }
      for (let n = 0; n < 30; n++) {
        const rate = model.fundingRate(id, Math.floor(NOW / (8 * HOUR_MS)) * 8 * HOUR_MS - n * 8 * HOUR_MS);
        expect(Math.abs(rate)).toBeGreaterThanOrEqual(0.0001);
        expect(Math.abs(rate)).toBeLessThanOrEqual(0.0005);
        const ratio = model.buyRatio(id, NOW - n * HOUR_MS);
        expect(ratio).toBeGreaterThanOrEqual(0.4);
        expect(ratio).toBeLessThanOrEqual(0.6);
      }
    }
  });
});
