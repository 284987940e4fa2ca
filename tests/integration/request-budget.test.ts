/**
 * The request budget end to end: the real desk (real ccxt, real MCP server) against a simulator
 * that enforces Bybit's IP limit. A burst of tool calls beyond the budget is spread out by the
 * budget instead of getting the IP blocked; get_risk_status shows the budget; a 403 stops the
 * desk. (The budget is scaled down to 12 requests per 5 s, the simulator's limit to 15, so a burst
 * past it is 20 calls, not 600.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { busiestWindow } from '../../src/sim/server.js';
import { startTestDesk, type TestDesk } from '../helpers/desk.js';

const COINS = ['BTC', 'ETH', 'SOL', 'XRP', 'DOGE', 'ADA', 'AVAX', 'LINK', 'DOT', 'LTC'];
const IP_LIMIT = { limit: 15, windowMs: 5_000, blockMs: 60_000 };

let desk: TestDesk | undefined;
afterEach(async () => {
  await desk?.close();
  desk = undefined;
});

const budgetOn = { EXCHANGE_RATE_LIMIT: 'true', EXCHANGE_REQUESTS_PER_5S: '12', TICKER_TTL_MS: '0' };

/** 20 get_current_price calls at once (every one a ticker request: quotes are not reused). */
const burst = (d: TestDesk) => Promise.all(Array.from({ length: 20 }, (_, i) => d.call('get_current_price', { symbol: COINS[i % COINS.length]! })));

describe('request budget through the MCP tools', () => {
  it('spreads a burst beyond the budget so the exchange never answers 403, and get_risk_status shows the budget', async () => {
    desk = await startTestDesk({ env: budgetOn, sim: { ipLimit: IP_LIMIT } });
    const results = await burst(desk);
    expect(results.filter((r) => r.isError).map((r) => r.text)).toEqual([]);
    const traffic = desk.sim.traffic();
    expect(traffic.rejected).toEqual({ http403: 0, http429: 0, retCode10006: 0 });
    expect(traffic.requests).toBeGreaterThan(12);
    expect(busiestWindow(desk.sim.requestStamps(), 5_000)).toBeLessThanOrEqual(12);

    const risk = await desk.call('get_risk_status');
    expect(risk.isError).toBe(false);
    expect(risk.data.budget).toMatchObject({ limiter: 'budget', capacityPer5s: 12, exchangeLimitPer5s: 600, refillPerSec: 2.4, waiting: 0, backoff: null });
    expect(risk.data.budget.usedLastMinute).toBeGreaterThanOrEqual(traffic.requests);
  });

  it('without client-side limiting the same burst gets the IP blocked (what the budget prevents)', async () => {
    desk = await startTestDesk({ env: { ...budgetOn, EXCHANGE_RATE_LIMIT: 'false' }, sim: { ipLimit: IP_LIMIT } });
    const results = await burst(desk);
    expect(desk.sim.traffic().rejected.http403).toBeGreaterThan(0);
    expect(results.some((r) => r.isError && r.text.startsWith('RATE_LIMITED:'))).toBe(true);
    const risk = await desk.call('get_risk_status');
    expect(risk.data.budget).toMatchObject({ limiter: 'off', capacityPer5s: null, backoff: null });
  });

  it('after a 403 every tool call answers RATE_LIMITED with the time to retry, and nothing reaches the exchange', async () => {
    desk = await startTestDesk({ env: budgetOn });
    expect((await desk.call('get_current_price', { symbol: 'BTC' })).isError).toBe(false);
    desk.sim.faults.inject({ kind: 'http403' });
    const blocked = await desk.call('get_current_price', { symbol: 'ETH' });
    expect(blocked.isError).toBe(true);
    expect(blocked.text).toMatch(/^RATE_LIMITED: .*Hint: retry after \d{4}-\d\d-\d\dT/);
    const sent = desk.sim.requestCount();
    for (const [tool, args] of [
      ['get_current_price', { symbol: 'SOL' }],
      ['fetch_market_data', { symbol: 'BTC', timeframe: '1h' }],
      ['scan_market_movers', {}],
    ] as const) {
      const r = await desk.call(tool, args);
      expect(r.isError, tool).toBe(true);
      expect(r.text, tool).toMatch(/^RATE_LIMITED: /);
    }
    expect(desk.sim.requestCount()).toBe(sent);
    expect(desk.app.deps.market.requestBudget()?.backoff?.reason).toBe('403');
  });
});

describe('a scan cycle during a back-off', () => {
  it('a 403 mid-cycle: the movers not yet started are skipped with RATE_LIMITED and nothing more reaches the exchange', async () => {
    desk = await startTestDesk({ env: budgetOn, sim: { now: Date.UTC(2026, 10, 20, 12) } });
    const { RulesAnalyst } = await import('../../src/agent/rules-analyst.js');
    const { runCycle } = await import('../../src/scanner/cycle.js');
    const { scanMovers } = await import('../../src/scanner/momentum.js');
    const deps = desk.app.deps;
    await scanMovers(deps);
    // The first mover's first candle request is refused: the IP is blocked.
    desk.sim.faults.inject({ kind: 'http403', pathPrefix: '/v5/market/kline' });
    let sentAtBlock = -1;
    const report = await runCycle(deps, {
      analyst: new RulesAnalyst(deps),
      concurrency: 1,
      maxMovers: 4,
      onEvent: (e) => {
        if (e.type === 'paused' && sentAtBlock < 0) sentAtBlock = desk!.sim.requestCount();
      },
    });
    expect(report.movers[0]).toMatchObject({ outcome: 'error', code: 'RATE_LIMITED' });
    expect(report.movers.slice(1).every((m) => m.outcome === 'skipped' && m.code === 'RATE_LIMITED')).toBe(true);
    expect(report.stop).toMatchObject({ code: 'RATE_LIMITED' });
    expect(report.stop!.reason).toMatch(/back off \(HTTP 403\)/);
    expect(report.pausedUntil).not.toBeNull();
    expect(sentAtBlock).toBeGreaterThan(0);
    expect(desk.sim.requestCount()).toBe(sentAtBlock);
  });
});
