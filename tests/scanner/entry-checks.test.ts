/**
 * No paid analysis that cannot trade: before a mover is analysed the cycle checks that a trade
 * could follow (halt, breaker, cooldown, held symbol, a free position slot, room under the
 * exposure cap and cash for the market's minimum order); otherwise the mover is recorded as
 * skipped with the reason code and no analysis runs. The cycle evaluates open positions before it
 * scans, and counts every position closed while it ran. Rules analyst, real ccxt, simulator.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AnalysisTask, Analyst } from '../../src/agent/analyst.js';
import { RulesAnalyst } from '../../src/agent/rules-analyst.js';
import type { Deps } from '../../src/deps.js';
import { createPortfolio } from '../../src/trading/portfolios.js';
import { runCycle } from '../../src/scanner/cycle.js';
import { scanMovers } from '../../src/scanner/momentum.js';
import { startTestDesk, type TestDesk } from '../helpers/desk.js';

const T0 = Date.UTC(2026, 10, 20, 12, 0, 0);
let desk: TestDesk | undefined;
afterEach(async () => {
  await desk?.close();
  desk = undefined;
});

/** The rules analyst, counting the analyses it was asked for. */
function counted(deps: Deps): Analyst & { tasks: AnalysisTask[] } {
  const inner = new RulesAnalyst(deps);
  const tasks: AnalysisTask[] = [];
  return { kind: 'rules', spends: false, tasks, analyse: (task) => (tasks.push(task), inner.analyse(task)) };
}

async function openLong(d: TestDesk, portfolio: string, symbol: string, targetPct = 5) {
  const price = (await d.call('get_current_price', { symbol })).data.last as number;
  const r = await d.call('submit_trading_signal', {
    symbol,
    direction: 'long',
    confidence: 80,
    entry_price: price,
    stop_loss: Number((price * 0.98).toPrecision(6)),
    take_profit: Number((price * (1 + targetPct / 100)).toPrecision(6)),
    analysis: 'test',
    portfolio,
  });
  expect(r.data?.status, r.text).toBe('executed');
  return r.data.fill.positionId as number;
}

describe('before each analysis', () => {
  it('a full portfolio skips every mover with MAX_POSITIONS and analyses none', async () => {
    const d = (desk = await startTestDesk({ sim: { now: T0 }, env: { LOG_LEVEL: 'warn', MAX_OPEN_POSITIONS: '1' } }));
    await createPortfolio(d.app.deps, 'full', 10_000);
    await openLong(d, 'full', 'BTC/USDT');
    const analyst = counted(d.app.deps);
    const report = await runCycle(d.app.deps, { analyst, portfolio: 'full', maxMovers: 4 });
    expect(analyst.tasks).toEqual([]);
    expect(report.analysed).toBe(0);
    expect(report.movers).toHaveLength(4);
    for (const m of report.movers) expect(m).toMatchObject({ outcome: 'skipped', code: 'MAX_POSITIONS' });
    expect(report.movers[0]!.reason).toMatch(/^not analysed: the maximum number of open positions is reached/);
  });

  it('no room under the exposure cap skips with EXPOSURE_CAP; a tripped daily-loss breaker with DAILY_LOSS_BREAKER', async () => {
    const d = (desk = await startTestDesk({ sim: { now: T0 }, env: { LOG_LEVEL: 'warn' } }));
    await createPortfolio(d.app.deps, 'exposed', 10_000);
    await openLong(d, 'exposed', 'BTC/USDT');
    const tight: Deps = { ...d.app.deps, config: { ...d.app.deps.config, MAX_TOTAL_EXPOSURE_PCT: 1 } };
    const a1 = counted(tight);
    const exposed = await runCycle(tight, { analyst: a1, portfolio: 'exposed', maxMovers: 3 });
    expect(a1.tasks).toEqual([]);
    expect(exposed.movers.map((m) => m.code)).toEqual(['EXPOSURE_CAP', 'EXPOSURE_CAP', 'EXPOSURE_CAP']);

    // A losing round trip today, against a daily loss limit of a few cents.
    await createPortfolio(d.app.deps, 'losing', 10_000);
    const id = await openLong(d, 'losing', 'ETH/USDT');
    expect((await d.call('close_position', { position_id: id, portfolio: 'losing' })).isError).toBe(false);
    const strict: Deps = { ...d.app.deps, config: { ...d.app.deps.config, DAILY_LOSS_LIMIT_PCT: 0.0001 } };
    const a2 = counted(strict);
    const broken = await runCycle(strict, { analyst: a2, portfolio: 'losing', maxMovers: 2 });
    expect(a2.tasks).toEqual([]);
    expect(broken.movers.map((m) => m.code)).toEqual(['DAILY_LOSS_BREAKER', 'DAILY_LOSS_BREAKER']);
  });

  it('the last free slot goes to one analysis at a time: a mover waits for it instead of paying to be rejected', async () => {
    const d = (desk = await startTestDesk({ sim: { now: T0 }, env: { LOG_LEVEL: 'warn', MAX_OPEN_POSITIONS: '1' } }));
    const analyst = counted(d.app.deps);
    const report = await runCycle(d.app.deps, { analyst, maxMovers: 6, concurrency: 4 });
    // Every analysis had a slot to trade into; once one executed, the rest were skipped unanalysed.
    expect(report.executed).toBe(1);
    expect(report.rejectedByCode.MAX_POSITIONS).toBeUndefined();
    expect(analyst.tasks.length).toBe(report.analysed);
    expect(report.analysed + report.skipped).toBe(6);
  });
});

describe('positions first', () => {
  it('the cycle closes what hit its target before it scans, so the coin is a mover again, and counts the close', async () => {
    const d = (desk = await startTestDesk({ sim: { now: T0 }, env: { LOG_LEVEL: 'warn' } }));
    await createPortfolio(d.app.deps, 'tp', 10_000);
    const mover = (await scanMovers(d.app.deps, { portfolio: 'tp' })).items[0]!;
    const id = await openLong(d, 'tp', mover.symbol, 3);
    // The coin runs through its target before the next cycle.
    d.sim.shock(mover.symbol.split(':')[0]!.replace('/', ''), 6);
    d.sim.clock.advance(2 * 60_000);
    const report = await runCycle(d.app.deps, { analyst: counted(d.app.deps), portfolio: 'tp' });
    const position = await d.app.deps.db.selectFrom('paper_positions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(position).toMatchObject({ status: 'closed', exit_reason: 'take_profit' });
    expect(report.positionsClosed).toBe(1);
    expect(report.params.held ?? []).toEqual([]);
    expect(report.movers.map((m) => m.symbol)).toContain(mover.symbol);
  });
});
