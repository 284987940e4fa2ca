/**
 * Paper trading end to end through a real MCP client on the simulated exchange: a signal trades,
 * the price moves, the stop or target executes by itself, and every report agrees.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { setHalt } from '../../src/trading/halt.js';
import { startTestDesk, type TestDesk } from '../helpers/desk.js';

const T0 = Date.UTC(2025, 0, 15, 12, 0, 0);
const MIN = 60_000;

let desk: TestDesk | undefined;
afterEach(async () => {
  await desk?.close();
  desk = undefined;
});

async function open(env: Record<string, string> = {}): Promise<TestDesk> {
  desk = await startTestDesk({ sim: { now: T0 }, env: { LOG_LEVEL: 'warn', ...env } });
  return desk;
}

async function levels(d: TestDesk, symbol: string, direction: 'long' | 'short', stopPct = 2, rr = 2.5) {
  const price = (await d.call('get_current_price', { symbol })).data.last as number;
  const s = direction === 'long' ? 1 : -1;
  return {
    symbol,
    direction,
    confidence: 72,
    entry_price: price,
    stop_loss: Number((price * (1 - (s * stopPct) / 100)).toFixed(2)),
    take_profit: Number((price * (1 + (s * stopPct * rr) / 100)).toFixed(2)),
    analysis: '1h breakout above resistance with rising volume',
  };
}

describe('paper trading through MCP', () => {
  it('a signal trades, is stopped out on a gap, and shows up in status, P&L report and history', async () => {
    const d = await open();
    const args = await levels(d, 'BTC/USDT', 'long');
    const submitted = await d.call('submit_trading_signal', { ...args, signal_id: 'e2e-1' });
    expect(submitted.isError, submitted.text).toBe(false);
    const s = submitted.data;
    expect(s.status).toBe('executed');
    const ticker = await d.app.deps.market.ticker('BTC/USDT');
    // Bought at the ask side of the book, never at the requested entry price.
    expect(s.fill.price).toBeGreaterThanOrEqual(ticker.ask!);
    expect(s.fill.fee).toBeCloseTo(s.fill.notional * 0.00055, 3);
    expect(JSON.parse(submitted.text)).toEqual(s);

    const before = (await d.call('get_portfolio_status')).data;
    expect(before.positions.items).toHaveLength(1);
    expect(before.positions.items[0]).toMatchObject({ id: s.fill.positionId, symbol: 'BTC/USDT:USDT', direction: 'long', stopLoss: args.stop_loss });
    expect(before.account.cash).toBeCloseTo(10_000 - s.fill.margin - s.fill.fee, 3);

    d.sim.shock('BTCUSDT', -5);
    d.sim.clock.advance(3 * MIN);
    const after = (await d.call('get_portfolio_status')).data;
    expect(after.positions.items).toEqual([]);
    expect(after.justClosed).toHaveLength(1);
    const closed = after.justClosed[0];
    expect(closed).toMatchObject({ id: s.fill.positionId, reason: 'stop_loss' });
    expect(closed.exitPrice).toBeLessThan(args.stop_loss); // the gap is paid, not hidden
    expect(closed.exitFee).toBeGreaterThan(0);
    const expectedPnl = (closed.exitPrice - s.fill.price) * s.fill.quantity - s.fill.fee - closed.exitFee;
    expect(closed.realizedPnl).toBeCloseTo(expectedPnl, 1);
    expect(after.account.equity).toBeCloseTo(10_000 + closed.realizedPnl, 3);
    expect(after.account.realizedPnl).toBeCloseTo(closed.realizedPnl, 3);

    // A second look does not close it again.
    expect((await d.call('get_portfolio_status')).data.justClosed).toEqual([]);

    const report = (await d.call('get_pnl_report', { period: 'daily' })).data;
    expect(report.summary).toMatchObject({ trades: 1, winRate: 0, realizedPnl: closed.realizedPnl, unrealizedPnl: 0 });
    expect(report.summary.feesPaid).toBeCloseTo(s.fill.fee + closed.exitFee, 3);
    expect(report.bySymbol.items).toEqual([expect.objectContaining({ symbol: 'BTC/USDT:USDT', realizedPnl: closed.realizedPnl, trades: 1, winRate: 0 })]);
    expect(report.equityCurve.at(-1).equity).toBeCloseTo(after.account.equity, 3);

    const history = (await d.call('get_signal_history', { symbol: 'BTC/USDT' })).data;
    expect(history.items[0]).toMatchObject({
      signalId: 'e2e-1',
      status: 'executed',
      position: { id: s.fill.positionId, state: 'closed', exitReason: 'stop_loss', realizedPnl: closed.realizedPnl },
    });

    // Cooldown after the stop-out: a new BTC long is refused with the code, as a normal answer.
    const again = await d.call('submit_trading_signal', await levels(d, 'BTC/USDT', 'long'));
    expect(again.isError).toBe(false);
    expect(again.data).toMatchObject({ status: 'rejected', code: 'COOLDOWN' });
    const risk = (await d.call('get_risk_status')).data;
    expect(risk.cooldowns).toEqual([expect.objectContaining({ symbol: 'BTC/USDT:USDT' })]);
    expect(risk.recentRejections[0]).toMatchObject({ code: 'COOLDOWN' });
  });

  it('a short hits its target when the price falls', async () => {
    const d = await open();
    const s = (await d.call('submit_trading_signal', await levels(d, 'ETH/USDT', 'short'))).data;
    expect(s.status).toBe('executed');
    expect(s.fill.side).toBe('sell');
    d.sim.shock('ETHUSDT', -8);
    d.sim.clock.advance(2 * MIN);
    const status = (await d.call('get_portfolio_status')).data;
    expect(status.justClosed[0]).toMatchObject({ reason: 'take_profit' });
    expect(status.justClosed[0].realizedPnl).toBeGreaterThan(0);
  });

  it('records a low-confidence signal without trading, and rejects bad levels with the numbers', async () => {
    const d = await open();
    const low = (await d.call('submit_trading_signal', { ...(await levels(d, 'SOL/USDT', 'long')), confidence: 40 })).data;
    expect(low).toMatchObject({ status: 'recorded', code: 'LOW_CONFIDENCE', fill: null, numbers: { confidence: 40, minConfidence: 60 } });
    const far = await levels(d, 'SOL/USDT', 'long');
    const tooFar = (await d.call('submit_trading_signal', { ...far, entry_price: far.entry_price * 1.05, take_profit: far.entry_price * 1.2 })).data;
    expect(tooFar).toMatchObject({ status: 'rejected', code: 'ENTRY_TOO_FAR' });
    const tight = (await d.call('submit_trading_signal', await levels(d, 'BTC/USDT', 'long', 0.05))).data;
    expect(tight).toMatchObject({ status: 'rejected', code: 'STOP_TOO_TIGHT' });
    expect(tight.numbers.atr1h).toBeGreaterThan(0);
    expect((await d.call('get_portfolio_status')).data.positions.items).toEqual([]);
    const stored = (await d.call('get_signal_history', { status: 'rejected' })).data;
    expect(stored.items.map((i: { code: string }) => i.code)).toEqual(['STOP_TOO_TIGHT', 'ENTRY_TOO_FAR']);
  });

  it('halt stops new entries at once; resume allows them again', async () => {
    const d = await open();
    await setHalt(d.app.deps, true, 'maintenance');
    const halted = (await d.call('submit_trading_signal', await levels(d, 'SOL/USDT', 'long'))).data;
    expect(halted).toMatchObject({ status: 'rejected', code: 'HALTED' });
    expect((await d.call('get_risk_status')).data.halted).toBe(true);
    await setHalt(d.app.deps, false);
    expect((await d.call('submit_trading_signal', await levels(d, 'SOL/USDT', 'long'))).data.status).toBe('executed');
  });

  it('close_position exits at market with a fee; closing twice is a conflict', async () => {
    const d = await open();
    const s = (await d.call('submit_trading_signal', await levels(d, 'SOL/USDT', 'long'))).data;
    const closed = await d.call('close_position', { position_id: s.fill.positionId });
    expect(closed.isError, closed.text).toBe(false);
    expect(closed.data).toMatchObject({ id: s.fill.positionId, reason: 'manual', closedByLevel: false });
    // A round trip at an unchanged price costs the spread and two fees.
    expect(closed.data.realizedPnl).toBeLessThan(0);
    const twice = await d.call('close_position', { position_id: s.fill.positionId });
    expect(twice.isError).toBe(true);
    expect(twice.text).toMatch(/^CONFLICT: /);
    const missing = await d.call('close_position', { symbol: 'ETH/USDT' });
    expect(missing.text).toMatch(/^NOT_FOUND: /);
  });

  it('instant mode buys at the ask and sells at the bid', async () => {
    const d = await open({ FILL_MODE: 'instant' });
    const t = await d.app.deps.market.ticker('SOL/USDT');
    const s = (await d.call('submit_trading_signal', await levels(d, 'SOL/USDT', 'long'))).data;
    expect(s.fill).toMatchObject({ mode: 'instant', price: t.ask });
    const c = (await d.call('close_position', { symbol: 'SOL/USDT' })).data;
    expect(c.exitPrice).toBe(t.bid);
  });

  it('a market failure stores the signal as failed; the same signal_id can then be retried', async () => {
    const d = await open();
    const args = { ...(await levels(d, 'SOL/USDT', 'long')), signal_id: 'retry-me' };
    d.sim.faults.inject({ kind: 'http503', count: 20, pathPrefix: '/v5/market/orderbook' });
    const failed = await d.call('submit_trading_signal', args);
    expect(failed.isError).toBe(true);
    expect(failed.text).toMatch(/^UPSTREAM_UNAVAILABLE: /);
    const stored = (await d.call('get_signal_history', { status: 'failed' })).data.items;
    expect(stored).toEqual([expect.objectContaining({ signalId: 'retry-me', code: 'UPSTREAM_UNAVAILABLE' })]);
    d.sim.faults.clear();
    const retried = (await d.call('submit_trading_signal', args)).data;
    expect(retried).toMatchObject({ status: 'executed', replayed: false, id: stored[0].id });
    expect((await d.call('submit_trading_signal', args)).data).toMatchObject({ replayed: true, id: stored[0].id });
  });

  it('shorts are refused on spot', async () => {
    const d = await open({ MARKET_TYPE: 'spot' });
    const r = (await d.call('submit_trading_signal', await levels(d, 'SOL/USDT', 'short'))).data;
    expect(r).toMatchObject({ status: 'rejected', code: 'SHORT_NOT_SUPPORTED' });
    expect((await d.call('submit_trading_signal', await levels(d, 'SOL/USDT', 'long'))).data.status).toBe('executed');
  });
});
