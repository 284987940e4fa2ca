/**
 * The ledger's invariants at every step of a trading session on the simulator, through the real
 * code (ccxt against the simulated Bybit, real SQLite): fills, funding, stops, targets, a manual
 * close, concurrent submissions, replayed signal ids.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { evaluateAllPortfolios } from '../../src/trading/evaluate.js';
import { closePosition } from '../../src/trading/close.js';
import { submitSignal, type SignalInput } from '../../src/signals/submit.js';
import { startTestDesk, type TestDesk } from '../helpers/desk.js';
import { checkLedger } from './ledger-check.js';

/** 15:30 UTC: the 16:00 funding time is 30 minutes away. */
const T0 = Date.UTC(2025, 0, 15, 15, 30, 0);
const MIN = 60_000;

let desk: TestDesk | undefined;
afterEach(async () => {
  await desk?.close();
  desk = undefined;
});

async function open(env: Record<string, string> = {}): Promise<TestDesk> {
  desk = await startTestDesk({ sim: { now: T0 }, env: { LOG_LEVEL: 'warn', MIN_STOP_ATR: '0', MAX_STOP_ATR: '0', ...env } });
  return desk;
}

/** A signal at the live price with a stop `stopPct` away and reward 2.5× the risk. */
async function signal(d: TestDesk, symbol: string, direction: 'long' | 'short', extra: Partial<SignalInput> = {}, stopPct = 2): Promise<SignalInput> {
  const last = (await d.app.deps.market.ticker(symbol)).last;
  const s = direction === 'long' ? 1 : -1;
  return {
    symbol,
    direction,
    confidence: 75,
    entry_price: last,
    stop_loss: last * (1 - (s * stopPct) / 100),
    take_profit: last * (1 + (s * stopPct * 2.5) / 100),
    analysis: 'test',
    ...extra,
  };
}

describe('ledger invariants through a trading session', () => {
  it('hold after fills, funding, a gapped stop, a target, a manual close', async () => {
    const d = await open();
    const deps = d.app.deps;
    const btc = await submitSignal(deps, await signal(d, 'BTC/USDT', 'long'));
    expect(btc.status).toBe('executed');
    await checkLedger(deps);
    const eth = await submitSignal(deps, await signal(d, 'ETH/USDT', 'short'));
    expect(eth.status).toBe('executed');
    const sol = await submitSignal(deps, await signal(d, 'SOL/USDT', 'long'));
    expect(sol.status).toBe('executed');
    await checkLedger(deps);

    // Across the 16:00 funding time: one funding booking per position.
    d.sim.clock.advance(45 * MIN);
    await checkLedger(deps);
    const funding = await deps.db.selectFrom('paper_trades').selectAll().where('trade_type', '=', 'funding').execute();
    expect(funding.map((f) => f.symbol).sort()).toEqual(['BTC/USDT:USDT', 'ETH/USDT:USDT', 'SOL/USDT:USDT']);
    expect(funding.every((f) => f.created_at === Date.UTC(2025, 0, 15, 16) && f.pnl !== '0')).toBe(true);

    // A gap through the BTC stop between two looks: filled at the gapped open, worse than the stop.
    d.sim.shock('BTCUSDT', -6);
    d.sim.clock.advance(3 * MIN);
    // What the scanner and the monitor call between reads.
    const [afterGap] = await evaluateAllPortfolios(deps);
    const stopped = afterGap!.closed.find((c) => c.symbol === 'BTC/USDT:USDT')!;
    expect(stopped.reason).toBe('stop_loss');
    const btcRow = await deps.db.selectFrom('paper_positions').selectAll().where('symbol', '=', 'BTC/USDT:USDT').executeTakeFirstOrThrow();
    expect(Number(btcRow.exit_price)).toBeLessThan(Number(btcRow.stop_loss));
    await checkLedger(deps);

    // ETH falls through the short's target: closed at the target less costs.
    d.sim.shock('ETHUSDT', -10);
    d.sim.clock.advance(3 * MIN);
    await checkLedger(deps);
    const ethRow = await deps.db.selectFrom('paper_positions').selectAll().where('symbol', '=', 'ETH/USDT:USDT').executeTakeFirstOrThrow();
    expect(ethRow.exit_reason).toBe('take_profit');
    expect(Number(ethRow.exit_price)).toBeGreaterThanOrEqual(Number(ethRow.take_profit));
    expect(Number(ethRow.realized_pnl)).toBeGreaterThan(0);

    const closed = await closePosition(deps, { symbol: 'SOL/USDT' });
    expect(closed.closed.reason).toBe('manual');
    await checkLedger(deps);
    expect(await deps.db.selectFrom('paper_positions').select('id').where('status', '=', 'open').execute()).toEqual([]);
  });

  it('caps exposure under concurrent submissions through the MCP server', async () => {
    const d = await open({ MAX_TOTAL_EXPOSURE_PCT: '30', MAX_POSITION_SIZE_PCT: '10', MAX_OPEN_POSITIONS: '50' });
    const symbols = ['BTC', 'ETH', 'SOL', 'XRP', 'DOGE', 'BNB', 'ADA', 'AVAX', 'LINK', 'DOT', 'LTC', 'NEAR'].map((b) => `${b}/USDT`);
    const inputs = await Promise.all(symbols.map((s) => signal(d, s, 'long')));
    const answers = await Promise.all(inputs.map((i) => d.call('submit_trading_signal', i as unknown as Record<string, unknown>)));
    expect(answers.every((a) => !a.isError)).toBe(true);
    const executed = answers.filter((a) => a.data.status === 'executed');
    expect(executed.length).toBeGreaterThanOrEqual(3);
    const rejected = answers.filter((a) => a.data.status === 'rejected').map((a) => a.data.code);
    expect(rejected.length).toBeGreaterThan(0);
    expect(rejected.every((c) => c === 'EXPOSURE_CAP' || c === 'SIZE_BELOW_MINIMUM')).toBe(true);
    const notional = (await d.app.deps.db.selectFrom('paper_positions').select('entry_notional').execute()).reduce((a, p) => a + Number(p.entry_notional), 0);
    // 30 % of 10 000, plus at most the spread of the earlier fills (the cap counts them at the mark).
    expect(notional).toBeLessThanOrEqual(3000 * 1.001);
    await checkLedger(d.app.deps);
  });

  it('trades a replayed signal id once, even when the replays race', async () => {
    const d = await open();
    const input = { ...(await signal(d, 'BTC/USDT', 'long')), signal_id: 'scan-42-btc' };
    const answers = await Promise.all(Array.from({ length: 8 }, () => d.call('submit_trading_signal', input as unknown as Record<string, unknown>)));
    expect(new Set(answers.map((a) => a.data.id)).size).toBe(1);
    expect(answers.filter((a) => a.data.replayed === false)).toHaveLength(1);
    expect(answers.every((a) => a.data.status === 'executed' && a.data.fill.positionId === answers[0]!.data.fill.positionId)).toBe(true);
    expect(await d.app.deps.db.selectFrom('paper_positions').select('id').execute()).toHaveLength(1);
    expect(await d.app.deps.db.selectFrom('movers_signals').select('id').execute()).toHaveLength(1);
    // Same id, different levels: a conflict, not a second trade.
    const other = await d.call('submit_trading_signal', { ...input, stop_loss: input.stop_loss * 0.99 });
    expect(other.isError).toBe(true);
    expect(other.text).toMatch(/^CONFLICT: /);
    await checkLedger(d.app.deps);
  });

  it('enforces one signal id in the database itself', async () => {
    const d = await open();
    const row = {
      created_at: T0,
      symbol: 'X',
      direction: 'long' as const,
      confidence: 1,
      entry_price: '1',
      stop_loss: '1',
      take_profit: '1',
      signal_id: 'dup',
    };
    await d.app.deps.db.insertInto('movers_signals').values(row).execute();
    await expect(d.app.deps.db.insertInto('movers_signals').values(row).execute()).rejects.toThrow(/UNIQUE/);
  });

  it('books a liquidation, not negative cash, when a leveraged position gaps through its stop', async () => {
    const d = await open({ LEVERAGE: '10', MAX_POSITION_SIZE_PCT: '500', MAX_TOTAL_EXPOSURE_PCT: '500', RISK_PER_TRADE_PCT: '5' });
    const out = await submitSignal(d.app.deps, await signal(d, 'SOL/USDT', 'long'));
    expect(out.status).toBe('executed');
    expect(out.fill!.margin).toBeCloseTo(out.fill!.notional / 10, 3);
    d.sim.shock('SOLUSDT', -30);
    d.sim.clock.advance(3 * MIN);
    await checkLedger(d.app.deps);
    const row = await d.app.deps.db.selectFrom('paper_positions').selectAll().executeTakeFirstOrThrow();
    expect(row.exit_reason).toBe('liquidation');
    expect(Number(row.realized_pnl)).toBeCloseTo(-(out.fill!.margin + out.fill!.fee), 4);
  });
});
