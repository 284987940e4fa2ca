/**
 * Exchange faults during full scan cycles: the rules analyst, the real ccxt client, the real risk
 * rules and paper fills, a real SQLite file, while the simulated exchange answers with 429s, 5xx
 * gateway pages, held sockets (timeouts), resets, garbage, empty and HTML bodies, Bybit's "too many
 * visits" envelope and slow answers; intermittently (a few requests) and persistently (one coin, or
 * one endpoint for every coin).
 *
 * Every cycle completes; a failing mover is recorded with our code (RATE_LIMITED,
 * UPSTREAM_UNAVAILABLE, TIMEOUT, BAD_RESPONSE) and the others trade; retries are bounded: counted
 * on the simulator, each logical call makes at most 1 + EXCHANGE_RETRIES requests; nothing is
 * half-written (tests/helpers/store-invariants.ts) and the ledger invariants hold; once the
 * faults stop, the next cycle trades normally.
 *
 * CI runs three cycles of random fault mixes; CCTRADER_LONG_TESTS=1 runs forty (FAULTS_SEED=n for another mix).
 *
 * Each scenario trades a portfolio of its own, so that every cycle sees the same movers (the
 * simulator's clock is frozen) and none is set aside as held.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RulesAnalyst } from '../../src/agent/rules-analyst.js';
import { createPortfolio } from '../../src/trading/portfolios.js';
import { runCycle, type CycleResult } from '../../src/scanner/cycle.js';
import { scanMovers } from '../../src/scanner/momentum.js';
import { mulberry32 } from '../../src/sim/rng.js';
import type { FaultKind, FaultSpec } from '../../src/sim/server.js';
import { startTestDesk, type TestDesk } from '../helpers/desk.js';
import { integrityCheck, runningCycles, storeViolations } from '../helpers/store-invariants.js';
import { checkLedger, checkRollups } from '../trading/ledger-check.js';

const NOW = Date.parse('2026-11-20T12:34:56Z');
const LONG = process.env.CCTRADER_LONG_TESTS === '1';
const SEED = Number(process.env.FAULTS_SEED ?? 20_261_120);
/** Cycles of the random fault schedules: a few in CI, many with CCTRADER_LONG_TESTS=1. */
const SOAK_CYCLES = LONG ? 40 : 3;
const RETRIES = 2;
const TIMEOUT_MS = 300;
/** A fault count large enough to last the cycle, and finite, so that what is left tells how many requests it took. */
const MANY = 100_000;

let desk: TestDesk;
let analyst: RulesAnalyst;
let dbPath: string;
let portfolios = 0;

beforeAll(async () => {
  dbPath = join(mkdtempSync(join(tmpdir(), 'cctrader-faults-')), 'desk.db');
  desk = await startTestDesk({
    sim: { now: NOW },
    env: { DB_PATH: dbPath, EXCHANGE_TIMEOUT_MS: String(TIMEOUT_MS), EXCHANGE_RETRIES: String(RETRIES), LOG_LEVEL: 'warn' },
  });
  analyst = new RulesAnalyst(desk.app.deps);
  // Warm-up: markets loaded, candle caches filled. From here every cycle makes the same calls.
  await cycle();
});
afterEach(() => desk.sim.faults.clear());
afterAll(async () => {
  await desk?.close();
});

const deps = () => desk.app.deps;
const exchangeId = (symbol: string) => symbol.split(':')[0]!.replace('/', '');

/** One cycle on a fresh portfolio; afterwards the stored state is whole and the ledger holds. */
async function cycle(): Promise<CycleResult> {
  const portfolio = `p${++portfolios}`;
  await createPortfolio(deps(), portfolio, 10_000);
  const report = await runCycle(deps(), { analyst, portfolio });
  expect(report.status).toBe('completed');
  expect(integrityCheck(dbPath)).toBe('ok');
  expect(await storeViolations(deps().db)).toEqual([]);
  expect(await runningCycles(deps().db)).toEqual([]);
  // The cycle's error counts are its movers' codes (plus a failed scan or evaluation under its own key).
  const byCode: Record<string, number> = {};
  for (const m of report.movers.filter((x) => x.outcome === 'error')) byCode[m.code!] = (byCode[m.code!] ?? 0) + 1;
  const own = Object.fromEntries(Object.entries(report.errorsByCode).filter(([k]) => !k.includes(':')));
  expect(own).toEqual(byCode);
  await checkLedger(deps(), portfolio);
  await checkRollups(deps(), portfolio);
  return report;
}

/** Market requests the simulator received while `fn` ran. */
async function counting<T>(fn: () => Promise<T>): Promise<{ result: T; requests: number }> {
  const before = desk.sim.requestCount();
  const result = await fn();
  return { result, requests: desk.sim.requestCount() - before };
}

/** Resolves once the simulator has received no request for `ms`. */
async function quiet(ms: number): Promise<void> {
  for (let last = -1; last !== desk.sim.requestCount();) {
    last = desk.sim.requestCount();
    await new Promise((resolve) => setTimeout(resolve, ms));
  }
}

/** Injects `spec` with a finite count; `taken()` says how many requests it has answered so far. */
function inject(spec: Omit<FaultSpec, 'count'> & { count?: number }): { taken(): number } {
  const count = spec.count ?? MANY;
  desk.sim.faults.inject({ ...spec, count });
  const same = (f: { kind: string; pathPrefix?: string; symbol?: string }) =>
    f.kind === spec.kind && f.pathPrefix === spec.pathPrefix && f.symbol === spec.symbol;
  return { taken: () => count - (desk.sim.faults.pending().find(same)?.remaining ?? 0) };
}

/** The market's "exchange call retried" log lines since `from`, for calls about `symbol` (or all). */
function retries(from: number, symbol?: string): Array<{ what: string; code: string; attempt: number }> {
  return desk.logs
    .slice(from)
    .map((line) => JSON.parse(line) as { msg: string; what: string; code: string; attempt: number })
    .filter((l) => l.msg === 'exchange call retried' && (symbol === undefined || l.what.includes(symbol)));
}

/** Each mover's analysis (the signal's direction and confidence, or why none). */
const analyses = (r: CycleResult) =>
  Object.fromEntries(r.movers.map((m) => [m.symbol, m.signal ? `${m.signal.direction} ${m.signal.confidence}` : `${m.outcome} ${m.code ?? ''}`.trim()]));
/** What came of them, as a multiset: with analyses in parallel, which of two signals meets a cap first may change. */
const outcomes = (r: CycleResult) => r.movers.map((m) => `${m.outcome} ${m.code ?? ''}`.trim()).sort();

describe('intermittent faults', () => {
  it('a fault or two on every endpoint a cycle uses is absorbed by the bounded retries: the same trades, one extra request per fault', async () => {
    const clean = await counting(cycle);
    expect(clean.result.errors).toBe(0);
    expect(clean.result.executed).toBeGreaterThan(0);

    // At most two faults per endpoint, so that no call meets more than RETRIES of them.
    const faults: Array<{ kind: FaultKind; pathPrefix: string; latencyMs?: number }> = [
      { kind: 'http429', pathPrefix: '/v5/market/tickers' },
      { kind: 'retCode10006', pathPrefix: '/v5/market/tickers' },
      { kind: 'http500', pathPrefix: '/v5/market/kline' },
      { kind: 'timeout', pathPrefix: '/v5/market/kline' },
      { kind: 'http502', pathPrefix: '/v5/market/orderbook' },
      { kind: 'reset', pathPrefix: '/v5/market/orderbook' },
      { kind: 'http503', pathPrefix: '/v5/market/open-interest' },
      { kind: 'latency', pathPrefix: '/v5/market/open-interest', latencyMs: TIMEOUT_MS + 400 },
      { kind: 'http504', pathPrefix: '/v5/market/account-ratio' },
      { kind: 'http429', pathPrefix: '/v5/market/account-ratio' },
    ];
    const injected = faults.map((f) => inject({ ...f, count: 1 }));
    const faulty = await counting(cycle);
    expect(injected.map((f) => f.taken())).toEqual(faults.map(() => 1));
    expect(analyses(faulty.result)).toEqual(analyses(clean.result));
    expect(outcomes(faulty.result)).toEqual(outcomes(clean.result));
    expect(faulty.result.errors).toBe(0);
    expect(faulty.requests - clean.requests).toBe(faults.length);
  });

  it('a garbage, empty or HTML body (HTTP 200) now and then is retried like any other fault: the same trades, one extra request per fault', async () => {
    const clean = await counting(cycle);
    const faults: Array<{ kind: FaultKind; pathPrefix: string }> = [
      { kind: 'garbage', pathPrefix: '/v5/market/tickers' },
      { kind: 'html', pathPrefix: '/v5/market/kline' },
      { kind: 'empty', pathPrefix: '/v5/market/kline' },
      { kind: 'garbage', pathPrefix: '/v5/market/orderbook' },
      { kind: 'empty', pathPrefix: '/v5/market/tickers' },
    ];
    const injected = faults.map((f) => inject({ ...f, count: 1 }));
    const faulty = await counting(cycle);
    expect(injected.map((f) => f.taken())).toEqual(faults.map(() => 1));
    expect(faulty.result.errors).toBe(0);
    expect(analyses(faulty.result)).toEqual(analyses(clean.result));
    expect(outcomes(faulty.result)).toEqual(outcomes(clean.result));
    expect(faulty.requests - clean.requests).toBe(faults.length);
  });

  it('slow answers (under the timeout) change nothing but the time', async () => {
    const clean = await cycle();
    inject({ kind: 'latency', latencyMs: 120, pathPrefix: '/v5/market/kline' });
    inject({ kind: 'latency', latencyMs: 120, pathPrefix: '/v5/market/orderbook' });
    const slow = await cycle();
    expect(analyses(slow)).toEqual(analyses(clean));
    expect(outcomes(slow)).toEqual(outcomes(clean));
    expect(slow.durationMs!).toBeGreaterThan(clean.durationMs!);
  });
});

describe('persistent faults for one coin', () => {
  /** Kind, code, and whether every request fails (a garbage or empty body passes as "no rows" where none is a valid answer). */
  const cases: Array<[FaultKind, string, boolean]> = [
    ['http429', 'RATE_LIMITED', true],
    ['retCode10006', 'RATE_LIMITED', true],
    ['http500', 'UPSTREAM_UNAVAILABLE', true],
    ['http503', 'UPSTREAM_UNAVAILABLE', true],
    ['http504', 'TIMEOUT', true],
    ['timeout', 'TIMEOUT', true],
    ['reset', 'UPSTREAM_UNAVAILABLE', true],
    ['garbage', 'BAD_RESPONSE', false],
    ['empty', 'BAD_RESPONSE', false],
    ['html', 'BAD_RESPONSE', false],
  ];

  it.each(cases)(
    '%s on every request about it: its mover fails with %s, the others trade; each call is tried at most 1 + EXCHANGE_RETRIES times',
    async (kind, code, everyRequestFails) => {
      // The movers as a fresh portfolio sees them (each cycle trades a new one): the second is analysed.
      const scan = await scanMovers(deps(), { portfolio: 'not-created' });
      const symbol = scan.items[1]!.symbol;
      // The baseline: how many requests about this coin a cycle makes (a zero-latency rule only counts them).
      const counter = inject({ kind: 'latency', latencyMs: 0, symbol: exchangeId(symbol) });
      const clean = await cycle();
      const baseline = counter.taken();
      expect(baseline).toBeGreaterThan(0);
      desk.sim.faults.clear();

      const from = desk.logs.length;
      const fault = inject({ kind, symbol: exchangeId(symbol) });
      const report = await cycle();
      const mover = report.movers.find((m) => m.symbol === symbol)!;
      expect(mover).toMatchObject({ outcome: 'error', code, signal: null });
      expect(mover.reason).not.toMatch(/<html|<!DOCTYPE|Too many visits|Gateway|retCode/i);
      expect(report.errors).toBe(1);
      expect(report.errorsByCode).toEqual({ [code]: 1 });
      // The others are analysed as before (and a mover skipped for a full portfolio before may now take the free slot).
      const analysedBefore = (r: CycleResult) => Object.fromEntries(Object.entries(analyses(r)).filter(([s, a]) => s !== symbol && !a.startsWith('skipped')));
      expect(analysedBefore(report)).toMatchObject(analysedBefore(clean));
      expect(report.executed).toBeGreaterThan(0);

      // Bounded: a failing call is tried 1 + RETRIES times, never more, and all of it stays within (1 + RETRIES) x the baseline.
      // The rules analyst stops at the first failed piece of evidence; the calls still retrying then finish after the cycle.
      await quiet(kind === 'timeout' ? TIMEOUT_MS + 200 : 100);
      const taken = fault.taken();
      const retried = retries(from, symbol);
      expect(Math.max(0, ...retried.map((r) => r.attempt))).toBe(RETRIES);
      const calls = retried.filter((r) => r.attempt === 1).length;
      expect(calls).toBeGreaterThan(0);
      if (everyRequestFails) expect(taken).toBe(calls * (1 + RETRIES));
      expect(taken).toBeLessThanOrEqual(baseline * (1 + RETRIES));
    },
  );
});

describe('persistent faults on one endpoint for every coin', () => {
  it('order book down (503): every signal that would trade fails before the fill, is stored as failed and not traded; nothing else is written', async () => {
    const from = desk.logs.length;
    const book = inject({ kind: 'http503', pathPrefix: '/v5/market/orderbook' });
    const report = await cycle();
    expect(report.executed).toBe(0);
    const failed = report.movers.filter((m) => m.outcome === 'error');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((m) => m.code === 'UPSTREAM_UNAVAILABLE')).toBe(true);
    const signals = await deps()
      .db.selectFrom('movers_signals')
      .select(['status', 'reason_code', 'decision', 'position_id'])
      .where(
        'signal_id',
        'in',
        failed.map((m) => m.signalId),
      )
      .execute();
    expect(signals).toHaveLength(failed.length);
    for (const s of signals) expect(s).toEqual({ status: 'failed', reason_code: 'UPSTREAM_UNAVAILABLE', decision: null, position_id: null });
    const portfolio = await deps().db.selectFrom('paper_portfolios').select('id').where('name', '=', `p${portfolios}`).executeTakeFirstOrThrow();
    expect(await deps().db.selectFrom('paper_positions').select('id').where('portfolio_id', '=', portfolio.id).execute()).toEqual([]);
    expect(book.taken()).toBe(failed.length * (1 + RETRIES));
    expect(Math.max(...retries(from).map((r) => r.attempt))).toBe(RETRIES);
  });

  it('candles time out for every coin: every mover fails with TIMEOUT after bounded retries, and the cycle completes', async () => {
    const from = desk.logs.length;
    const kline = inject({ kind: 'timeout', pathPrefix: '/v5/market/kline' });
    const report = await cycle();
    await quiet(TIMEOUT_MS + 200);
    expect(report.movers.length).toBeGreaterThan(0);
    expect(report.movers.every((m) => m.outcome === 'error' && m.code === 'TIMEOUT')).toBe(true);
    expect(report.errorsByCode).toEqual({ TIMEOUT: report.movers.length });
    const retried = retries(from).filter((r) => r.what.includes('candles'));
    expect(Math.max(...retried.map((r) => r.attempt))).toBe(RETRIES);
    expect(kline.taken()).toBe(retried.filter((r) => r.attempt === 1).length * (1 + RETRIES));
  });

  it('the tickers rate-limited: the scan fails with RATE_LIMITED after 1 + RETRIES requests, and the cycle completes and says why', async () => {
    const tickers = inject({ kind: 'http429', pathPrefix: '/v5/market/tickers' });
    const report = await cycle();
    expect(report.movers).toEqual([]);
    expect(report.stop).toMatchObject({ code: 'RATE_LIMITED' });
    expect(report.errorsByCode).toEqual({ 'scan:RATE_LIMITED': 1 });
    expect(tickers.taken()).toBe(1 + RETRIES);
  });
});

describe('random fault schedules (seeded)', () => {
  it(
    `${SOAK_CYCLES} cycles under random mixes of faults: each completes, every failure has one of our codes, no call is tried more than 1 + RETRIES times`,
    async () => {
      const rand = mulberry32(SEED);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
      const kinds: FaultKind[] = [
        'http429',
        'http500',
        'http502',
        'http503',
        'http504',
        'timeout',
        'garbage',
        'empty',
        'html',
        'retCode10006',
        'latency',
        'reset',
      ];
      const paths = ['/v5/market/tickers', '/v5/market/kline', '/v5/market/orderbook', '/v5/market/open-interest', '/v5/market/account-ratio'];
      const movers = (await scanMovers(deps(), { portfolio: `p${portfolios}`, includeHeld: true })).items.map((m) => exchangeId(m.symbol));
      const codes = new Set<string>();
      for (let i = 0; i < SOAK_CYCLES; i++) {
        const from = desk.logs.length;
        const schedule: FaultSpec[] = [];
        for (let n = 1 + Math.floor(rand() * 5); n > 0; n--) {
          const kind = pick(kinds);
          const spec: FaultSpec = { kind, ...(kind === 'latency' ? { latencyMs: pick([50, 150, TIMEOUT_MS + 200]) } : {}) };
          // Intermittent on an endpoint, or persistent for one coin (everything about it, or one endpoint of it).
          if (rand() < 0.6) Object.assign(spec, { pathPrefix: pick(paths), count: 1 + Math.floor(rand() * 3) });
          else Object.assign(spec, { symbol: pick(movers), count: MANY, ...(rand() < 0.5 ? { pathPrefix: pick(paths.slice(1)) } : {}) });
          desk.sim.faults.inject(spec);
          schedule.push(spec);
        }
        const report = await cycle();
        await quiet(TIMEOUT_MS + 200);
        const context = `seed ${SEED}, cycle ${i}: ${JSON.stringify(schedule)}`;
        for (const m of report.movers.filter((x) => x.outcome === 'error')) {
          expect(['RATE_LIMITED', 'UPSTREAM_UNAVAILABLE', 'TIMEOUT', 'BAD_RESPONSE'], context).toContain(m.code);
          codes.add(m.code!);
        }
        for (const key of Object.keys(report.errorsByCode).filter((k) => k.includes(':'))) codes.add(key);
        expect(Math.max(0, ...retries(from).map((r) => r.attempt)), context).toBeLessThanOrEqual(RETRIES);
        desk.sim.faults.clear();
      }
      console.info(`faults soak: seed ${SEED}, ${SOAK_CYCLES} cycles, failure codes seen: ${[...codes].sort().join(', ') || 'none'}`);
    },
    LONG ? 600_000 : 30_000,
  );
});

describe('after the faults', () => {
  it('the next cycle without faults trades normally', async () => {
    const report = await cycle();
    expect(report.errors).toBe(0);
    // Every mover is analysed, or skipped unpaid because the portfolio is full.
    expect(report.analysed + report.skipped).toBe(report.movers.length);
    expect(report.movers.filter((m) => m.outcome === 'skipped').every((m) => m.code === 'MAX_POSITIONS')).toBe(true);
    expect(report.executed).toBeGreaterThan(0);
  });
});
