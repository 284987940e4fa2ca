/**
 * Scanner benchmark: the data phase of a cycle (one bulk tickers call over the 30 simulated
 * perpetuals, then the 15m/1h/4h candles and technical snapshot of the top 20 movers) with 50 ms of
 * injected exchange latency on every request, bounded-concurrency against a sequential baseline in
 * the same run. Goal: 4x faster or better, inside Bybit's rate limits.
 *
 * Rate limits: Bybit allows 600 public GET requests per 5-second window per IP (120/s). The data
 * phase is 61 requests (1 tickers + 20 × 3 klines) with at most SCAN_CONCURRENCY × 3 = 12 in
 * flight (4 movers at once, their three timeframes in parallel); the bench counts the requests in
 * the busiest 1 s and 5 s windows. ccxt's own throttle (EXCHANGE_RATE_LIMIT, on by default in
 * production) is stricter still: it models v5 market endpoints at 10 requests/s per client, so with
 * it on the phase is bounded by the throttle, not by latency; one row shows that configuration.
 *
 * Also shown (informational): a full rules-analyst cycle of 20 movers, concurrency 4 vs 1, same
 * latency (sentiment and submissions included; submissions to one portfolio are serialized).
 *
 * Standalone: npx tsx bench/scanner.ts
 */
import { pathToFileURL } from 'node:url';
import { RulesAnalyst } from '../src/agent/rules-analyst.js';
import { snapshot, type SnapshotInput } from '../src/analysis/index.js';
import { technicalSnapshot } from '../src/analysis/service.js';
import { createDeps, type AppHandle } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import type { MarketData, Timeframe } from '../src/market/types.js';
import { runCycle } from '../src/scanner/cycle.js';
import { scanMovers } from '../src/scanner/momentum.js';
import { runPool } from '../src/scanner/pool.js';
import { startSimExchange, type SimExchange } from '../src/sim/server.js';
import { printTable, type BenchResult } from './types.js';

const LATENCY_MS = 50;
const MOVERS = 20;
const CONCURRENCY = 4;
const TIMEFRAMES: Timeframe[] = ['15m', '1h', '4h'];
const BYBIT_PER_5S = 600;
const GOAL = 4;

/** Counts the port calls that become HTTP requests (tickers, candles) with their start times. */
function counting(market: MarketData, stamps: number[]): MarketData {
  return new Proxy(market, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      if (prop === 'tickers' || prop === 'candles') {
        return (...args: unknown[]) => {
          stamps.push(performance.now());
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}

function busiest(stamps: number[], windowMs: number): number {
  const s = [...stamps].sort((a, b) => a - b);
  let best = 0;
  let j = 0;
  for (let i = 0; i < s.length; i++) {
    while (s[i]! - s[j]! >= windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

async function freshDesk(sim: SimExchange, rateLimit: boolean): Promise<AppHandle> {
  const config = loadConfig({
    env: {
      EXCHANGE_BASE_URL: sim.url,
      DB_PATH: ':memory:',
      EXCHANGE_RATE_LIMIT: String(rateLimit),
      LOG_LEVEL: 'silent',
      MOVERS_THRESHOLD_PCT: '0.0001',
      MIN_TURNOVER_USD: '0',
    },
  });
  const app = await createDeps(config, { writeLog: () => undefined, clock: { now: () => sim.clock.now() } });
  await app.deps.market.markets(); // the market list is loaded once per process, not per cycle
  return app;
}

interface PhaseRun {
  ms: number;
  requests: number;
  peak1s: number;
  peak5s: number;
  snapshots: number;
}

async function dataPhase(sim: SimExchange, mode: 'sequential' | 'concurrent', rateLimit = false): Promise<PhaseRun> {
  const app = await freshDesk(sim, rateLimit);
  const stamps: number[] = [];
  const deps = { ...app.deps, market: counting(app.deps.market, stamps) };
  sim.faults.inject({ kind: 'latency', latencyMs: LATENCY_MS, count: Number.POSITIVE_INFINITY });
  try {
    const t0 = performance.now();
    const scan = await scanMovers(deps, { thresholdPct: 0.0001, limit: MOVERS, minTurnoverUsd: 0, includeHeld: true });
    let snapshots = 0;
    if (mode === 'sequential') {
      for (const m of scan.items) {
        const input: SnapshotInput = {};
        for (const tf of TIMEFRAMES) input[tf] = (await deps.market.candles(m.symbol, tf, { limit: 200 })).candles;
        snapshot(input);
        snapshots += 1;
      }
    } else {
      await runPool(scan.items, CONCURRENCY, async (m) => {
        await technicalSnapshot(deps, m.symbol, TIMEFRAMES);
        snapshots += 1;
      });
    }
    const ms = performance.now() - t0;
    return { ms, requests: stamps.length, peak1s: busiest(stamps, 1000), peak5s: busiest(stamps, 5000), snapshots };
  } finally {
    sim.faults.clear();
    await app.close();
  }
}

async function fullCycle(sim: SimExchange, concurrency: number): Promise<{ ms: number; analysed: number; executed: number }> {
  const app = await freshDesk(sim, false);
  sim.faults.inject({ kind: 'latency', latencyMs: LATENCY_MS, count: Number.POSITIVE_INFINITY });
  try {
    const t0 = performance.now();
    const r = await runCycle(app.deps, { analyst: new RulesAnalyst(app.deps), maxMovers: MOVERS, concurrency });
    return { ms: performance.now() - t0, analysed: r.analysed, executed: r.executed };
  } finally {
    sim.faults.clear();
    await app.close();
  }
}

const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

export async function benchScanner(): Promise<BenchResult[]> {
  const sim = await startSimExchange({ seed: 42, now: Date.parse('2026-11-20T12:00:00Z') });
  try {
    const sequential = await dataPhase(sim, 'sequential');
    const concurrent = await dataPhase(sim, 'concurrent');
    const throttled = await dataPhase(sim, 'concurrent', true);
    const ratio = sequential.ms / concurrent.ms;
    const inside = concurrent.peak5s <= BYBIT_PER_5S && concurrent.peak1s <= BYBIT_PER_5S / 5;
    const cycleSeq = await fullCycle(sim, 1);
    const cycleConc = await fullCycle(sim, CONCURRENCY);
    return [
      {
        name: `scanner data phase, sequential (1 tickers + ${MOVERS} movers × 3 TF, ${LATENCY_MS} ms latency)`,
        goal: 'baseline',
        result: `${s(sequential.ms)}, ${sequential.requests} requests`,
        ok: null,
      },
      {
        name: `scanner data phase, ${CONCURRENCY} movers at once × 3 TF in parallel`,
        goal: `≥ ${GOAL}x faster`,
        result: `${s(concurrent.ms)}, ${ratio.toFixed(1)}x faster (${concurrent.snapshots} snapshots)`,
        ok: ratio >= GOAL && concurrent.snapshots === MOVERS,
      },
      {
        name: 'scanner data phase: busiest 1 s / 5 s window',
        goal: `≤ ${BYBIT_PER_5S / 5} / ≤ ${BYBIT_PER_5S} (Bybit IP limit)`,
        result: `${concurrent.peak1s} / ${concurrent.peak5s} requests, at most ${CONCURRENCY * 3} in flight`,
        ok: inside,
      },
      {
        name: "scanner data phase with ccxt's throttle on (production default, 10 req/s)",
        goal: 'reference',
        result: `${s(throttled.ms)} (bounded by the throttle: ${throttled.requests} requests)`,
        ok: null,
      },
      {
        name: `full rules cycle, ${MOVERS} movers, concurrency 1 vs ${CONCURRENCY} (${LATENCY_MS} ms latency)`,
        goal: 'reference',
        result: `${s(cycleSeq.ms)} vs ${s(cycleConc.ms)} (${(cycleSeq.ms / cycleConc.ms).toFixed(1)}x; ${cycleConc.analysed} analysed, ${cycleConc.executed} executed)`,
        ok: null,
      },
    ];
  } finally {
    await sim.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printTable(await benchScanner(), (line) => process.stdout.write(line));
}
