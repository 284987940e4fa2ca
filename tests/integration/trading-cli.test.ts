/** The paper-trading commands, run in-process through runCli against the simulator and a temp database. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../helpers/cli.js';
import { startSimExchange, type SimExchange } from '../../src/sim/server.js';

let sim: SimExchange;
let dbPath: string;

beforeAll(async () => {
  sim = await startSimExchange({ seed: 42 });
  dbPath = join(mkdtempSync(join(tmpdir(), 'cctrader-trading-cli-')), 'desk.db');
});
afterAll(async () => {
  await sim.close();
});

function cli(args: string[], options: { tty?: boolean; input?: string; env?: Record<string, string> } = {}) {
  const env = { EXCHANGE_BASE_URL: sim.url, DB_PATH: dbPath, EXCHANGE_RATE_LIMIT: 'false', LOG_LEVEL: 'warn', ...options.env };
  return runCliInProcess(args, env, options);
}

/** --json prints exactly one JSON document on stdout. */
async function json(args: string[]) {
  const r = await cli([...args, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

describe('paper-trading commands', () => {
  it('portfolio create, list; duplicate names are refused', async () => {
    expect(await json(['portfolio', 'create', 'swing', '--balance', '2500'])).toMatchObject({ name: 'swing', startingBalance: 2500, cash: 2500 });
    const dup = await cli(['portfolio', 'create', 'swing']);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/CONFLICT: /);
    const list = await json(['portfolio', 'list']);
    expect(list.items.map((p: { name: string }) => p.name)).toContain('swing');
  });

  it('status, signals and pnl-report show a traded portfolio, in boxes and as JSON', async () => {
    // Trade through the same database via the MCP-facing feature code the server uses.
    const { createDeps } = await import('../../src/app.js');
    const { loadConfig } = await import('../../src/config.js');
    const { submitSignal } = await import('../../src/signals/submit.js');
    const app = await createDeps(loadConfig({ env: { EXCHANGE_BASE_URL: sim.url, DB_PATH: dbPath, EXCHANGE_RATE_LIMIT: 'false', LOG_LEVEL: 'warn' } }), {
      writeLog: () => {},
    });
    try {
      const last = (await app.deps.market.ticker('SOL/USDT')).last;
      const out = await submitSignal(app.deps, {
        symbol: 'SOL/USDT',
        direction: 'long',
        confidence: 80,
        entry_price: last,
        stop_loss: last * 0.98,
        take_profit: last * 1.05,
        analysis: 'cli test',
      });
      expect(out.status).toBe('executed');
    } finally {
      await app.close();
    }

    const status = await json(['status']);
    expect(status.positions.items).toHaveLength(1);
    expect(Math.abs(status.equity - (status.cash + status.margin + status.unrealizedPnl))).toBeLessThan(0.001);
    const boxed = await cli(['status', '--symbol', 'SOL/USDT']);
    expect(boxed.stdout).toContain('┌─ Portfolio Status');
    expect(boxed.stdout).toMatch(/│ +\d+ │ SOL\/USDT:USDT │ long/);

    const signals = await json(['signals', '--symbol', 'SOL/USDT', '--limit', '5']);
    expect(signals.items[0]).toMatchObject({ symbol: 'SOL/USDT:USDT', status: 'executed' });
    expect((await cli(['signals'])).stdout).toContain('┌─ Trading Signals');

    const report = await json(['pnl-report', '--portfolio', 'default', '--period', 'weekly', '--min-trades', '1']);
    expect(report).toMatchObject({ portfolio: 'default', period: 'weekly', periodLabel: 'Last 4 Weeks' });
    expect(report.bySymbol.items[0]).toMatchObject({ symbol: 'SOL/USDT:USDT', trades: 1, open: true });
    const text = (await cli(['pnl-report', '--portfolio', 'default'])).stdout;
    expect(text).toContain('┌─ Portfolio P&L Report');
    expect(text).toMatch(/│ Symbol +│ Total P&L +│ Realized +│ Unrealized +│ Trades │ Win Rate │/);
    expect(text).toContain('Equity curve');

    const bad = await cli(['pnl-report', '--period', 'hourly']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/INVALID_INPUT: --period/);
  });

  it('signals show the analysis behind each signal: whole in --json and --id, cut in the table and the tool', async () => {
    const { createDeps } = await import('../../src/app.js');
    const { loadConfig } = await import('../../src/config.js');
    const { submitSignal } = await import('../../src/signals/submit.js');
    const { getSignalHistory } = await import('../../src/signals/history.js');
    const analysis = `ETH reclaimed the 1h EMA50 with rising volume; funding is flat and open interest rose 4% over the day. ${'Positioning is not crowded. '.repeat(20)}Risk: a failed retest of 3400.`;
    const app = await createDeps(loadConfig({ env: { EXCHANGE_BASE_URL: sim.url, DB_PATH: dbPath, EXCHANGE_RATE_LIMIT: 'false', LOG_LEVEL: 'warn' } }), {
      writeLog: () => {},
    });
    let id: number;
    try {
      const last = (await app.deps.market.ticker('ETH/USDT')).last;
      id = (
        await submitSignal(app.deps, {
          symbol: 'ETH/USDT',
          direction: 'long',
          confidence: 40,
          entry_price: last,
          stop_loss: last * 0.98,
          take_profit: last * 1.05,
          analysis,
        })
      ).id;
      // The tool's answer carries the analysis cut to 300 characters, and says so.
      const tool = await getSignalHistory(app.deps.db, { symbol: 'ETH/USDT', limit: 1, analysisChars: 300 });
      expect(tool.items[0]!.analysisCut).toBe(true);
      expect(tool.items[0]!.analysis.length).toBeLessThanOrEqual(300);
      expect(tool.items[0]!.analysis).toMatch(/^ETH reclaimed the 1h EMA50.*…$/);
    } finally {
      await app.close();
    }
    const listed = await json(['signals', '--symbol', 'ETH/USDT', '--limit', '1']);
    expect(listed.items[0]).toMatchObject({ id, analysis });
    expect(listed.items[0].analysisCut).toBeUndefined();
    const table = (await cli(['signals', '--limit', '1'])).stdout;
    expect(table).toMatch(/│ Analysis +│/);
    expect(table).toContain('ETH reclaimed the 1h EMA50 with rising volume…');
    const whole = await cli(['signals', '--id', String(id!)]);
    expect(whole.code, whole.stderr).toBe(0);
    expect(whole.stdout).toContain(`┌─ Signal #${id!}`);
    expect(whole.stdout).toContain('Decision: recorded LOW_CONFIDENCE');
    expect(whole.stdout).toContain('Risk: a failed retest of 3400.');
    expect(await json(['signals', '--id', String(id!)])).toMatchObject({ id, analysis, status: 'recorded', code: 'LOW_CONFIDENCE', position: null });
    const missing = await cli(['signals', '--id', '999999']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/NOT_FOUND: No signal with id 999999/);
  });

  it('halt persists and stops new entries from another process; resume lifts it; a halt without a reason keeps the one given before', async () => {
    expect(await json(['halt', '--reason', 'cpi release'])).toMatchObject({ halted: true, reason: 'cpi release' });
    const status = await json(['status']);
    expect(status).toMatchObject({ halted: true, haltReason: 'cpi release' });
    expect(await json(['halt'])).toMatchObject({ halted: true, reason: 'cpi release' });
    expect(await json(['resume'])).toMatchObject({ halted: false });
  });

  it('reset refuses without a terminal or --yes, asks on a terminal, and restores the balance', async () => {
    const refused = await cli(['portfolio', 'reset', 'default']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/--yes/);
    expect((await json(['status'])).positions.items).toHaveLength(1);

    const declined = await cli(['portfolio', 'reset', 'default'], { tty: true, input: 'n\n' });
    expect(declined.code).toBe(1);
    expect((await json(['status'])).positions.items).toHaveLength(1);

    const asked = await cli(['portfolio', 'reset', 'default', '--json'], { tty: true, input: 'yes\n' });
    expect(asked.code, asked.stderr).toBe(0);
    expect(asked.stderr).toContain('Reset portfolio default?');
    expect(JSON.parse(asked.stdout)).toMatchObject({ name: 'default', cash: 10_000, deletedPositions: 1 });
    const after = await json(['status']);
    expect(after).toMatchObject({ equity: 10_000, cash: 10_000, realizedPnl: 0 });
    expect(await json(['portfolio', 'reset', 'swing', '--yes', '--balance', '3000'])).toMatchObject({ startingBalance: 3000, cash: 3000 });
  });
});
