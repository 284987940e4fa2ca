/**
 * Replay through the real path: the real ccxt client downloads the history from the simulator
 * (which serves Bybit's history endpoints), the CLI runs the desk over it with the rules analyst,
 * and the report, the replay's own database, the live database and the MCP tool are checked.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Analyst, AnalysisResult } from '../../src/agent/analyst.js';
import { createDeps } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/database.js';
import type { Deps } from '../../src/deps.js';
import { createLogger } from '../../src/log.js';
import { TIMEFRAMES } from '../../src/market/types.js';
import { comparable, type ReplayReport } from '../../src/replay/report.js';
import { runReplay } from '../../src/replay/run.js';
import { loadSnapshot } from '../../src/trading/ledger.js';
import { startSimExchange, type SimExchange } from '../../src/sim/server.js';
import { NO_SPEND } from '../../src/usage/agent-run.js';
import { runCliInProcess } from '../helpers/cli.js';
import { startTestDesk } from '../helpers/desk.js';

const NOW = Date.UTC(2026, 10, 20, 12);
const SYMBOLS = 'BTC,ETH,SOL,XRP,ADA,TRX,APT,NEAR';

let sim: SimExchange;
let dir: string;
let dbPath: string;
beforeAll(async () => {
  sim = await startSimExchange({ seed: 42, now: NOW });
  dir = mkdtempSync(join(tmpdir(), 'cctrader-replay-'));
  dbPath = join(dir, 'desk.db');
});
afterAll(async () => {
  await sim.close();
});

const env = (extra: Record<string, string> = {}) => ({ EXCHANGE_BASE_URL: sim.url, DB_PATH: dbPath, LOG_LEVEL: 'warn', ...extra });
const replayArgs = ['replay', '--from', '2026-11-16', '--to', '2026-11-19', '--every', '1h', '--symbols', SYMBOLS, '--json'];

async function replayJson(args: string[] = replayArgs): Promise<ReplayReport> {
  const r = await runCliInProcess(args, env());
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as ReplayReport;
}

describe('a rules replay over a few days', () => {
  let first: ReplayReport;

  it('trades, reports, and its equity reconciles with its own trade log; live state is untouched', async () => {
    // Live state before: a traded portfolio of the live desk.
    const live = await runCliInProcess(['scan-movers', '--once', '--json', '--max-movers', '2'], env({ EXCHANGE_RATE_LIMIT: 'false' }));
    expect(live.code, live.stderr).toBe(0);
    const before = await liveState();

    first = await replayJson();
    expect(first.status).toBe('completed');
    expect(first.window).toMatchObject({ from: '2026-11-16T00:00:00.000Z', to: '2026-11-19T00:00:00.000Z', every: '1h', steps: 73, stepsRun: 73 });
    expect(first.performance.trades).toBeGreaterThan(0);
    expect(first.equityCurve).toHaveLength(73);
    expect(first.cycles.cycles).toBe(73);
    expect(first.benchmarks.btcBuyHoldPct).not.toBeNull();
    expect(first.warnings.some((w) => w.startsWith('news sentiment is off'))).toBe(true);

    // The replay's own database: its ledger holds, and the report is what it says.
    const list = JSON.parse((await runCliInProcess(['replay', 'list', '--json'], env())).stdout);
    const row = list.items.find((i: { id: string }) => i.id === first.id);
    expect(row).toMatchObject({ status: 'completed', analyst: 'rules', totalReturnPct: first.performance.totalReturnPct });
    expect(row.dbPath).toBe(join(dir, 'replays', `${first.id}.db`));
    const db = openDatabase(row.dbPath, { readonly: true });
    try {
      const portfolio = await db.db.selectFrom('paper_portfolios').selectAll().executeTakeFirstOrThrow();
      const snap = await loadSnapshot(db.db, portfolio.id, new Map());
      expect(Number(snap.equity.toFixed(2))).toBeCloseTo(first.performance.finalEquity, 2);
      // equity = start + Σ of the trade log (fills' fees, funding, closes) + unrealized; the closed round trips are the report's trades.
      const log = (await db.db.selectFrom('paper_trades').select(['pnl', 'position_id']).execute()).reduce((a, r) => a + Number(r.pnl), 0);
      expect(first.performance.startBalance + log + Number(snap.unrealized)).toBeCloseTo(first.performance.finalEquity, 1);
      const closedNet = first.trades.reduce((a, t) => a + (t.realizedPnl ?? 0), 0);
      const openLog = (
        await db.db
          .selectFrom('paper_trades as t')
          .innerJoin('paper_positions as p', 'p.id', 't.position_id')
          .select('t.pnl')
          .where('p.status', '=', 'open')
          .execute()
      ).reduce((a, r) => a + Number(r.pnl), 0);
      expect(closedNet + openLog).toBeCloseTo(log, 1);
      const closed = await db.db.selectFrom('paper_positions').select('id').where('status', '=', 'closed').execute();
      expect(first.performance.trades).toBe(closed.length);
    } finally {
      await db.close();
    }
    expect(await liveState()).toEqual(before);
  });

  it('a second run is identical, byte for byte apart from its id and times, and sends no candle request', async () => {
    const klines = sim.requestCount('/v5/market/kline');
    const second = await replayJson();
    expect(sim.requestCount('/v5/market/kline')).toBe(klines);
    expect(second.id).not.toBe(first.id);
    expect(JSON.stringify(comparable(second))).toBe(JSON.stringify(comparable(first)));
  });

  it('replay show, compare and get_replay_report tell the same story', async () => {
    const shown = await runCliInProcess(['replay', 'show', first.id], env());
    expect(shown.stdout).toContain(`┌─ Replay ${first.id}`);
    expect(shown.stdout).toMatch(/Return [+-]\d+\.\d\d%/);
    expect(shown.stdout).toContain('Equity');
    const other = await replayJson([...replayArgs, '--max-movers', '1']);
    const compared = await runCliInProcess(['replay', 'compare', first.id, other.id, '--json'], env());
    const rows = JSON.parse(compared.stdout).rows as Array<{ label: string; a: string; b: string }>;
    expect(rows.find((r) => r.label === 'Trades')).toMatchObject({ a: String(first.performance.trades), b: String(other.performance.trades) });

    const desk = await startTestDesk({ sim: { now: NOW }, env: { DB_PATH: dbPath, LOG_LEVEL: 'warn' } });
    try {
      const latest = await desk.call('get_replay_report');
      expect(latest.isError, latest.text).toBe(false);
      expect(latest.data.id).toBe(other.id);
      const byId = (await desk.call('get_replay_report', { id: first.id })).data;
      expect(byId.performance).toEqual(first.performance);
      expect(byId.equityCurve.length).toBeLessThanOrEqual(49);
      expect(byId.equityCurve.at(-1)).toEqual(first.equityCurve.at(-1));
      const missing = await desk.call('get_replay_report', { id: 'replay-nope' });
      expect(missing.text).toMatch(/^NOT_FOUND: No replay replay-nope/);
    } finally {
      await desk.close();
    }
  });

  it('history fetch downloads ahead of time and says when everything is stored already', async () => {
    const r = await runCliInProcess(['history', 'fetch', '--from', '2026-11-16', '--to', '2026-11-19', '--symbols', SYMBOLS, '--json'], env());
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ requests: 0, gaps: [] });
    const more = await runCliInProcess(['history', 'fetch', '--from', '2026-11-15', '--to', '2026-11-19', '--symbols', 'BTC'], env());
    expect(more.stdout).toMatch(/history of 1 symbols .*: [1-9]\d* exchange requests/);
  });

  async function liveState() {
    const db = openDatabase(dbPath, { readonly: true });
    try {
      const rows = async (table: 'paper_portfolios' | 'paper_positions' | 'movers_signals' | 'scan_cycles' | 'token_usage' | 'rate_limit_tracking') =>
        db.db.selectFrom(table).selectAll().execute();
      return {
        portfolios: await rows('paper_portfolios'),
        positions: await rows('paper_positions'),
        signals: await rows('movers_signals'),
        cycles: await rows('scan_cycles'),
        usage: await rows('token_usage'),
        windows: await rows('rate_limit_tracking'),
      };
    } finally {
      await db.close();
    }
  }
});

describe('point-in-time', () => {
  it('the market view refuses data after t, and a designed crash in the future is seen by no step before it', async () => {
    // A crash of -30% in SOL at CRASH, inside the window; the history the replay downloads holds it.
    const crashSim = await startSimExchange({ seed: 7, now: NOW });
    const CRASH = Date.UTC(2026, 10, 18, 9, 30);
    crashSim.clock.set(CRASH);
    crashSim.shock('SOLUSDT', -30);
    crashSim.clock.set(NOW);
    const config = loadConfig({ env: { EXCHANGE_BASE_URL: crashSim.url, DB_PATH: ':memory:', LOG_LEVEL: 'warn' } });
    const app = await createDeps(config, { writeLog: () => {}, clock: { now: () => crashSim.clock.now() } });
    const seen: Array<{ t: number; low: number; latest: number }> = [];
    let refused = '';
    /** An analyst that reads everything an analyst can read at each step, and remembers what it saw. */
    const spy = (deps: Deps): Analyst => ({
      kind: 'rules',
      spends: false,
      analyse: async () => {
        const t = deps.clock.now();
        let latest = -Infinity;
        for (const tf of TIMEFRAMES) {
          const s = await deps.market.candles('SOL/USDT', tf, { limit: 300, includeForming: true });
          for (const c of s.candles) {
            latest = Math.max(
              latest,
              s.forming && c === s.candles.at(-1) ? c.time : c.time + { '1m': 6e4, '5m': 3e5, '15m': 9e5, '1h': 3.6e6, '4h': 1.44e7, '1d': 8.64e7 }[tf],
            );
          }
        }
        // The lowest price of the last hour, as the candles, the quote and the book show it.
        const hour = (await deps.market.candles('SOL/USDT', '1m', { limit: 60, includeForming: true })).candles;
        const book = await deps.market.orderBook('SOL/USDT');
        const low = Math.min(...hour.map((c) => c.low), (await deps.market.ticker('SOL/USDT')).last, book.bids[0]![0]);
        seen.push({ t, low, latest });
        try {
          await deps.market.candlesSince('SOL/USDT', '1m', t + 60_000);
        } catch (error) {
          refused = (error as Error).message;
        }
        const none: AnalysisResult = {
          outcome: 'no_signal',
          reason: 'spy',
          analyst: 'rules',
          spend: NO_SPEND,
          sessionId: null,
          turns: null,
          durationMs: 0,
          text: '',
          tools: [],
        };
        return none;
      },
    });
    try {
      const { report } = await runReplay(
        {
          live: app.deps,
          history: app.history,
          dataDir: null,
          log: createLogger({ level: 'silent', write: () => {} }),
          analyst: async (_kind, deps) => ({
            analyst: spy(deps),
            llm: () => ({ requests: 0, recordedUsd: 0, wouldHaveCostUsd: 0, cassette: null, cassetteMisses: 0 }),
            close: async () => {},
          }),
        },
        {
          from: Date.UTC(2026, 10, 17, 0),
          to: Date.UTC(2026, 10, 19, 0),
          everyMs: 3_600_000,
          analyst: 'rules',
          symbols: ['SOL', 'BTC', 'ETH', 'XRP'],
          thresholdPct: 0.01,
          maxMovers: 1,
        },
      );
      expect(report.status).toBe('completed');
      const before = seen.filter((s) => s.t <= CRASH);
      const after = seen.filter((s) => s.t >= CRASH + 3_600_000);
      expect(before.length).toBeGreaterThan(10);
      expect(after.length).toBeGreaterThan(5);
      // Nothing seen at t closes after t; the crash is invisible before it happens, and plain after.
      for (const s of seen) expect(s.latest, new Date(s.t).toISOString()).toBeLessThanOrEqual(s.t);
      // Before the crash the price never falls 30% from one step to the next; the first step after it shows the fall.
      before.slice(1).forEach((s, i) => expect(s.low / before[i]!.low, new Date(s.t).toISOString()).toBeGreaterThan(0.9));
      expect(after[0]!.low / before.at(-1)!.low).toBeLessThan(0.8);
      expect(refused).toMatch(/^LOOK_AHEAD: 1m candles from .* asked at replay time/);
    } finally {
      await app.close();
      await crashSim.close();
    }
  });
});
