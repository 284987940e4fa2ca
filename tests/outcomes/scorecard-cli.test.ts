/** `cctrader scorecard` and the pnl-report cost panel, run in-process through runCli against the simulator. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeps } from '../../src/app.js';
import { runCliInProcess } from '../helpers/cli.js';
import { loadConfig } from '../../src/config.js';
import { submitSignal } from '../../src/signals/submit.js';
import { startSimExchange, type SimExchange } from '../../src/sim/server.js';

let sim: SimExchange;
let dbPath: string;
let env: Record<string, string>;

const cli = (args: string[]) => runCliInProcess(args, env);

async function json(args: string[]) {
  const r = await cli([...args, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

beforeAll(async () => {
  sim = await startSimExchange({ seed: 42 });
  dbPath = join(mkdtempSync(join(tmpdir(), 'cctrader-scorecard-cli-')), 'desk.db');
  env = { EXCHANGE_BASE_URL: sim.url, DB_PATH: dbPath, EXCHANGE_RATE_LIMIT: 'false', LOG_LEVEL: 'warn', OUTCOME_HORIZON_HOURS: '1' };
  const app = await createDeps(loadConfig({ env }), { writeLog: () => {} });
  try {
    const { deps } = app;
    // A signal made now, traded on paper: nothing to score yet.
    const now = deps.clock.now();
    const last = (await deps.market.ticker('SOL/USDT')).last;
    const out = await submitSignal(deps, {
      symbol: 'SOL/USDT',
      direction: 'long',
      confidence: 81,
      entry_price: last,
      stop_loss: last * 0.98,
      take_profit: last * 1.05,
      analysis: 'cli',
    });
    expect(out.status).toBe('executed');
    const portfolio = await deps.db.selectFrom('paper_portfolios').select('id').where('name', '=', 'default').executeTakeFirstOrThrow();
    // And one made three hours ago at the price then: its one-hour horizon is over, so it is decided either way.
    const then = (await deps.market.candlesSince('ETH/USDT', '1m', now - 3 * 3_600_000)).candles[0]!;
    await deps.db
      .insertInto('movers_signals')
      .values({
        created_at: then.time,
        symbol: 'ETH/USDT:USDT',
        direction: 'long',
        confidence: 72,
        entry_price: String(then.open),
        stop_loss: String(Number((then.open * 0.997).toPrecision(8))),
        take_profit: String(Number((then.open * 1.006).toPrecision(8))),
        status: 'recorded',
        portfolio_id: portfolio.id,
      })
      .execute();
    await deps.db
      .insertInto('token_usage')
      .values({ provider: 'anthropic', operation_type: 'analysis', model: 'm', cost_usd: '0.25', created_at: now, symbol: 'SOL/USDT' })
      .execute();
  } finally {
    await app.close();
  }
});
afterAll(async () => {
  await sim.close();
});

describe('cctrader scorecard', () => {
  it('--json: one document; the old signal is decided, the new one pending; a second run changes nothing decided', async () => {
    const first = await json(['scorecard']);
    expect(first.totals).toMatchObject({ signals: 2, decided: 1, pending: 1 });
    expect(first.evaluation.evaluated).toBeGreaterThanOrEqual(1);
    expect(first.byStatus.map((g: { key: string }) => g.key).sort()).toEqual(['executed', 'recorded']);
    expect(first.cost).toMatchObject({ spentUsd: 0.25, signals: 2, executed: 1, perSignal: 0.125, perExecutedTrade: 0.25 });

    const second = await json(['scorecard']);
    expect(second.totals).toMatchObject({ decided: 1, avgR: first.totals.avgR, hitRate: first.totals.hitRate });
    const recent = await json(['scorecard', '--since', '1h']);
    expect(recent.totals.signals).toBe(1);
    expect((await json(['scorecard', '--analyst', 'rules'])).totals.signals).toBe(0);
  });

  it('prints the summary, the calibration chart and the cost panel; refuses an unknown analyst', async () => {
    const r = await cli(['scorecard']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Signal Scorecard');
    expect(r.stdout).toMatch(/Calibration: confidence → hit rate/);
    expect(r.stdout).toMatch(/^70-79 +[█░]{20} +(0\.0|100\.0)% /m);
    expect(r.stdout).toMatch(/^80-89 +·{20} +— +— +0\/1$/m);
    expect(r.stdout).toContain('LLM Spend vs Outcomes');
    expect(r.stdout).toContain('Spent $0.25 on analysis; no trade has closed yet.');
    const bad = await cli(['scorecard', '--analyst', 'robot']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/INVALID_INPUT: --analyst is one of claude, rules, manual/);
  });

  it('pnl-report shows LLM spend next to realized P&L, in the box and as JSON', async () => {
    const text = await cli(['pnl-report']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('LLM Spend vs P&L');
    expect(text.stdout).toMatch(/Signals: 2 \(1 executed\) {3}Per signal: \$0\.1250 {3}Per executed trade: \$0\.2500/);
    const report = await json(['pnl-report']);
    expect(report.llmCost).toMatchObject({ spentUsd: 0.25, signals: 2, executed: 1 });
    expect(report.llmCost.netAfterLlm).toBeCloseTo(report.realizedPnl - 0.25, 4);
  });
});
