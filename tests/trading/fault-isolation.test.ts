/**
 * One coin, or the whole exchange, failing never freezes the desk: marking to market is per
 * symbol, a position whose data fails keeps its last known mark (flagged stale, with its time),
 * every other position is still marked, stopped and charged funding, and with the exchange down
 * the portfolio, P&L and risk answers come from stored state with a warning. Due stops are booked
 * at the candles' prices once data returns. Through a real MCP client and the CLI, on the simulator.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../helpers/cli.js';
import { startTestDesk, type TestDesk } from '../helpers/desk.js';

const T0 = Date.UTC(2025, 0, 15, 12, 0, 0);
const MIN = 60_000;

let desk: TestDesk | undefined;
afterEach(async () => {
  await desk?.close();
  desk = undefined;
});

async function open(): Promise<TestDesk> {
  const dir = mkdtempSync(join(tmpdir(), 'cctrader-isolation-'));
  desk = await startTestDesk({ sim: { now: T0 }, env: { LOG_LEVEL: 'warn', DB_PATH: join(dir, 'desk.db'), EXCHANGE_RETRIES: '1' } });
  return desk;
}

/** A long 2% stop / 5% target signal at the live price, executed. */
async function buy(d: TestDesk, symbol: string): Promise<{ positionId: number; stop: number; price: number }> {
  const price = (await d.call('get_current_price', { symbol })).data.last as number;
  const stop = Number((price * 0.98).toPrecision(6));
  const result = await d.call('submit_trading_signal', {
    symbol,
    direction: 'long',
    confidence: 75,
    entry_price: price,
    stop_loss: stop,
    take_profit: Number((price * 1.05).toPrecision(6)),
    analysis: 'test position',
  });
  expect(result.isError, result.text).toBe(false);
  expect(result.data.status, result.text).toBe('executed');
  return { positionId: result.data.fill.positionId, stop, price };
}

function cliEnv(d: TestDesk): Record<string, string> {
  return {
    DB_PATH: d.config.DB_PATH!,
    EXCHANGE_BASE_URL: d.sim.url,
    EXCHANGE_RATE_LIMIT: 'false',
    EXCHANGE_RETRIES: '0',
    EXCHANGE_TIMEOUT_MS: '2000',
    LOG_LEVEL: 'silent',
  };
}

describe('one symbol failing', () => {
  it('keeps its last mark (stale) while the other positions are marked and their stops run', async () => {
    const d = await open();
    const btc = await buy(d, 'BTC/USDT');
    const eth = await buy(d, 'ETH/USDT');
    const sol = await buy(d, 'SOL/USDT');

    d.sim.clock.advance(2 * MIN);
    const first = (await d.call('get_portfolio_status')).data;
    const solMarkAt = first.positions.items.find((p: { id: number }) => p.id === sol.positionId).markAt;
    expect(solMarkAt).toBe(new Date(d.sim.clock.now()).toISOString());

    // SOL's quotes and candles now fail for good; ETH gaps through its stop.
    d.sim.faults.inject({ kind: 'http500', symbol: 'SOLUSDT', count: Number.POSITIVE_INFINITY });
    d.sim.shock('ETHUSDT', -6);
    d.sim.clock.advance(3 * MIN);

    const status = await d.call('get_portfolio_status');
    expect(status.isError, status.text).toBe(false);
    const s = status.data;
    // ETH's stop executed although SOL could not be read.
    expect(s.justClosed).toEqual([expect.objectContaining({ id: eth.positionId, reason: 'stop_loss' })]);
    const items = new Map<number, any>(s.positions.items.map((p: { id: number }) => [p.id, p]));
    expect([...items.keys()].sort()).toEqual([btc.positionId, sol.positionId].sort());
    // BTC is marked now; SOL keeps its mark of two minutes in, flagged stale.
    expect(items.get(btc.positionId).stale).toBeUndefined();
    expect(items.get(btc.positionId).markAt).toBe(new Date(d.sim.clock.now()).toISOString());
    expect(items.get(sol.positionId)).toMatchObject({ stale: true, markAt: solMarkAt });
    expect(s.warnings).toHaveLength(1);
    expect(s.warnings[0]).toContain('SOL/USDT:USDT');
    expect(s.warnings[0]).toContain('UPSTREAM_UNAVAILABLE');
    // The books still balance at the marks shown.
    const marked = s.positions.items.reduce((a: number, p: any) => a + p.margin + p.unrealizedPnl, 0);
    expect(s.account.equity).toBeCloseTo(s.account.cash + marked, 2);

    // The CLI shows the whole portfolio too, with the stale mark called out.
    const cli = await runCliInProcess(['status'], cliEnv(d));
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toContain('SOL/USDT:USDT');
    expect(cli.stdout).toContain('BTC/USDT:USDT');
    expect(cli.stdout).toMatch(/stale/);
  });

  it("a new signal on a healthy coin is decided while a held coin's data fails", async () => {
    const d = await open();
    await buy(d, 'SOL/USDT');
    d.sim.faults.inject({ kind: 'http503', symbol: 'SOLUSDT', count: Number.POSITIVE_INFINITY });
    d.sim.clock.advance(MIN);
    const btc = await buy(d, 'BTC/USDT');
    expect(btc.positionId).toBeGreaterThan(0);
  });
});

describe('a scan cycle', () => {
  it("analyses and trades its movers while a held coin's data fails", async () => {
    const d = await open();
    const { RulesAnalyst } = await import('../../src/agent/rules-analyst.js');
    const { runCycle } = await import('../../src/scanner/cycle.js');
    const { scanMovers } = await import('../../src/scanner/momentum.js');
    const movers = new Set((await scanMovers(d.app.deps)).items.map((m) => m.symbol));
    const held = ['BTC/USDT:USDT', 'ETH/USDT:USDT', 'SOL/USDT:USDT'].find((s) => !movers.has(s))!;
    await buy(d, held);
    d.sim.faults.inject({ kind: 'http500', symbol: held.split(':')[0]!.replace('/', ''), count: Number.POSITIVE_INFINITY });
    d.sim.clock.advance(MIN);
    const report = await runCycle(d.app.deps, { analyst: new RulesAnalyst(d.app.deps) });
    expect(report.status).toBe('completed');
    expect(report.errors).toBe(0);
    expect(report.executed).toBeGreaterThan(0);
  });
});

describe('the exchange down altogether', () => {
  it('status, P&L and risk answer from stored state with a warning; halt and resume work; due stops are booked when data returns', async () => {
    const d = await open();
    const btc = await buy(d, 'BTC/USDT');
    const eth = await buy(d, 'ETH/USDT');
    d.sim.clock.advance(2 * MIN);
    expect((await d.call('get_portfolio_status')).data.warnings).toBeUndefined();

    // The exchange goes away; meanwhile BTC falls through its stop.
    d.sim.faults.inject({ kind: 'http503', count: Number.POSITIVE_INFINITY });
    const crashAt = d.sim.clock.now() + MIN;
    d.sim.clock.advance(MIN);
    d.sim.shock('BTCUSDT', -5);
    d.sim.clock.advance(5 * MIN);

    for (const tool of ['get_portfolio_status', 'get_pnl_report', 'get_risk_status']) {
      const r = await d.call(tool);
      expect(r.isError, `${tool}: ${r.text}`).toBe(false);
      expect(r.data.warnings?.[0], tool).toMatch(/2 positions could not be marked now/);
    }
    const down = (await d.call('get_portfolio_status')).data;
    expect(down.positions.items.map((p: any) => p.stale)).toEqual([true, true]);
    expect(down.justClosed).toEqual([]);
    // Filtering by symbol needs no exchange either.
    expect((await d.call('get_portfolio_status', { symbol: 'btc' })).data.positions.items).toHaveLength(1);

    const env = cliEnv(d);
    for (const args of [['status'], ['pnl-report'], ['status', '--json'], ['halt', '--reason', 'exchange outage'], ['resume']]) {
      const r = await runCliInProcess(args, env);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
    const json = JSON.parse((await runCliInProcess(['status', '--json'], env)).stdout);
    expect(json.warnings[0]).toMatch(/could not be marked now/);

    // Data returns: the stop that fell due during the outage is booked at the candles' price and time.
    d.sim.faults.clear();
    const back = (await d.call('get_portfolio_status')).data;
    expect(back.warnings).toBeUndefined();
    expect(back.justClosed).toEqual([expect.objectContaining({ id: btc.positionId, reason: 'stop_loss' })]);
    const closed = back.justClosed[0];
    expect(closed.exitPrice).toBeLessThanOrEqual(btc.stop);
    expect(closed.exitPrice).toBeGreaterThan(btc.stop * 0.95);
    expect(Date.parse(closed.at)).toBeGreaterThanOrEqual(crashAt);
    expect(Date.parse(closed.at)).toBeLessThan(d.sim.clock.now() - 3 * MIN);
    expect(back.positions.items.map((p: any) => p.id)).toEqual([eth.positionId]);
  });
});
