/** Positioning: the pure scoring rules, and the source reading the simulated exchange through the
 * real ccxt adapter. */
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { PositioningSource, scorePositioning, type PositioningInputs } from '../../src/sentiment/positioning-source.js';
import { labelFor } from '../../src/sentiment/score.js';
import { startTestDesk, type TestDesk } from '../helpers/desk.js';

const NEUTRAL: PositioningInputs = {
  market: 'swap',
  fundingRate: 0.0001,
  fundingIntervalHours: 8,
  change24hPct: 0,
  change1hPct: 0,
  oiChange1hPct: 0,
  oiChange24hPct: 0,
  longShare: 0.5,
  volumeVsNormal: 1,
};

describe('scorePositioning', () => {
  it('scores a balanced market 0 (neutral)', () => {
    const s = scorePositioning(NEUTRAL);
    expect(s.score).toBe(0);
    expect(labelFor(s.score)).toBe('neutral');
    expect(s.reasons).toHaveLength(6);
  });

  it('reads a crowded long market as strongly bullish and names the crowding', () => {
    const s = scorePositioning({
      ...NEUTRAL,
      fundingRate: 0.0006,
      change24hPct: 12,
      change1hPct: 1,
      oiChange1hPct: 4,
      oiChange24hPct: 15,
      longShare: 0.74,
      volumeVsNormal: 2.5,
    });
    expect(s.score).toBe(100);
    expect(s.reasons.filter((r) => r.includes('crowded long'))).toHaveLength(2);
  });

  it('mirrors for a falling market with shorts piling in', () => {
    const s = scorePositioning({
      ...NEUTRAL,
      fundingRate: -0.0002,
      change24hPct: -6,
      change1hPct: -0.5,
      oiChange1hPct: 1,
      oiChange24hPct: 5,
      longShare: 0.4,
      volumeVsNormal: 1.5,
    });
    // funding -75, price -60, long share -50, OI 24h -50, OI 1h -30, volume -50
    expect(s.score).toBe(Math.round(0.25 * -75 + 0.2 * -60 + 0.2 * -50 + 0.15 * -50 + 0.1 * -30 + 0.1 * -50));
    expect(labelFor(s.score)).toBe('strongly_bearish');
  });

  it('gives falling open interest and thin volume no direction (the move is not confirmed)', () => {
    const s = scorePositioning({ ...NEUTRAL, change24hPct: 8, oiChange24hPct: -10, volumeVsNormal: 0.5, change1hPct: 0, oiChange1hPct: -2 });
    // only the price component (+80, weight 0.2) moves: 0.2 x 80 / 1.0
    expect(s.score).toBe(16);
    expect(s.reasons).toContain('open interest 24h -10.00% with price up → +0');
  });

  it('normalises funding to 8 hours when the interval differs', () => {
    const hourly = scorePositioning({ ...NEUTRAL, fundingRate: 0.0000625, fundingIntervalHours: 1 }); // 0.05 %/8h
    expect(hourly.inputs.fundingPct8h).toBe(0.05);
    expect(hourly.reasons[0]).toBe('funding +0.0500%/8h vs +0.0100% neutral (crowded long) → +100');
  });

  it('renormalises over the components a spot market has', () => {
    const s = scorePositioning({
      market: 'spot',
      fundingRate: null,
      fundingIntervalHours: null,
      change24hPct: 5,
      change1hPct: null,
      oiChange1hPct: null,
      oiChange24hPct: null,
      longShare: null,
      volumeVsNormal: 2,
      missing: ['spot market: no funding, open interest or long/short ratio'],
    });
    // price +50 (0.2), volume +100 (0.1): (10 + 10) / 0.3
    expect(s.score).toBe(67);
    expect(s.reasons.at(-1)).toBe('spot market: no funding, open interest or long/short ratio');
  });

  it('refuses to score nothing', () => {
    const none = { ...NEUTRAL, fundingRate: null, change24hPct: null, oiChange1hPct: null, oiChange24hPct: null, longShare: null, volumeVsNormal: null };
    expect(() => scorePositioning(none)).toThrow(AppError);
  });
});

describe('positioning on the simulated exchange', () => {
  const NOW = Date.UTC(2026, 10, 20, 12, 0, 0);
  let desk: TestDesk | undefined;
  afterEach(async () => {
    await desk?.close();
    desk = undefined;
  });

  async function bybit(d: TestDesk, path: string): Promise<any> {
    const res = await fetch(`${d.sim.url}${path}`);
    return ((await res.json()) as { result: any }).result;
  }

  it('reads funding, open interest and the long/short ratio the exchange publishes', async () => {
    desk = await startTestDesk({ sim: { now: NOW } });
    const source = new PositioningSource(desk.app.deps.market);
    const reading = await source.read({ symbol: 'BTC/USDT:USDT', base: 'BTC', market: 'swap' });

    const ratio = await bybit(desk, '/v5/market/account-ratio?category=linear&symbol=BTCUSDT&period=1h&limit=1');
    expect(reading.inputs!.longSharePct).toBeCloseTo(Number(ratio.list[0].buyRatio) * 100, 1);

    const ticker = (await bybit(desk, '/v5/market/tickers?category=linear&symbol=BTCUSDT')).list[0];
    expect(reading.inputs!.fundingPct8h).toBeCloseTo(Number(ticker.fundingRate) * 100, 5);
    expect(reading.inputs!.change24hPct).toBeCloseTo(Number(ticker.price24hPcnt) * 100, 2);

    const oi = (await bybit(desk, '/v5/market/open-interest?category=linear&symbol=BTCUSDT&intervalTime=1h&limit=25')).list;
    const byTime = [...oi].sort((a: any, b: any) => Number(a.timestamp) - Number(b.timestamp));
    const last = Number(byTime.at(-1).openInterest);
    expect(reading.inputs!.oiChange24hPct).toBeCloseTo((last / Number(byTime[0].openInterest) - 1) * 100, 2);
    expect(reading.inputs!.oiChange1hPct).toBeCloseTo((last / Number(byTime.at(-2).openInterest) - 1) * 100, 2);

    expect(reading.inputs!.volumeVsNormal).toBeGreaterThan(0);
    expect(reading.reasons).toHaveLength(6);
    expect(reading.asOf).toBe(NOW);
  });

  it('moves with the market: a +15 % gap turns the score up', async () => {
    desk = await startTestDesk({ sim: { now: NOW } });
    const before = await desk.call('fetch_sentiment_data', { symbol: 'XRP/USDT' });
    desk.sim.shock('XRPUSDT', 15);
    desk.sim.clock.advance(5_000); // past the 2 s quote cache
    const after = await desk.call('fetch_sentiment_data', { symbol: 'XRP/USDT' });
    const p0 = before.data.sources[0];
    const p1 = after.data.sources[0];
    expect(p1.inputs.change24hPct).toBeGreaterThan(p0.inputs.change24hPct + 10);
    expect(p1.score).toBeGreaterThan(p0.score);
  });

  it('keeps answering when one statistic fails, and says which', async () => {
    desk = await startTestDesk({ sim: { now: NOW } });
    desk.sim.faults.inject({ kind: 'http503', count: Number.POSITIVE_INFINITY, pathPrefix: '/v5/market/account-ratio' });
    const r = await desk.call('fetch_sentiment_data', { symbol: 'ETH/USDT' });
    const positioning = r.data.sources[0];
    expect(positioning.status).toBe('ok');
    expect(positioning.inputs.longSharePct).toBeNull();
    expect(positioning.reasons).toContain('long/short ratio: unavailable (UPSTREAM_UNAVAILABLE)');
  });

  it('works on spot markets with the components spot has', async () => {
    desk = await startTestDesk({ sim: { now: NOW }, env: { MARKET_TYPE: 'spot' } });
    const r = await desk.call('fetch_sentiment_data', { symbol: 'BTC/USDT' });
    expect(r.isError).toBe(false);
    expect(r.data.market).toBe('spot');
    const positioning = r.data.sources[0];
    expect(positioning).toMatchObject({ status: 'ok', inputs: { fundingPct8h: null, longSharePct: null, oiChange24hPct: null } });
    expect(positioning.reasons).toContain('spot market: no funding, open interest or long/short ratio');
  });
});
