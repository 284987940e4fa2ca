/**
 * The request budget inside the real ccxt client, against the simulated exchange: weights come
 * from ccxt's endpoint costs, and an exchange's "too many requests" answer stops the desk for the
 * documented time with no request reaching the exchange meanwhile. The budget runs on a fake
 * clock; the exchange on a frozen one.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { CcxtMarketData } from '../../src/market/ccxt-market-data.js';
import { startSimExchange, type SimExchange } from '../../src/sim/server.js';
import { FakeTimer } from '../helpers/fake-timer.js';

const NOW = Date.UTC(2026, 10, 20, 12, 0, 0);

let sim: SimExchange | undefined;
let market: CcxtMarketData | undefined;
afterEach(async () => {
  await market?.close();
  await sim?.close();
  market = undefined;
  sim = undefined;
});

async function setup(options: { rateLimit?: boolean; exchangeId?: string; requestsPer5s?: number } = {}) {
  sim = await startSimExchange({ seed: 42, now: NOW });
  // The budget's clock starts at the exchange's time, so Bybit's reset timestamps make sense to it.
  const timer = new FakeTimer(NOW);
  market = new CcxtMarketData({
    exchangeId: options.exchangeId ?? 'bybit',
    marketType: 'swap',
    baseUrl: sim.url,
    timeoutMs: 2_000,
    enableRateLimit: options.rateLimit ?? true,
    requestsPer5s: options.requestsPer5s ?? 480,
    budgetTimer: timer,
    // A retry's wait passes on the budget's clock.
    retry: { retries: 3, baseDelayMs: 10, maxDelayMs: 4_000, sleep: (ms) => timer.advance(ms) },
    tickerTtlMs: 0,
    log: silentLogger,
    now: () => NOW,
  });
  return { sim, market, timer };
}

async function codeOf(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected a failure');
}

describe('request budget in the ccxt client', () => {
  it("counts each Bybit market request as 1 (ccxt's cost 5 over its market unit 5) and replaces ccxt's spacing", async () => {
    const { sim, market } = await setup();
    await market.markets();
    await Promise.all(['BTC', 'ETH', 'SOL', 'XRP', 'DOGE'].map((c) => market.ticker(c)));
    await market.candles('BTC', '1h', { limit: 50 });
    const budget = market.requestBudget();
    expect(budget).toMatchObject({ limiter: 'budget', capacityPer5s: 480, exchangeLimitPer5s: 600, refillPerSec: 96, waiting: 0, backoff: null });
    expect(budget.usedLastMinute).toBe(sim.requestCount());
    expect(budget.usedLastMinute).toBeGreaterThanOrEqual(7);
  });

  it('after an HTTP 403 sends nothing for 10 minutes: every call answers RATE_LIMITED with the retry time, then requests flow again', async () => {
    const { sim, market, timer } = await setup();
    await market.markets();
    sim.faults.inject({ kind: 'http403', pathPrefix: '/v5/market/tickers' });
    const before = sim.requestCount();
    const first = await codeOf(market.ticker('BTC'));
    expect(first.code).toBe('RATE_LIMITED');
    const retryAt = new Date(NOW + 600_000).toISOString();
    expect(first.details).toMatchObject({ retryAt, reason: '403' });
    expect(first.hint).toContain(retryAt);
    expect(sim.requestCount()).toBe(before + 1); // the 403 itself, and no retry into the block

    const during = sim.requestCount();
    for (const call of [market.ticker('ETH'), market.tickers(), market.candles('SOL', '15m', { limit: 20 }), market.orderBook('BTC')]) {
      expect((await codeOf(call)).code).toBe('RATE_LIMITED');
    }
    await timer.advance(590_000);
    expect((await codeOf(market.ticker('ETH'))).details).toMatchObject({ retryAt, retryAfterMs: 10_000 });
    expect(sim.requestCount()).toBe(during);
    expect(market.requestBudget().backoff).toEqual({ until: retryAt, reason: '403' });

    // 2 s before the end a call waits for it (a retry's wait is up to 4 s) and then goes out once.
    await timer.advance(8_000);
    expect((await market.ticker('ETH')).last).toBeGreaterThan(0);
    expect(timer.now()).toBeGreaterThanOrEqual(NOW + 600_000);
    expect(sim.requestCount()).toBe(during + 1);
    expect(market.requestBudget().backoff).toBeNull();
    await market.ticker('SOL');
    expect(sim.requestCount()).toBe(during + 2);
  });

  it("after retCode 10006 waits until Bybit's reset time, then retries by itself without sending anything before it", async () => {
    const { sim, market, timer } = await setup();
    await market.markets();
    // The simulator's 10006 says the limit resets 1 s later (X-Bapi-Limit-Reset-Timestamp).
    sim.faults.inject({ kind: 'retCode10006', pathPrefix: '/v5/market/tickers' });
    const before = sim.requestCount();
    const t0 = timer.now();
    const ticker = await market.ticker('BTC');
    expect(ticker.last).toBeGreaterThan(0);
    expect(sim.requestCount()).toBe(before + 2); // the refused one, and one retry after the reset
    expect(timer.now() - t0).toBeGreaterThanOrEqual(1_000);
  });

  it('after an HTTP 429 without a reset time backs off 5 s: longer than a retry waits, so the call answers RATE_LIMITED at once', async () => {
    const { sim, market } = await setup();
    await market.markets();
    sim.faults.inject({ kind: 'http429', pathPrefix: '/v5/market/kline' });
    const before = sim.requestCount();
    const e = await codeOf(market.candles('BTC', '1h', { limit: 50 }));
    expect(e.code).toBe('RATE_LIMITED');
    expect(e.details).toMatchObject({ reason: '429', retryAt: new Date(NOW + 5_000).toISOString() });
    expect(sim.requestCount()).toBe(before + 1);
  });

  it('EXCHANGE_RATE_LIMIT=false: no budget and no back-off (a 403 is retried like before)', async () => {
    const { sim, market } = await setup({ rateLimit: false });
    expect(market.requestBudget()).toMatchObject({ limiter: 'off', capacityPer5s: null, backoff: null });
    await market.markets();
    sim.faults.inject({ kind: 'http403', pathPrefix: '/v5/market/tickers' });
    expect((await market.ticker('BTC')).last).toBeGreaterThan(0);
    expect(market.requestBudget().backoff).toBeNull();
  });

  it("an exchange whose limit the desk does not know keeps ccxt's own throttle", () => {
    const m = new CcxtMarketData({
      exchangeId: 'okx',
      marketType: 'swap',
      timeoutMs: 1_000,
      enableRateLimit: true,
      retry: { retries: 0, baseDelayMs: 1, maxDelayMs: 1 },
      tickerTtlMs: 0,
      log: silentLogger,
    });
    expect(m.requestBudget()).toMatchObject({ limiter: 'ccxt', capacityPer5s: null, exchangeLimitPer5s: null });
  });
});
