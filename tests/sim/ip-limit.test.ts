/**
 * The simulator's model of Bybit's IP limit: N market requests per rolling 5 s, then HTTP 403
 * "access too frequent" and a block; plus the traffic record benchmarks read. Real time is a fake
 * clock here.
 */
import ccxt from 'ccxt';
import { afterEach, describe, expect, it } from 'vitest';
import { busiestWindow, startSimExchange, type SimExchange } from '../../src/sim/server.js';

let sim: SimExchange | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const get = async (url: string): Promise<{ status: number; text: string }> => {
  const res = await fetch(url);
  return { status: res.status, text: await res.text() };
};

describe('simulated exchange: IP limit', () => {
  it('answers 403 "access too frequent" past the limit in a rolling window and blocks the IP for the block time', async () => {
    let wall = 1_000_000;
    sim = await startSimExchange({ ipLimit: { limit: 5, windowMs: 5_000, blockMs: 60_000 }, wallClock: () => wall });
    const time = `${sim.url}/v5/market/time`;
    for (let i = 0; i < 5; i++) {
      expect((await get(time)).status).toBe(200);
      wall += 900; // 5 requests within 3.6 s
    }
    // The window holds requests at 1.0000 … 1.0036 s; a sixth within 5 s of the first is refused.
    const refused = await get(time);
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('access too frequent');
    wall += 10_000; // the window has passed, the block has not
    expect((await get(time)).status).toBe(403);
    expect(sim.traffic()).toMatchObject({ requests: 7, rejected: { http403: 2 }, blockedUntil: 1_000_000 + 4_500 + 60_000 });
    wall = 1_000_000 + 4_500 + 60_000;
    expect((await get(time)).status).toBe(200);
    expect(sim.traffic().blockedUntil).toBeNull();
  });

  it('lets a steady rate at the limit through (a rolling window, not a burst counter)', async () => {
    let wall = 0;
    sim = await startSimExchange({ ipLimit: { limit: 10, windowMs: 5_000, blockMs: 60_000 }, wallClock: () => wall });
    for (let i = 0; i < 40; i++) {
      expect((await get(`${sim.url}/v5/market/time`)).status).toBe(200);
      wall += 500; // 10 per 5 s, exactly
    }
    expect(sim.traffic().rejected.http403).toBe(0);
    expect(busiestWindow(sim.requestStamps(), 5_000)).toBe(10);
  });

  it('is off by default; can be turned on and off over HTTP; ccxt raises RateLimitExceeded on its 403', async () => {
    sim = await startSimExchange();
    expect(sim.traffic().ipLimit).toBeNull();
    const on = await fetch(`${sim.url}/__sim/ip-limit`, { method: 'POST', body: JSON.stringify({ limit: 1, blockMs: 60_000 }) });
    expect(((await on.json()) as { traffic: { ipLimit: unknown } }).traffic.ipLimit).toEqual({ limit: 1, windowMs: 5_000, blockMs: 60_000 });
    const ex = new ccxt.bybit({ enableRateLimit: false });
    for (const k of Object.keys(ex.urls['api'] as Record<string, string>)) (ex.urls['api'] as Record<string, string>)[k] = sim.url;
    await ex.fetchTime();
    await expect(ex.fetchTime()).rejects.toBeInstanceOf(ccxt.RateLimitExceeded);
    await fetch(`${sim.url}/__sim/ip-limit`, { method: 'POST', body: JSON.stringify({ off: true }) });
    await ex.fetchTime();
    const state = (await (await fetch(`${sim.url}/__sim/state`)).json()) as { traffic: { requests: number; rejected: { http403: number } } };
    expect(state.traffic).toMatchObject({ requests: 3, rejected: { http403: 1 } });
  });

  it('the http403 fault answers one request like the IP limit does, and counts it', async () => {
    sim = await startSimExchange();
    sim.faults.inject({ kind: 'http403', pathPrefix: '/v5/market/tickers' });
    expect((await get(`${sim.url}/v5/market/tickers?category=linear`)).status).toBe(403);
    expect((await get(`${sim.url}/v5/market/tickers?category=linear`)).status).toBe(200);
    expect(sim.traffic().rejected).toEqual({ http403: 1, http429: 0, retCode10006: 0 });
    sim.resetTraffic();
    expect(sim.traffic().requests).toBe(0);
    expect(sim.requestStamps()).toEqual([]);
  });
});
