import { describe, expect, it } from 'vitest';
import type { Candle } from '../../src/market/types.js';
import { Dec } from '../../src/shared/money.js';
import { candleTimeframe, candleWindow, findTrigger, fundingTimes, type ProtectiveLevels } from '../../src/trading/triggers.js';

const d = (x: number) => new Dec(String(x));
const candle = (time: number, open: number, high: number, low: number, close: number): Candle => ({ time, open, high, low, close, volume: 1 });
const long: ProtectiveLevels = { direction: 'long', stop: d(95), target: d(110) };
const short: ProtectiveLevels = { direction: 'short', stop: d(105), target: d(90) };

describe('stop-loss and take-profit over candles', () => {
  it('a long stop inside a candle fills at the stop', () => {
    const hit = findTrigger(long, [candle(0, 100, 101, 99, 100), candle(60_000, 100, 100, 94, 96)], d(96), 999_999);
    expect(hit).toMatchObject({ reason: 'stop_loss', at: 60_000, gap: false });
    expect(hit!.reference.toString()).toBe('95');
  });

  it('a gap through the stop fills at the candle open, the worse price', () => {
    const hit = findTrigger(long, [candle(0, 90, 92, 88, 91)], d(91), 60_000);
    expect(hit!.reason).toBe('stop_loss');
    expect(hit!.reference.toString()).toBe('90');
    expect(hit!.gap).toBe(true);
  });

  it('when both levels sit inside one candle the stop is assumed first', () => {
    const hit = findTrigger(long, [candle(0, 100, 111, 94, 109)], d(109), 60_000);
    expect(hit!.reason).toBe('stop_loss');
  });

  it('a gap through the target fills at the target, never better', () => {
    const hit = findTrigger(long, [candle(0, 120, 121, 119, 120)], d(120), 60_000);
    expect(hit!.reason).toBe('take_profit');
    expect(hit!.reference.toString()).toBe('110');
  });

  it('mirrors for a short', () => {
    expect(findTrigger(short, [candle(0, 100, 106, 99, 104)], null, 0)!.reason).toBe('stop_loss');
    expect(findTrigger(short, [candle(0, 100, 101, 89, 95)], null, 0)!.reason).toBe('take_profit');
    const gap = findTrigger(short, [candle(0, 112, 113, 111, 112)], null, 0)!;
    expect(gap.reference.toString()).toBe('112');
  });

  it('the latest price beyond the stop fills at the worse of stop and price', () => {
    const hit = findTrigger(long, [candle(0, 100, 101, 99, 100)], d(93), 123_456);
    expect(hit).toMatchObject({ reason: 'stop_loss', at: 123_456 });
    expect(hit!.reference.toString()).toBe('93');
    expect(findTrigger(long, [], d(97), 5)).toBeNull();
  });

  it('the first event in time wins', () => {
    const hit = findTrigger(long, [candle(0, 100, 111, 99, 110), candle(60_000, 100, 100, 90, 91)], d(91), 200_000);
    expect(hit!.reason).toBe('take_profit');
  });
});

describe('which candles to read', () => {
  it('never the candle containing the entry (its range includes prices before the fill)', () => {
    const opened = 10 * 60_000 + 30_000;
    expect(candleWindow(opened, opened, opened + 20_000, '1m')).toBeNull();
    expect(candleWindow(opened, opened, 12 * 60_000, '1m')).toEqual({ from: 11 * 60_000 });
  });

  it('re-reads the candle containing the last check, once it has closed', () => {
    expect(candleWindow(0, 20 * 60_000 + 5_000, 25 * 60_000, '1m')).toEqual({ from: 20 * 60_000 });
  });

  it('uses coarser candles only when the span exceeds one page', () => {
    expect(candleTimeframe(10 * 3_600_000)).toBe('1m');
    expect(candleTimeframe(2 * 86_400_000)).toBe('5m');
    expect(candleTimeframe(60 * 86_400_000)).toBe('4h');
  });
});

describe('funding times', () => {
  const h = 3_600_000;
  it('lists the funding times crossed, on the exchange schedule', () => {
    expect(fundingTimes(7 * h, 17 * h, 8, 24 * h)).toEqual([8 * h, 16 * h]);
    expect(fundingTimes(8 * h, 9 * h, 8, 16 * h)).toEqual([]);
    expect(fundingTimes(7 * h, 8 * h, 8, 16 * h)).toEqual([8 * h]);
  });
});
