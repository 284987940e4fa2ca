import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDesk, type TestDesk } from '../helpers/desk.js';

let desk: TestDesk;
beforeAll(async () => {
  desk = await startTestDesk({ sim: { now: Date.parse('2026-11-21T09:07:00Z') } });
});
afterAll(async () => {
  await desk.close();
});

describe('analyze_* tools on the simulated exchange', () => {
  it('analyze_momentum gives RSI, MACD and stochastic on closed candles', async () => {
    const r = await desk.call('analyze_momentum', { symbol: 'BTCUSDT', timeframe: '1h' });
    expect(r.isError, r.text).toBe(false);
    const d = r.data;
    expect(d).toMatchObject({ symbol: 'BTC/USDT:USDT', market: 'perpetual', timeframe: '1h', candles: 200 });
    // the frozen clock is 09:07: the last closed 1h candle opened at 08:00
    expect(d.asOf).toBe('2026-11-21T08:00:00.000Z');
    expect(d.rsi).toBeGreaterThan(0);
    expect(d.rsi).toBeLessThan(100);
    expect(d.macd.histogram).toBeCloseTo(d.macd.macd - d.macd.signal, 6);
    expect(d.stochastic.k).toBeGreaterThanOrEqual(0);
  });

  it('analyze_volatility gives Bollinger with %B and bandwidth, and ATR in price and percent', async () => {
    const { data: d } = await desk.call('analyze_volatility', { symbol: 'ETH/USDT', timeframe: '15m' });
    expect(d.bollinger.upper).toBeGreaterThan(d.bollinger.middle);
    expect(d.bollinger.middle).toBeGreaterThan(d.bollinger.lower);
    expect(d.atr).toBeGreaterThan(0);
    expect(d.atrPct).toBeCloseTo((d.atr / d.close) * 100, 1);
  });

  it('analyze_trend gives EMAs, ADX and a verdict; EMA200 is null with fewer than 200 candles', async () => {
    const full = await desk.call('analyze_trend', { symbol: 'SOL/USDT', timeframe: '4h' });
    expect(full.data.ema.ema200).toEqual(expect.any(Number));
    expect(['up', 'down', 'sideways']).toContain(full.data.direction);
    const short = await desk.call('analyze_trend', { symbol: 'SOL/USDT', timeframe: '4h', candles: 60 });
    expect(short.data.ema.ema200).toBeNull();
    expect(short.data.notes.join(' ')).toMatch(/200/);
  });

  it('analyze_patterns gives levels around the price', async () => {
    const { data: d } = await desk.call('analyze_patterns', { symbol: 'XRPUSDT', timeframe: '1h' });
    if (d.support !== null) expect(d.support).toBeLessThan(d.close);
    if (d.resistance !== null) expect(d.resistance).toBeGreaterThan(d.close);
    expect(Array.isArray(d.candlestick)).toBe(true);
  });

  it('too little history is a coded error saying what is needed', async () => {
    const r = await desk.call('analyze_momentum', { symbol: 'BTC/USDT', timeframe: '1h', candles: 20 });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/^INSUFFICIENT_DATA: .*needs 34 candles, got 20/);
  });

  it('bad input is a coded error', async () => {
    expect((await desk.call('analyze_trend', { symbol: 'NOPE/USDT' })).text).toMatch(/^NOT_FOUND: /);
    expect((await desk.call('analyze_trend', { symbol: 'BTC/USDT', timeframe: '2h' })).text).toMatch(/^INVALID_INPUT: /);
    expect((await desk.call('analyze_trend', { symbol: 'BTC/USDT', candles: 5000 })).text).toMatch(/^INVALID_INPUT: .*candles/);
  });
});

describe('fetch_technical_snapshot', () => {
  it('summarises 15m, 1h and 4h with an alignment verdict, key levels and an ATR stop, in under 6 KB', async () => {
    const r = await desk.call('fetch_technical_snapshot', { symbol: 'BTC/USDT' });
    expect(r.isError, r.text).toBe(false);
    const d = r.data;
    expect(Object.keys(d.timeframes).sort()).toEqual(['15m', '1h', '4h']);
    expect(['bullish', 'bearish', 'mixed']).toContain(d.alignment);
    expect(d.reasons.length).toBeGreaterThan(0);
    expect(d.stopDistance.price).toBeGreaterThan(0);
    expect(d.stopDistance.timeframe).toBe('1h');
    for (const tf of ['15m', '1h', '4h']) expect(d.timeframes[tf].momentum.rsi).toEqual(expect.any(Number));
    expect(Buffer.byteLength(r.text)).toBeLessThan(6 * 1024);
  });

  it('reports a timeframe whose candles fail and still answers with the others', async () => {
    desk.sim.faults.inject({ kind: 'http503', count: Infinity, pathPrefix: '/v5/market/kline', symbol: 'DOGEUSDT', query: { interval: '240' } });
    try {
      const r = await desk.call('fetch_technical_snapshot', { symbol: 'DOGE/USDT' });
      expect(r.isError, r.text).toBe(false);
      expect(r.data.timeframes['4h'].error.code).toBe('UPSTREAM_UNAVAILABLE');
      expect(r.data.timeframes['1h'].momentum).toBeDefined();
      expect(r.data.reasons.join(' ')).toMatch(/4h/);
    } finally {
      desk.sim.faults.clear();
    }
  });

  it('fails with the exchange code only when every timeframe fails', async () => {
    desk.sim.faults.inject({ kind: 'http429', count: Infinity, pathPrefix: '/v5/market/kline', symbol: 'ADAUSDT' });
    try {
      const r = await desk.call('fetch_technical_snapshot', { symbol: 'ADA/USDT' });
      expect(r.isError).toBe(true);
      expect(r.text).toMatch(/^RATE_LIMITED: /);
    } finally {
      desk.sim.faults.clear();
    }
  });
});
