import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDesk, type TestDesk } from '../helpers/desk.js';

let desk: TestDesk;
beforeAll(async () => {
  desk = await startTestDesk({ sim: { now: Date.parse('2026-11-20T12:34:56Z') } });
});
afterAll(async () => {
  await desk.close();
});

describe('get_current_price', () => {
  it('quotes a perpetual with bid/ask, 24h change and funding, whichever way the symbol is written', async () => {
    for (const symbol of ['BTC/USDT', 'BTCUSDT', 'BTC/USDT:USDT', 'btc']) {
      const r = await desk.call('get_current_price', { symbol });
      expect(r.isError, r.text).toBe(false);
      expect(r.data.symbol).toBe('BTC/USDT:USDT');
      expect(r.data.market).toBe('perpetual');
    }
    const { data } = await desk.call('get_current_price', { symbol: 'ETH/USDT' });
    expect(data.bid).toBeLessThan(data.ask);
    expect(data.bid).toBeLessThanOrEqual(data.last * 1.001);
    expect(data.spreadPct).toBeGreaterThan(0);
    expect(typeof data.change24hPct).toBe('number');
    expect(typeof data.fundingRatePct).toBe('number');
    expect(Date.parse(data.nextFundingTime)).toBeGreaterThan(Date.parse('2026-11-20T12:34:56Z'));
  });

  it('answers an unknown symbol with NOT_FOUND and the closest real symbols', async () => {
    const r = await desk.call('get_current_price', { symbol: 'BTX/USDT' });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/^NOT_FOUND: .*Hint: closest: .*BTC\/USDT/);
  });

  it('answers bad arguments with INVALID_INPUT and keeps serving', async () => {
    for (const args of [{}, { symbol: '' }, { symbol: 42 }, { symbol: 'x'.repeat(5000) }, { symbol: 'BTC/USDT', extra: true }]) {
      const r = await desk.call('get_current_price', args);
      expect(r.isError).toBe(true);
      expect(r.text).toMatch(/^INVALID_INPUT: /);
      expect(r.text.length).toBeLessThan(600);
    }
    expect((await desk.call('get_current_price', { symbol: 'SOL/USDT' })).isError).toBe(false);
  });
});

describe('fetch_market_data', () => {
  it('returns a summary, the latest closed candles and the forming one, bounded in size', async () => {
    const r = await desk.call('fetch_market_data', { symbol: 'ETHUSDT', timeframe: '15m', limit: 5 });
    expect(r.isError, r.text).toBe(false);
    const d = r.data;
    expect(d.symbol).toBe('ETH/USDT:USDT');
    expect(d.timeframe).toBe('15m');
    expect(d.candles).toHaveLength(5);
    expect(d.summary.candles).toBe(100);
    // the frozen clock is 12:34:56: the last closed 15m candle opened at 12:15, the forming one at 12:30
    expect(d.asOf).toBe('2026-11-20T12:15:00.000Z');
    expect(d.forming.t).toBe('2026-11-20T12:30:00.000Z');
    expect(d.candles.at(-1).t).toBe(d.asOf);
    for (const c of d.candles) expect(c.l).toBeLessThanOrEqual(Math.min(c.o, c.c));
    expect(r.text.length).toBeLessThan(2500);
  });

  it('fetches only new candles on a repeat request', async () => {
    await desk.call('fetch_market_data', { symbol: 'SOLUSDT', timeframe: '1m', limit: 3 });
    const before = desk.sim.requestCount('/v5/market/kline');
    desk.sim.clock.advance(3 * 60_000);
    const r = await desk.call('fetch_market_data', { symbol: 'SOLUSDT', timeframe: '1m', limit: 3 });
    expect(desk.sim.requestCount('/v5/market/kline') - before).toBe(1);
    expect(r.data.summary.candles).toBe(100);
    expect(Date.parse(r.data.forming.t) - Date.parse(r.data.asOf)).toBe(60_000);
  });

  it('rejects an unsupported timeframe and an out-of-range limit', async () => {
    expect((await desk.call('fetch_market_data', { symbol: 'BTC/USDT', timeframe: '7m' })).text).toMatch(/^INVALID_INPUT: .*timeframe/);
    expect((await desk.call('fetch_market_data', { symbol: 'BTC/USDT', limit: 1000 })).text).toMatch(/^INVALID_INPUT: .*limit/);
  });
});

describe('exchange faults', () => {
  it('retries a passing 429 and answers', async () => {
    desk.sim.faults.inject({ kind: 'http429', count: 1, pathPrefix: '/v5/market/tickers' });
    desk.sim.clock.advance(10_000); // past the ticker cache
    const r = await desk.call('get_current_price', { symbol: 'XRP/USDT' });
    expect(r.isError, r.text).toBe(false);
  });

  it.each([
    ['http429', 'RATE_LIMITED'],
    ['http503', 'UPSTREAM_UNAVAILABLE'],
    ['garbage', 'BAD_RESPONSE'],
    ['empty', 'BAD_RESPONSE'],
  ] as const)('reports a persistent %s as %s without upstream text, and recovers', async (kind, code) => {
    desk.sim.faults.inject({ kind, count: Infinity, pathPrefix: '/v5/market/kline' });
    try {
      const r = await desk.call('fetch_market_data', { symbol: 'DOGE/USDT', timeframe: '4h' });
      expect(r.isError).toBe(true);
      expect(r.text).toMatch(new RegExp(`^${code}: `));
      expect(r.text).not.toMatch(/retCode|<html|bybit|http:\/\//i);
    } finally {
      desk.sim.faults.clear();
    }
    expect((await desk.call('fetch_market_data', { symbol: 'DOGE/USDT', timeframe: '4h' })).isError).toBe(false);
  });

  it('reports a hung exchange as TIMEOUT', async () => {
    desk.sim.faults.inject({ kind: 'timeout', count: Infinity, pathPrefix: '/v5/market/orderbook' });
    try {
      await expect(desk.app.deps.market.orderBook('BTC/USDT')).rejects.toMatchObject({ code: 'TIMEOUT' });
    } finally {
      desk.sim.faults.clear();
    }
  }, 20_000);
});

describe('markets that fail to load', () => {
  it('answer with a coded error, and load on the next call once the exchange recovers (no cached failure)', async () => {
    const fresh = await startTestDesk({ env: { EXCHANGE_RETRIES: '1' } });
    try {
      fresh.sim.faults.inject({ kind: 'http503', count: Infinity, pathPrefix: '/v5/market/instruments-info' });
      const down = await fresh.call('get_current_price', { symbol: 'BTC/USDT' });
      expect(down.isError).toBe(true);
      expect(down.text).toMatch(/^UPSTREAM_UNAVAILABLE: /);
      fresh.sim.faults.clear();
      const up = await fresh.call('get_current_price', { symbol: 'BTC/USDT' });
      expect(up.isError, up.text).toBe(false);
      expect(up.data.symbol).toBe('BTC/USDT:USDT');
    } finally {
      await fresh.close();
    }
  });

  it('treat an empty market list (HTTP 200, garbage body) as BAD_RESPONSE, not as "no such symbol"', async () => {
    const fresh = await startTestDesk({ env: { EXCHANGE_RETRIES: '0' } });
    try {
      fresh.sim.faults.inject({ kind: 'garbage', count: Infinity, pathPrefix: '/v5/market/instruments-info' });
      const r = await fresh.call('get_current_price', { symbol: 'BTC/USDT' });
      expect(r.text).toMatch(/^BAD_RESPONSE: /);
    } finally {
      fresh.sim.faults.clear();
      await fresh.close();
    }
  });
});
