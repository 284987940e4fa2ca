/**
 * The simulated exchange as ccxt sees it: the real ccxt bybit client against the loopback server.
 * Asserts what a user of the desk would notice (markets, movers, consistent candles, gaps, faults).
 */
import ccxt, { type Exchange, type OHLCV } from 'ccxt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { type SimExchange, startSimExchange } from '../../src/sim/server.js';

/** A frozen instant, mid-minute and mid-hour. */
const NOW = Date.UTC(2025, 5, 15, 12, 34, 56, 789);
const HOUR = 3_600_000;

function client(url: string, timeout = 10_000): Exchange {
  const ex = new ccxt.bybit({
    enableRateLimit: false,
    timeout,
    options: { defaultType: 'swap', fetchMarkets: { types: ['spot', 'linear'] } },
  });
  const api = ex.urls['api'] as Record<string, string>;
  for (const k of Object.keys(api)) api[k] = url;
  return ex;
}

/** The aggregate of consecutive candles (ccxt rows: [t, o, h, l, c, v]). */
function aggregate(rows: OHLCV[]): OHLCV {
  const first = rows[0];
  const last = rows[rows.length - 1];
  if (first === undefined || last === undefined) throw new Error('no rows');
  const volume = rows.reduce((a, r) => a + Number(r[5]), 0);
  return [first[0], first[1], Math.max(...rows.map((r) => Number(r[2]))), Math.min(...rows.map((r) => Number(r[3]))), last[4], Number(volume.toFixed(8))];
}

/** Every coarse candle fully covered by `fine` equals the aggregate of its fine candles. */
function expectAggregates(fine: OHLCV[], coarse: OHLCV[], span: number): number {
  let compared = 0;
  for (const bar of coarse) {
    const start = Number(bar[0]);
    const parts = fine.filter((r) => Number(r[0]) >= start && Number(r[0]) < start + span);
    if (Number(fine[0]?.[0]) > start || parts.length === 0) continue;
    expect(aggregate(parts)).toEqual([bar[0], bar[1], bar[2], bar[3], bar[4], Number(Number(bar[5]).toFixed(8))]);
    compared++;
  }
  return compared;
}

async function post(url: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('sim exchange through ccxt (frozen clock)', () => {
  let sim: SimExchange;
  let ex: Exchange;

  beforeAll(async () => {
    sim = await startSimExchange({ seed: 42, now: NOW });
    ex = client(sim.url);
    await ex.loadMarkets();
  });
  afterAll(async () => {
    await sim.close();
  });

  it('loadMarkets gives the perpetual BTC/USDT:USDT and the spot pair BTC/USDT with their filters', () => {
    const perp = ex.market('BTC/USDT:USDT');
    expect(perp).toMatchObject({ id: 'BTCUSDT', type: 'swap', linear: true, settle: 'USDT', active: true, contractSize: 1 });
    expect(perp.precision).toEqual({ amount: 0.001, price: 0.1 });
    expect(perp.limits.cost?.min).toBe(5);
    expect(ex.market('BTC/USDT')).toMatchObject({ id: 'BTCUSDT', type: 'spot', spot: true, active: true });
    const swaps = Object.values(ex.markets ?? {}).filter((m) => m?.swap === true);
    expect(swaps).toHaveLength(30);
    expect(sim.symbols()).toHaveLength(30);
    expect(sim.symbols()).toEqual(expect.arrayContaining(['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'XRPUSDT', 'DOGEUSDT']));
  });

  it('fetchTickers returns 30 linear tickers; several moved >= 5 % in 24h, both ways', async () => {
    const tickers = await ex.fetchTickers();
    const list = Object.values(tickers);
    expect(list).toHaveLength(30);
    for (const t of list) {
      expect(t.symbol).toMatch(/\/USDT:USDT$/);
      expect(t.last).toBeGreaterThan(0);
      expect(typeof t.percentage).toBe('number');
      expect(t.high).toBeGreaterThanOrEqual(t.low ?? 0);
      expect(t.quoteVolume).toBeGreaterThan(0);
    }
    const up = list.filter((t) => (t.percentage ?? 0) >= 5).length;
    const down = list.filter((t) => (t.percentage ?? 0) <= -5).length;
    expect(up).toBeGreaterThanOrEqual(3);
    expect(down).toBeGreaterThanOrEqual(3);
    expect(up + down).toBeLessThanOrEqual(10);
    // Realistic levels for the majors.
    expect(tickers['BTC/USDT:USDT']?.last).toBeGreaterThan(20_000);
    expect(tickers['BTC/USDT:USDT']?.last).toBeLessThan(200_000);
    expect(tickers['DOGE/USDT:USDT']?.last).toBeLessThan(1);
  });

  it('fetchTicker: last is the latest 1m close, bid <= last <= ask, 24h change is consistent with the path', async () => {
    const t = await ex.fetchTicker('SOL/USDT:USDT');
    const m1 = await ex.fetchOHLCV('SOL/USDT:USDT', '1m', undefined, 3);
    expect(t.last).toBe(m1[m1.length - 1]?.[4]);
    expect(t.bid).toBeLessThanOrEqual(t.last ?? 0);
    expect(t.ask).toBeGreaterThanOrEqual(t.last ?? 0);
    expect(t.percentage).toBeCloseTo(((t.last ?? 0) / (t.open ?? 1) - 1) * 100, 3);
    // The 24h high/low cover the last day of hourly candles.
    const h1 = await ex.fetchOHLCV('SOL/USDT:USDT', '1h', undefined, 24);
    expect(t.high).toBeGreaterThanOrEqual(Math.max(...h1.slice(1).map((r) => Number(r[2]))));
    expect(t.low).toBeLessThanOrEqual(Math.min(...h1.slice(1).map((r) => Number(r[3]))));
    const spot = await ex.fetchTicker('SOL/USDT');
    expect(spot.last).toBe(t.last);
    expect(spot.info).not.toHaveProperty('openInterestValue');
  });

  it('fetchOHLCV 1m/15m/1h/4h/1d agree with each other; the last candle is the forming one', async () => {
    const symbol = 'ETH/USDT:USDT';
    const m1 = await ex.fetchOHLCV(symbol, '1m', undefined, 1000);
    const m15 = await ex.fetchOHLCV(symbol, '15m', undefined, 200);
    const h1 = await ex.fetchOHLCV(symbol, '1h', undefined, 200);
    const h4 = await ex.fetchOHLCV(symbol, '4h', undefined, 100);
    const d1 = await ex.fetchOHLCV(symbol, '1d', undefined, 10);
    expect(expectAggregates(m1, m15, 15 * 60_000)).toBeGreaterThan(60);
    expect(expectAggregates(m15, h1, HOUR)).toBeGreaterThan(45);
    expect(expectAggregates(h1, h4, 4 * HOUR)).toBeGreaterThan(45);
    expect(expectAggregates(h1, d1, 24 * HOUR)).toBeGreaterThanOrEqual(8);
    for (const [rows, span] of [
      [m1, 60_000],
      [m15, 15 * 60_000],
      [h1, HOUR],
      [h4, 4 * HOUR],
      [d1, 24 * HOUR],
    ] as const) {
      const last = rows[rows.length - 1];
      expect(Number(last?.[0])).toBeLessThanOrEqual(NOW);
      expect(NOW).toBeLessThan(Number(last?.[0]) + span);
      expect(Number(rows[0]?.[0])).toBeLessThan(Number(last?.[0]));
    }
    // `since` returns candles from that time on (ccxt's paging contract).
    const since = NOW - 50 * HOUR;
    const paged = await ex.fetchOHLCV(symbol, '1h', since, 5);
    expect(paged.map((r) => r[0])).toEqual([0, 1, 2, 3, 4].map((i) => Math.ceil(since / HOUR) * HOUR + i * HOUR));
  });

  it('fetchOrderBook: bids below asks around the last price, sorted, with depth', async () => {
    const book = await ex.fetchOrderBook('BTC/USDT:USDT', 50);
    const last = (await ex.fetchTicker('BTC/USDT:USDT')).last ?? 0;
    expect(book.bids).toHaveLength(50);
    expect(book.asks).toHaveLength(50);
    const bestBid = Number(book.bids[0]?.[0]);
    const bestAsk = Number(book.asks[0]?.[0]);
    expect(bestBid).toBeLessThan(bestAsk);
    expect(bestBid).toBeLessThanOrEqual(last);
    expect(bestAsk).toBeGreaterThanOrEqual(last);
    expect(bestAsk - bestBid).toBeLessThanOrEqual(0.2 + 1e-9);
    expect(book.timestamp).toBe(NOW);
  });

  it('fetchFundingRate, fetchFundingRateHistory, fetchOpenInterestHistory, fetchLongShortRatioHistory', async () => {
    const fr = await ex.fetchFundingRate('BTC/USDT:USDT');
    expect(Math.abs(fr.fundingRate ?? 1)).toBeLessThanOrEqual(0.0005);
    expect(Math.abs(fr.fundingRate ?? 0)).toBeGreaterThanOrEqual(0.0001);
    expect(fr.fundingTimestamp).toBe(Date.UTC(2025, 5, 15, 16));
    expect(fr.interval).toBe('8h');
    const history = await ex.fetchFundingRateHistory('BTC/USDT:USDT', undefined, 6);
    expect(history.map((h) => h.timestamp)).toEqual([5, 4, 3, 2, 1, 0].map((i) => Date.UTC(2025, 5, 15, 8) - i * 8 * HOUR));
    const oi = await ex.fetchOpenInterestHistory('SOL/USDT:USDT', '1h', undefined, 24);
    expect(oi).toHaveLength(24);
    expect(oi[23]?.timestamp).toBe(Date.UTC(2025, 5, 15, 12));
    for (let i = 1; i < oi.length; i++) {
      expect(Number(oi[i]?.timestamp) - Number(oi[i - 1]?.timestamp)).toBe(HOUR);
      expect(Math.abs(Number(oi[i]?.openInterestAmount) / Number(oi[i - 1]?.openInterestAmount) - 1)).toBeLessThan(0.05);
    }
    const ratio = await ex.fetchLongShortRatioHistory('SOL/USDT:USDT', '1h', undefined, 5);
    expect(ratio).toHaveLength(5);
    for (const r of ratio) expect(r.longShortRatio).toBeGreaterThan(0.5);
  });

  it('a frozen clock gives identical answers, also from a second simulator with the same seed', async () => {
    const a = await ex.fetchOHLCV('XRP/USDT:USDT', '5m', undefined, 100);
    const b = await ex.fetchOHLCV('XRP/USDT:USDT', '5m', undefined, 100);
    expect(b).toEqual(a);
    const other = await startSimExchange({ seed: 42, now: NOW });
    try {
      const ex2 = client(other.url);
      expect(await ex2.fetchOHLCV('XRP/USDT:USDT', '5m', undefined, 100)).toEqual(a);
      expect((await ex2.fetchTicker('XRP/USDT:USDT')).info).toEqual((await ex.fetchTicker('XRP/USDT:USDT')).info);
    } finally {
      await other.close();
    }
  });

  it('unknown symbols answer "Not supported symbols" (BadSymbol); unknown paths 404 (ExchangeNotAvailable)', async () => {
    await expect(ex.publicGetV5MarketTickers({ category: 'linear', symbol: 'FOOUSDT' })).rejects.toBeInstanceOf(ccxt.BadSymbol);
    await expect(ex.publicGetV5MarketKline({ category: 'linear', symbol: 'BTCUSDT', interval: '7' })).rejects.toBeInstanceOf(ccxt.BadRequest);
    const res = await fetch(`${sim.url}/v5/market/nothing-here`);
    expect(res.status).toBe(404);
    await expect(ex.publicGetV5MarketRecentTrade({ category: 'linear', symbol: 'BTCUSDT' })).rejects.toBeInstanceOf(ccxt.ExchangeNotAvailable);
  });
});

describe('sim exchange: time, shocks and controls', () => {
  let sim: SimExchange;
  let ex: Exchange;

  beforeAll(async () => {
    sim = await startSimExchange({ seed: 42, now: NOW });
    ex = client(sim.url);
    await ex.loadMarkets();
  });
  afterAll(async () => {
    await sim.close();
  });

  it('advance produces new candles and moves the price; set jumps anywhere', async () => {
    const before = await ex.fetchOHLCV('BTC/USDT:USDT', '1h', undefined, 3);
    sim.clock.advance(2 * HOUR);
    const after = await ex.fetchOHLCV('BTC/USDT:USDT', '1h', undefined, 3);
    expect(Number(after[2]?.[0]) - Number(before[2]?.[0])).toBe(2 * HOUR);
    expect(after[0]?.[0]).toBe(before[2]?.[0]);
    // The candle that was forming has completed: same open, more volume.
    expect(after[0]?.[1]).toBe(before[2]?.[1]);
    expect(Number(after[0]?.[5])).toBeGreaterThan(Number(before[2]?.[5]));
    expect(await ex.fetchTime()).toBe(NOW + 2 * HOUR);
    sim.clock.set(NOW);
    expect(await ex.fetchTime()).toBe(NOW);
  });

  it('clock modes: a function is consulted per request, Date.now by default; set/advance work in both', async () => {
    let t = NOW;
    const driven = await startSimExchange({ now: () => t });
    const live = await startSimExchange();
    try {
      expect(driven.clock.now()).toBe(NOW);
      t += 5_000;
      expect(driven.clock.now()).toBe(NOW + 5_000);
      driven.clock.advance(1_000);
      expect(driven.clock.now()).toBe(NOW + 6_000);
      driven.clock.set(NOW);
      t += 2_000;
      expect(driven.clock.now()).toBe(NOW + 2_000);
      expect(Math.abs(live.clock.now() - Date.now())).toBeLessThan(1_000);
      live.clock.set(NOW);
      expect(live.clock.now() - NOW).toBeGreaterThanOrEqual(0);
      expect(live.clock.now() - NOW).toBeLessThan(1_000);
      expect(await client(live.url).fetchTime()).toBeGreaterThanOrEqual(NOW);
    } finally {
      await Promise.all([driven.close(), live.close()]);
    }
  });

  it('shock gaps the price from now on and leaves earlier candles alone', async () => {
    const tickerBefore = await ex.fetchTicker('ETH/USDT:USDT');
    const candlesBefore = await ex.fetchOHLCV('ETH/USDT:USDT', '15m', undefined, 10);
    sim.shock('ETHUSDT', -8);
    const tickerAfter = await ex.fetchTicker('ETH/USDT:USDT');
    const candlesAfter = await ex.fetchOHLCV('ETH/USDT:USDT', '15m', undefined, 10);
    expect((tickerAfter.last ?? 0) / (tickerBefore.last ?? 1)).toBeCloseTo(0.92, 3);
    expect((tickerAfter.percentage ?? 0) - (tickerBefore.percentage ?? 0)).toBeLessThan(-7);
    expect(candlesAfter.slice(0, 9)).toEqual(candlesBefore.slice(0, 9));
    const forming = candlesAfter[9];
    expect(forming?.[4]).toBe(tickerAfter.last);
    expect(Number(forming?.[2])).toBeGreaterThanOrEqual(tickerBefore.last ?? 0);
    expect(Number(forming?.[3])).toBeLessThanOrEqual(tickerAfter.last ?? 0);
    expect(() => sim.shock('NOPEUSDT', 5)).toThrow(/unknown symbol/);
    expect(() => sim.shock('ETHUSDT', -100)).toThrow();
  });

  it('HTTP controls: faults, clock, shock and state from another process', async () => {
    const injected = await post(`${sim.url}/__sim/faults`, { kind: 'http503', count: 'Infinity', pathPrefix: '/v5/market/tickers' });
    expect(injected.status).toBe(200);
    await expect(ex.fetchTicker('BTC/USDT:USDT')).rejects.toBeInstanceOf(ccxt.ExchangeNotAvailable);
    await expect(ex.fetchTicker('BTC/USDT:USDT')).rejects.toBeInstanceOf(ccxt.ExchangeNotAvailable);
    expect((await fetch(`${sim.url}/__sim/faults`, { method: 'DELETE' })).status).toBe(200);
    const t0 = await ex.fetchTicker('BTC/USDT:USDT');

    const clock = await post(`${sim.url}/__sim/clock`, { advance: 60_000 });
    expect(clock.json['now']).toBe(NOW + 60_000);
    expect(await ex.fetchTime()).toBe(NOW + 60_000);
    expect((await post(`${sim.url}/__sim/clock`, { set: NOW })).json['now']).toBe(NOW);

    const shocked = await post(`${sim.url}/__sim/shock`, { symbol: 'BTCUSDT', pct: 10 });
    expect(shocked.status).toBe(200);
    expect(((await ex.fetchTicker('BTC/USDT:USDT')).last ?? 0) / (t0.last ?? 1)).toBeCloseTo(1.1, 3);

    expect((await post(`${sim.url}/__sim/faults`, { kind: 'meteor' })).status).toBe(400);
    expect((await post(`${sim.url}/__sim/shock`, { symbol: 'NOPEUSDT', pct: 1 })).status).toBe(400);
    expect((await post(`${sim.url}/__sim/clock`, { jump: 1 })).status).toBe(400);

    await post(`${sim.url}/__sim/faults`, { kind: 'latency', latencyMs: 5, symbol: 'SOLUSDT', count: 2 });
    const state = (await (await fetch(`${sim.url}/__sim/state`)).json()) as Record<string, unknown>;
    expect(state).toMatchObject({ now: NOW, seed: 42, faults: [{ kind: 'latency', remaining: 2, symbol: 'SOLUSDT', latencyMs: 5 }] });
    expect(state['symbols']).toHaveLength(30);
    expect(state['movers']).toHaveLength(8);
    expect(state['shocks']).toEqual(expect.arrayContaining([expect.objectContaining({ symbol: 'BTCUSDT', at: NOW })]));
    sim.faults.clear();
  });

  it('requestCount counts market requests by path prefix (for cache tests)', async () => {
    const before = sim.requestCount('/v5/market/kline');
    const total = sim.requestCount();
    await ex.fetchOHLCV('BTC/USDT:USDT', '1h', undefined, 2);
    await ex.fetchOHLCV('BTC/USDT:USDT', '4h', undefined, 2);
    expect(sim.requestCount('/v5/market/kline')).toBe(before + 2);
    expect(sim.requestCount()).toBe(total + 2);
    await fetch(`${sim.url}/__sim/state`);
    expect(sim.requestCount()).toBe(total + 2);
  });
});

describe('sim exchange: faults as ccxt surfaces them', () => {
  let sim: SimExchange;
  let ex: Exchange;

  beforeAll(async () => {
    sim = await startSimExchange({ seed: 42, now: NOW });
    ex = client(sim.url, 300);
    await ex.loadMarkets();
  });
  afterEach(() => sim.faults.clear());
  afterAll(async () => {
    await sim.close();
  });

  it.each([
    ['http429', 'RateLimitExceeded', ccxt.RateLimitExceeded],
    ['retCode10006', 'RateLimitExceeded', ccxt.RateLimitExceeded],
    ['http500', 'ExchangeNotAvailable', ccxt.ExchangeNotAvailable],
    ['http502', 'ExchangeNotAvailable', ccxt.ExchangeNotAvailable],
    ['http503', 'ExchangeNotAvailable', ccxt.ExchangeNotAvailable],
    ['http504', 'RequestTimeout', ccxt.RequestTimeout],
    ['timeout', 'RequestTimeout', ccxt.RequestTimeout],
    ['reset', 'NetworkError', ccxt.NetworkError],
  ] as const)('%s → %s, once; the next call succeeds', async (kind, _name, errorClass) => {
    sim.faults.inject({ kind, pathPrefix: '/v5/market/tickers' });
    await expect(ex.fetchTicker('BTC/USDT:USDT')).rejects.toBeInstanceOf(errorClass);
    expect((await ex.fetchTicker('BTC/USDT:USDT')).last).toBeGreaterThan(0);
  });

  // HTTP 200 with a body that is not the envelope: ccxt raises nothing. fetchTicker returns a
  // ticker with last/percentage undefined, fetchOHLCV returns [], fetchTickers returns {} and
  // loadMarkets loads 0 markets. Callers must validate what comes back.
  it.each(['garbage', 'empty', 'html'] as const)('%s → no exception, but no data', async (kind) => {
    sim.faults.inject({ kind, count: 3 });
    const ticker = await ex.fetchTicker('BTC/USDT:USDT');
    expect(ticker.last).toBeUndefined();
    expect(ticker.percentage).toBeUndefined();
    expect(await ex.fetchOHLCV('BTC/USDT:USDT', '1h', undefined, 5)).toEqual([]);
    expect(await ex.fetchTickers()).toEqual({});
  });

  it('latency delays the answer; symbol and path filters; Infinity lasts until clear()', async () => {
    sim.faults.inject({ kind: 'latency', latencyMs: 150, symbol: 'BTCUSDT' });
    const started = Date.now();
    expect((await ex.fetchTicker('BTC/USDT:USDT')).last).toBeGreaterThan(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);

    sim.faults.inject({ kind: 'http500', count: Number.POSITIVE_INFINITY, symbol: 'SOLUSDT', pathPrefix: '/v5/market/kline' });
    expect((await ex.fetchTicker('SOL/USDT:USDT')).last).toBeGreaterThan(0);
    expect(await ex.fetchOHLCV('ETH/USDT:USDT', '1h', undefined, 2)).toHaveLength(2);
    for (let i = 0; i < 3; i++) {
      await expect(ex.fetchOHLCV('SOL/USDT:USDT', '1h', undefined, 2)).rejects.toBeInstanceOf(ccxt.ExchangeNotAvailable);
    }
    expect(sim.faults.pending()).toEqual([expect.objectContaining({ kind: 'http500', remaining: Number.POSITIVE_INFINITY })]);
    sim.faults.clear();
    expect(await ex.fetchOHLCV('SOL/USDT:USDT', '1h', undefined, 2)).toHaveLength(2);
    expect(() => sim.faults.inject({ kind: 'http500', count: 0 })).toThrow(TypeError);
  });

  it('a failed first loadMarkets is cached by ccxt until reloaded', async () => {
    const fresh = client(sim.url, 300);
    sim.faults.inject({ kind: 'http502', pathPrefix: '/v5/market/instruments-info' });
    await expect(fresh.loadMarkets()).rejects.toBeInstanceOf(ccxt.ExchangeNotAvailable);
    await expect(fresh.fetchTicker('BTC/USDT:USDT')).rejects.toBeInstanceOf(ccxt.ExchangeNotAvailable);
    await fresh.loadMarkets(true);
    expect(fresh.market('BTC/USDT:USDT').id).toBe('BTCUSDT');
  });

  it('close() returns promptly while a request is being held by a timeout fault', async () => {
    const local = await startSimExchange({ seed: 42, now: NOW });
    local.faults.inject({ kind: 'timeout' });
    const patient = client(local.url, 20_000);
    const pending = patient.fetchTime().catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await local.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await pending).toBeInstanceOf(ccxt.NetworkError);
  });
});
