import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { OrderBook } from '../../src/market/types.js';
import { bookLiquidity } from '../../src/trading/fills.js';
import { Dec } from '../../src/shared/money.js';
import { decide, riskLimits, type MarketView, type RiskLimits, type RiskState, type SignalLevels } from '../../src/trading/risk.js';

const d = (x: number | string) => new Dec(String(x));
const NOW = Date.UTC(2025, 0, 15, 12);

/** A deep book around 100 (bid 99.99 / ask 100.01), 50 units per 0.01 step. */
function deepBook(levels = 200, qty = 50): OrderBook {
  const bids: Array<[number, number]> = [];
  const asks: Array<[number, number]> = [];
  for (let i = 0; i < levels; i++) {
    bids.push([Number((99.99 - i * 0.01).toFixed(2)), qty]);
    asks.push([Number((100.01 + i * 0.01).toFixed(2)), qty]);
  }
  return { symbol: 'X/USDT:USDT', bids, asks, timestamp: 0 };
}

const limits: RiskLimits = riskLimits(loadConfig({ env: {} }));
const state = (over: Partial<RiskState> = {}): RiskState => ({
  halted: false,
  haltReason: null,
  cash: d(10_000),
  equity: d(10_000),
  balance: d(10_000),
  open: [],
  realizedToday: d(0),
  lastStopOutAt: null,
  now: NOW,
  ...over,
});
const market = (over: Partial<MarketView> = {}, book = deepBook(), side: 'buy' | 'sell' = 'buy'): MarketView => ({
  symbol: 'X/USDT:USDT',
  active: true,
  qtyStep: d('0.01'),
  minQty: d('0.01'),
  minNotional: d(5),
  atr: 1,
  liquidity: bookLiquidity(book, side, 0.5),
  ...over,
});
const long = (over: Partial<SignalLevels> = {}): SignalLevels => ({ direction: 'long', confidence: 70, entry: d(100), stop: d(98), target: d(105), ...over });
const run = (s: SignalLevels, st = state(), m: MarketView | null = market(), l = limits) => decide(l, s, st, 'X/USDT:USDT', m);

describe('the signal validator', () => {
  it('records, does not trade, a signal below MIN_CONFIDENCE', () => {
    expect(run(long({ confidence: 59 }))).toMatchObject({ kind: 'recorded', code: 'LOW_CONFIDENCE' });
    expect(run(long({ confidence: 60 })).kind).toBe('execute');
  });

  it.each([
    ['stop above entry', long({ stop: d(101) })],
    ['target below entry', long({ target: d(99) })],
    ['short with the stop below', { ...long(), direction: 'short' as const }],
  ])('rejects BAD_LEVELS: %s', (_name, s) => {
    expect(run(s)).toMatchObject({ kind: 'rejected', code: 'BAD_LEVELS' });
  });

  it('rejects an entry too far from the live price, with the numbers', () => {
    const r = run(long({ entry: d(102), target: d(110) }));
    expect(r).toMatchObject({ kind: 'rejected', code: 'ENTRY_TOO_FAR', numbers: { live: 100.01, maxEntryDeviationPct: 1 } });
  });

  it('measures reward-to-risk from the live price', () => {
    // From 100.01: risk 2.01, reward 2.99 → 1.49 < 1.5
    expect(run(long({ target: d(103) }))).toMatchObject({ kind: 'rejected', code: 'LOW_RISK_REWARD', numbers: { riskReward: 1.49 } });
  });

  it('rejects stops too tight or too wide against ATR, and skips the check without ATR', () => {
    expect(run(long(), state(), market({ atr: 5 }))).toMatchObject({ code: 'STOP_TOO_TIGHT' });
    expect(run(long(), state(), market({ atr: 0.2 }))).toMatchObject({ code: 'STOP_TOO_WIDE' });
    expect(run(long(), state(), market({ atr: null })).kind).toBe('execute');
  });

  it('rejects a stop beyond the liquidation price at high leverage', () => {
    const r = run(long({ stop: d(80), target: d(140) }), state(), market({ atr: null }), { ...limits, leverage: 10 });
    expect(r).toMatchObject({ code: 'STOP_BEYOND_LIQUIDATION' });
  });

  it('refuses a LEVERAGE above MAX_LEVERAGE instead of quietly changing it', () => {
    expect(() => loadConfig({ env: { LEVERAGE: '20', MAX_LEVERAGE: '10' } })).toThrow(/LEVERAGE \(20\) is above MAX_LEVERAGE \(10\)/);
    expect(riskLimits(loadConfig({ env: { LEVERAGE: '5', MARKET_TYPE: 'spot' } })).leverage).toBe(1);
  });

  it('refuses shorts on spot', () => {
    const s: SignalLevels = { direction: 'short', confidence: 70, entry: d(100), stop: d(102), target: d(95) };
    expect(run(s, state(), market(), { ...limits, marketType: 'spot' })).toMatchObject({ code: 'SHORT_NOT_SUPPORTED' });
  });
});

describe('the risk manager', () => {
  it('sizes by risk per trade over the stop distance, fees included', () => {
    const r = run(long({ target: d(110) }), state(), market(), { ...limits, maxPositionSizePct: 1000 });
    if (r.kind !== 'execute') throw new Error(r.kind);
    // 1% of 10 000 = 100 USDT over (2.01 + (100.01 + 98) × 0.00055) = 2.1189 per unit → 47.19 units
    expect(r.execution.quantity.toNumber()).toBe(47.19);
    const lossAtStop = r.execution.quantity.times(d('2.01')).plus(r.fee).plus(r.execution.quantity.times(98).times(limits.feeRate));
    expect(lossAtStop.toNumber()).toBeLessThanOrEqual(100.01);
    expect(r.clamps).toEqual([]);
  });

  it('cuts the size to the position cap and says so', () => {
    const r = run(long());
    if (r.kind !== 'execute') throw new Error(r.kind);
    expect(r.clamps[0]).toMatchObject({ code: 'POSITION_SIZE_CAP', to: 2000 });
    expect(r.execution.notional.lte(2000)).toBe(true);
  });

  it('clamps to the room left under the exposure cap, and rejects when there is none', () => {
    const open = [{ symbol: 'A', notional: d(9_500) }];
    const clamped = run(long(), state({ open }));
    if (clamped.kind !== 'execute') throw new Error(clamped.kind);
    expect(clamped.clamps.map((c) => c.code)).toContain('EXPOSURE_CAP');
    expect(clamped.execution.notional.plus(9_500).lte(10_000)).toBe(true);
    expect(run(long(), state({ open: [{ symbol: 'A', notional: d(10_000) }] }))).toMatchObject({ kind: 'rejected', code: 'EXPOSURE_CAP' });
  });

  it('never spends more cash than there is (margin + fee)', () => {
    const r = run(long(), state({ cash: d(500) }));
    if (r.kind !== 'execute') throw new Error(r.kind);
    expect(r.clamps.map((c) => c.code)).toContain('INSUFFICIENT_CASH');
    expect(r.margin.plus(r.fee).lte(500)).toBe(true);
    expect(run(long(), state({ cash: d(0) }))).toMatchObject({ code: 'INSUFFICIENT_CASH' });
  });

  it('cuts the size to the book within the slippage cap', () => {
    const thin = deepBook(200, 0.3); // 51 levels of 0.3 within 0.5 % of 100.01 → 15.3 units, ~1 535 USDT
    const r = run(long(), state(), market({}, thin));
    if (r.kind !== 'execute') throw new Error(r.kind);
    expect(r.clamps.at(-1)!.code).toBe('SLIPPAGE_CAP');
    expect(r.execution.quantity.toString()).toBe('15.3');
    expect(r.execution.price.lte(100.01 * 1.005)).toBe(true);
  });

  it('rejects a size below the exchange minimum', () => {
    const r = run(long(), state({ equity: d(10), cash: d(10), balance: d(10) }), market({ minNotional: d(5) }));
    expect(r).toMatchObject({ kind: 'rejected', code: 'SIZE_BELOW_MINIMUM' });
  });

  it('one position per symbol, a maximum count, a halt switch', () => {
    expect(run(long(), state({ open: [{ symbol: 'X/USDT:USDT', notional: d(100) }] }))).toMatchObject({ code: 'DUPLICATE_SYMBOL' });
    const five = Array.from({ length: 5 }, (_, i) => ({ symbol: `S${i}`, notional: d(10) }));
    expect(run(long(), state({ open: five }))).toMatchObject({ code: 'MAX_POSITIONS', numbers: { open: 5, maxOpenPositions: 5 } });
    expect(run(long(), state({ halted: true, haltReason: 'news' }))).toMatchObject({ code: 'HALTED' });
  });

  it('trips the daily loss breaker at -DAILY_LOSS_LIMIT_PCT of the day-start balance', () => {
    // Day started at 10 000; -500 today is the 5 % limit.
    expect(run(long(), state({ balance: d(9_500), realizedToday: d(-500) }))).toMatchObject({ code: 'DAILY_LOSS_BREAKER' });
    expect(run(long(), state({ balance: d(9_501), realizedToday: d(-499) })).kind).toBe('execute');
  });

  it('holds a cooldown after a stop-out on the symbol', () => {
    expect(run(long(), state({ lastStopOutAt: NOW - 30 * 60_000 }))).toMatchObject({ code: 'COOLDOWN' });
    expect(run(long(), state({ lastStopOutAt: NOW - 61 * 60_000 })).kind).toBe('execute');
  });

  it('without market data runs only the state checks', () => {
    expect(run(long(), state(), null)).toEqual({ kind: 'continue' });
    expect(run(long(), state({ halted: true }), null)).toMatchObject({ code: 'HALTED' });
  });
});
