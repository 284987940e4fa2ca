/**
 * The scan cycle with the rules analyst, end to end on the simulated exchange: the real ccxt
 * client, the real risk rules and paper fills, a real SQLite database. The simulator's clock is
 * frozen, so every cycle here sees the same market.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Analyst } from '../../src/agent/analyst.js';
import { RulesAnalyst } from '../../src/agent/rules-analyst.js';
import { createPortfolio } from '../../src/trading/portfolios.js';
import { runCycle, signalIdFor, type CycleEvent } from '../../src/scanner/cycle.js';
import { scanMovers } from '../../src/scanner/momentum.js';
import { setHalt } from '../../src/trading/halt.js';
import { startTestDesk, type TestDesk } from '../helpers/desk.js';

const NOW = Date.parse('2026-11-20T12:34:56Z');

let desk: TestDesk;
let analyst: RulesAnalyst;

beforeAll(async () => {
  desk = await startTestDesk({ sim: { now: NOW }, env: { LOG_LEVEL: 'warn' } });
  analyst = new RulesAnalyst(desk.app.deps);
});
afterAll(async () => {
  await desk?.close();
});

const db = () => desk.app.deps.db;
const exchangeId = (symbol: string) => symbol.split(':')[0]!.replace('/', '');

describe('scan_market_movers', () => {
  it('lists the movers beyond the threshold, biggest move first, in one bulk tickers call', async () => {
    const before = desk.sim.requestCount('/v5/market/tickers');
    const r = await desk.call('scan_market_movers', {});
    expect(r.isError, r.text).toBe(false);
    expect(desk.sim.requestCount('/v5/market/tickers') - before).toBe(1);
    const items = r.data.items as Array<{ symbol: string; direction: string; change24hPct: number }>;
    expect(items.length).toBeGreaterThanOrEqual(6);
    expect(items.length).toBeLessThanOrEqual(10);
    expect(r.data.hasMore).toBe(false);
    expect(r.data.scanned).toBe(30);
    for (const m of items) {
      expect(Math.abs(m.change24hPct)).toBeGreaterThanOrEqual(5);
      expect(m.direction).toBe(m.change24hPct > 0 ? 'gainer' : 'loser');
    }
    const sizes = items.map((m) => Math.abs(m.change24hPct));
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
    expect(items.some((m) => m.direction === 'gainer') && items.some((m) => m.direction === 'loser')).toBe(true);
    // A smaller limit cuts the list and says there is more.
    const two = await desk.call('scan_market_movers', { limit: 2 });
    expect(two.data.items.map((m: { symbol: string }) => m.symbol)).toEqual(items.slice(0, 2).map((m) => m.symbol));
    expect(two.data.hasMore).toBe(true);
  });
});

describe('a rules-analyst cycle', () => {
  let cycleId: string;
  let executedSymbols: string[];

  it('finds the movers, analyses each, stores their signals, trades some, and records the metrics', async () => {
    const events: CycleEvent[] = [];
    const report = await runCycle(desk.app.deps, { analyst, onEvent: (e) => events.push(e) });
    cycleId = report.cycleId;
    expect(report.status).toBe('completed');
    expect(report.replayed).toBe(false);
    expect(report.analyst).toBe('rules');
    expect(report.scanned).toBe(30);
    expect(report.moversFound).toBeGreaterThanOrEqual(6);
    expect(report.movers).toHaveLength(Math.min(report.moversFound, 20));
    // No analysis that cannot trade: once the portfolio is full, the rest are skipped unanalysed.
    expect(report.analysed).toBeGreaterThan(0);
    expect(report.analysed + report.skipped).toBe(report.movers.length);
    const skipped = report.movers.filter((m) => m.outcome === 'skipped');
    expect(skipped.length).toBeGreaterThan(0);
    for (const m of skipped) expect(m).toMatchObject({ code: 'MAX_POSITIONS', signal: null });
    expect(report.rejectedByCode.MAX_POSITIONS).toBeUndefined();
    expect(report.errors).toBe(0);
    expect(report.signals).toBeGreaterThan(0);
    expect(report.executed).toBeGreaterThan(0);
    expect(report.signals).toBe(report.executed + report.rejected + report.recorded);
    expect(report.analysed).toBe(report.signals + report.noSignal);
    expect(Object.values(report.rejectedByCode).reduce((a, b) => a + b, 0)).toBe(report.rejected);
    expect(report.costUsd).toBe(0);

    // Every signal is in movers_signals under the cycle's deterministic id, and every execution opened a position.
    const signals = await db().selectFrom('movers_signals').selectAll().where('signal_id', 'like', `${cycleId}:%`).execute();
    expect(signals).toHaveLength(report.signals);
    for (const m of report.movers.filter((x) => x.signal)) {
      const row = signals.find((s) => s.id === m.signal!.rowId)!;
      expect(row.signal_id).toBe(signalIdFor(cycleId, m.symbol));
      expect(row.signal_id).toBe(`${cycleId}:${exchangeId(m.symbol)}`);
      expect(row.status).toBe(m.outcome);
      expect(row.analysis).toMatch(/^Rules analyst: alignment (bullish|bearish)/);
      expect(row.timeframe).toBe('1h');
      expect(row.direction).toBe(m.signal!.direction);
    }
    const executed = signals.filter((s) => s.status === 'executed');
    expect(executed).toHaveLength(report.executed);
    const positions = await db().selectFrom('paper_positions').selectAll().where('status', '=', 'open').execute();
    expect(positions.map((p) => p.id).sort()).toEqual(executed.map((s) => s.position_id).sort());
    executedSymbols = executed.map((s) => s.symbol);

    // The stored metrics row says the same.
    const row = await db().selectFrom('scan_cycles').selectAll().where('id', '=', cycleId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      status: 'completed',
      scanned: 30,
      movers_found: report.moversFound,
      analysed: report.analysed,
      signals: report.signals,
      executed: report.executed,
      rejected: report.rejected,
      recorded: report.recorded,
      no_signal: report.noSignal,
      errors: 0,
      skipped: report.skipped,
      cost_usd: '0',
    });
    expect(JSON.parse(row.rejected_by_code)).toEqual(report.rejectedByCode);
    expect(row.duration_ms).toBeGreaterThan(0);
    const moverRows = await db().selectFrom('scan_cycle_movers').selectAll().where('cycle_id', '=', cycleId).execute();
    expect(moverRows.filter((m) => m.outcome === 'executed')).toHaveLength(report.executed);
    expect(moverRows.every((m) => m.analyst === 'rules' && m.outcome !== 'pending')).toBe(true);

    // Progress was reported: the scan, each analysis starting and ending, the evaluation.
    expect(events[0]).toMatchObject({ type: 'start', cycleId });
    expect(events.filter((e) => e.type === 'analysis_done')).toHaveLength(report.movers.length);
    expect(events.at(-1)?.type).toBe('evaluated');
  });

  it('the next cycle sets aside the symbols the portfolio now holds', async () => {
    const report = await runCycle(desk.app.deps, { analyst });
    expect(report.moversHeld).toBe(executedSymbols.length);
    expect(report.params.held?.map((h) => h.symbol).sort()).toEqual([...executedSymbols].sort());
    expect(report.movers.map((m) => m.symbol)).not.toEqual(expect.arrayContaining([executedSymbols[0]]));
    expect(report.rejectedByCode.DUPLICATE_SYMBOL).toBeUndefined();
  });

  it('a crashed cycle run again under its id executes nothing twice; a completed one is only reported', async () => {
    const positionsBefore = await db().selectFrom('paper_positions').select('id').execute();
    const signalsBefore = await db().selectFrom('movers_signals').select('id').execute();
    const original = await db().selectFrom('scan_cycles').selectAll().where('id', '=', cycleId).executeTakeFirstOrThrow();
    // The process died after the signals were submitted and before its bookkeeping was written.
    await db().updateTable('scan_cycles').set({ status: 'running', executed: 0, signals: 0 }).where('id', '=', cycleId).execute();
    await db().updateTable('scan_cycle_movers').set({ outcome: 'pending', signal_row_id: null, code: null }).where('cycle_id', '=', cycleId).execute();
    // While its heartbeat is fresh, another process may still be running it.
    await db().updateTable('scan_cycles').set({ heartbeat_at: desk.app.deps.clock.now() }).where('id', '=', cycleId).execute();
    await expect(runCycle(desk.app.deps, { analyst, cycleId })).rejects.toThrow(/running in another process/);
    // Restarted five minutes later: prices moved, so a fresh analysis would propose other levels.
    desk.sim.clock.advance(5 * 60_000);

    const again = await runCycle(desk.app.deps, { analyst, cycleId });
    expect(again.resumed).toBe(true);
    expect(again.status).toBe('completed');
    expect(again.executed).toBe(original.executed);
    expect(again.signals).toBe(original.signals);
    expect(again.movers.filter((m) => m.signal).every((m) => m.replayed)).toBe(true);
    expect(await db().selectFrom('paper_positions').select('id').execute()).toHaveLength(positionsBefore.length);
    expect(await db().selectFrom('movers_signals').select('id').execute()).toHaveLength(signalsBefore.length);

    const third = await runCycle(desk.app.deps, { analyst, cycleId });
    expect(third.replayed).toBe(true);
    expect(third.executed).toBe(original.executed);
    expect(await db().selectFrom('movers_signals').select('id').execute()).toHaveLength(signalsBefore.length);
  });
});

describe('failures and stops', () => {
  it('one symbol whose exchange calls fail is recorded with its code, and the cycle goes on', async () => {
    await createPortfolio(desk.app.deps, 'faulty', 10_000);
    const scan = await scanMovers(desk.app.deps, { portfolio: 'faulty' });
    const bad = scan.items[1]!.symbol;
    desk.sim.faults.inject({ kind: 'http500', count: Number.POSITIVE_INFINITY, symbol: exchangeId(bad) });
    try {
      const report = await runCycle(desk.app.deps, { analyst, portfolio: 'faulty' });
      expect(report.status).toBe('completed');
      const failed = report.movers.find((m) => m.symbol === bad)!;
      expect(failed).toMatchObject({ outcome: 'error', code: 'UPSTREAM_UNAVAILABLE', signal: null });
      expect(failed.reason).not.toMatch(/<html|Bad Gateway|Internal Server Error/i);
      expect(report.errors).toBe(1);
      expect(report.errorsByCode).toEqual({ UPSTREAM_UNAVAILABLE: 1 });
      expect(report.analysed + report.skipped).toBe(report.movers.length);
      expect(report.executed).toBeGreaterThan(0);
    } finally {
      desk.sim.faults.clear();
    }
  });

  it('halt stops new entries at once: nothing more is analysed or submitted, and the cycle says why', async () => {
    await createPortfolio(desk.app.deps, 'halting', 10_000);
    const signalsBefore = (await db().selectFrom('movers_signals').select('id').execute()).length;
    // Halted from another terminal while the cycle runs: right after the first analysis.
    const halting: Analyst = {
      kind: 'rules',
      spends: false,
      analyse: async (task) => {
        const result = await analyst.analyse(task);
        await setHalt(desk.app.deps, true, 'test halt');
        return result;
      },
    };
    try {
      const report = await runCycle(desk.app.deps, { analyst: halting, portfolio: 'halting', concurrency: 1 });
      expect(report.analysed).toBe(1);
      expect(report.skipped).toBe(report.movers.length - 1);
      expect(report.stop).toMatchObject({ code: 'HALTED' });
      expect(report.stop!.reason).toContain('test halt');
      expect(report.movers.slice(1).every((m) => m.outcome === 'skipped' && m.code === 'HALTED')).toBe(true);
      expect((await db().selectFrom('movers_signals').select('id').execute()).length).toBe(signalsBefore + report.signals);

      // Still halted: the next cycle analyses nothing.
      const next = await runCycle(desk.app.deps, { analyst, portfolio: 'halting' });
      expect(next.analysed).toBe(0);
      expect(next.stop?.code).toBe('HALTED');
    } finally {
      await setHalt(desk.app.deps, false);
    }
  });

  it('a stop request lets the analysis in flight finish, saves the cycle and starts nothing more', async () => {
    await createPortfolio(desk.app.deps, 'stopping', 10_000);
    const stop = new AbortController();
    const report = await runCycle(desk.app.deps, {
      analyst,
      portfolio: 'stopping',
      concurrency: 1,
      stop: stop.signal,
      onEvent: (e) => {
        if (e.type === 'analysis_start') stop.abort();
      },
    });
    expect(report.status).toBe('stopped');
    expect(report.analysed).toBe(1);
    expect(report.movers[0]!.outcome).not.toBe('skipped');
    expect(report.movers.slice(1).every((m) => m.outcome === 'skipped' && m.code === 'STOPPED')).toBe(true);
  });
});
