/**
 * Scanner benchmark, on the production defaults: the request budget on (EXCHANGE_RATE_LIMIT=true,
 * EXCHANGE_REQUESTS_PER_5S=480, i.e. 80% of Bybit's 600 market requests per 5 s per IP), 50 ms of
 * injected latency on every exchange request, and the simulator enforcing Bybit's IP limit itself
 * (600 per rolling 5 s, then HTTP 403 "access too frequent" and a block). Every request count and
 * window below is the simulator's own record of what reached it.
 *
 * Rows:
 * - the data phase of a cycle (one bulk tickers call, then the 15m/1h/4h candles of the top 20
 *   movers), sequential against 4 movers at once;
 * - a full rules-analyst cycle of 20 movers with the default settings against the same cycle with
 *   all client-side limiting off (goal: ratio ≤ 1.3), and with ccxt's per-call throttle (100 ms per
 *   Bybit market call, the default before the budget) for reference;
 * - the busiest 1 s and 5 s windows of that cycle at the simulator (goal: within the budget, no
 *   403 or 10006 answers);
 * - a burst of 700 order-book requests at once (more than the budget holds): with the budget the
 *   simulator never blocks us; without it, it does;
 * - a 403 injected mid-cycle: requests reaching the simulator after the desk began its back-off.
 *   Requests already handed to the HTTP client when the 403 came back cannot be recalled; they
 *   arrive within a few ms (the log line of the back-off says how many were in flight). The goal
 *   is that nothing arrives after them: none later than 20 ms after the back-off began, where the
 *   rest of the cycle, unchecked, would have sent its remaining requests over the next few hundred ms.
 *
 * Standalone: npx tsx bench/scanner.ts
 */
import { pathToFileURL } from 'node:url';
import { RulesAnalyst } from '../src/agent/rules-analyst.js';
import { snapshot, type SnapshotInput } from '../src/analysis/index.js';
import { technicalSnapshot } from '../src/analysis/service.js';
import { createDeps, type AppHandle } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import type { Deps } from '../src/deps.js';
import { silentLogger } from '../src/log.js';
import { CcxtMarketData } from '../src/market/ccxt-market-data.js';
import type { Timeframe } from '../src/market/types.js';
import { runCycle } from '../src/scanner/cycle.js';
import { scanMovers } from '../src/scanner/momentum.js';
import { runPool } from '../src/scanner/pool.js';
import { busiestWindow, startSimExchange, type SimExchange } from '../src/sim/server.js';
import { printTable, type BenchResult } from './types.js';

const LATENCY_MS = 50;
const MOVERS = 20;
const CONCURRENCY = 4;
const TIMEFRAMES: Timeframe[] = ['15m', '1h', '4h'];
const BYBIT_PER_5S = 600;
const BUDGET_PER_5S = 480;
const RATIO_GOAL = 1.3;
const BURST = 700;
/** Requests in flight when a 403 comes back arrive at the simulator within this long of it. */
const IN_FLIGHT_MS = 20;

type Limiting = 'budget' | 'off' | 'ccxt';

interface BackoffMark {
  /** Wall-clock ms when the back-off began. */
  at: number;
  /** The simulator's traffic record length then. */
  seen: number;
  /** Requests in flight then (from the log line). */
  inFlight: number;
}

interface Desk {
  app: AppHandle;
  deps: Deps;
  backoffs: BackoffMark[];
}

/** A desk on the production defaults, except: `off` = EXCHANGE_RATE_LIMIT=false; `ccxt` = ccxt's per-call throttle instead of the budget. */
async function freshDesk(sim: SimExchange, limiting: Limiting): Promise<Desk> {
  const config = loadConfig({
    env: {
      EXCHANGE_BASE_URL: sim.url,
      DB_PATH: ':memory:',
      EXCHANGE_RATE_LIMIT: String(limiting !== 'off'),
      LOG_LEVEL: 'warn',
      // The simulator has about 30 perpetuals and 6-10 movers of 5 %: take any move, so there are 20.
      MOVERS_THRESHOLD_PCT: '0.0001',
      MIN_TURNOVER_USD: '0',
      // Room (slots, exposure, margin) for every mover's trade, so the cycle analyses all 20 whatever
      // the day's market: on the default limits it stops starting analyses once no trade could
      // follow (5 positions, or the cash of 5 unlevered ones).
      MAX_OPEN_POSITIONS: '50',
      MAX_TOTAL_EXPOSURE_PCT: '10000',
      LEVERAGE: '10',
    },
  });
  const backoffs: BackoffMark[] = [];
  const app = await createDeps(config, {
    // The back-off's log line is written as it begins: note what the simulator had seen by then.
    writeLog: (line) => {
      if (!line.includes('backing off')) return;
      const inFlight = Number((JSON.parse(line) as { inFlight?: number }).inFlight ?? NaN);
      backoffs.push({ at: Date.now(), seen: sim.requestStamps().length, inFlight });
    },
    clock: { now: () => sim.clock.now() },
  });
  let deps = app.deps;
  if (limiting === 'ccxt') {
    const market = new CcxtMarketData({
      exchangeId: config.EXCHANGE_ID,
      marketType: config.MARKET_TYPE,
      baseUrl: config.EXCHANGE_BASE_URL,
      timeoutMs: config.EXCHANGE_TIMEOUT_MS,
      enableRateLimit: true,
      keepCcxtThrottle: true,
      retry: { retries: config.EXCHANGE_RETRIES, baseDelayMs: 250, maxDelayMs: 4000 },
      tickerTtlMs: config.TICKER_TTL_MS,
      log: silentLogger,
      now: () => sim.clock.now(),
    });
    const close = app.close.bind(app);
    app.close = async () => {
      await market.close();
      await close();
    };
    deps = { ...app.deps, market };
  }
  await deps.market.markets(); // the market list is loaded once per process, not per cycle
  return { app, deps, backoffs };
}

/** Bybit's IP limit on with a fresh window (an earlier run's block lifted), 50 ms on every request. */
function armSim(sim: SimExchange): void {
  sim.faults.clear();
  sim.setIpLimit({ limit: BYBIT_PER_5S, windowMs: 5_000, blockMs: 600_000 });
  sim.resetTraffic();
  sim.faults.inject({ kind: 'latency', latencyMs: LATENCY_MS, count: Number.POSITIVE_INFINITY });
}

/** A fresh desk on a freshly armed simulator; the traffic record starts after its market list is loaded. */
async function deskOn(sim: SimExchange, limiting: Limiting): Promise<Desk> {
  armSim(sim);
  const desk = await freshDesk(sim, limiting);
  sim.resetTraffic();
  return desk;
}

interface Traffic {
  requests: number;
  peak1s: number;
  peak5s: number;
  /** 403, 429 and 10006 answers the simulator gave. */
  refused: number;
}

function traffic(sim: SimExchange): Traffic {
  const t = sim.traffic();
  const stamps = sim.requestStamps();
  return {
    requests: t.requests,
    peak1s: busiestWindow(stamps, 1000),
    peak5s: busiestWindow(stamps, 5000),
    refused: t.rejected.http403 + t.rejected.retCode10006 + t.rejected.http429,
  };
}

async function dataPhase(sim: SimExchange, mode: 'sequential' | 'concurrent'): Promise<{ ms: number; snapshots: number } & Traffic> {
  const desk = await deskOn(sim, 'budget');
  const deps = desk.deps;
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
    return { ms: performance.now() - t0, snapshots, ...traffic(sim) };
  } finally {
    sim.faults.clear();
    await desk.app.close();
  }
}

interface CycleRun extends Traffic {
  ms: number;
  analysed: number;
  executed: number;
  errors: Record<string, number>;
  /** After a back-off began: requests that reached the simulator within IN_FLIGHT_MS, and later. */
  afterBackoff: { inFlight: number; arrivedSoon: number; arrivedLater: number; lastMs: number } | null;
}

async function fullCycle(sim: SimExchange, limiting: Limiting, options: { concurrency?: number; inject403After?: number } = {}): Promise<CycleRun> {
  const desk = await deskOn(sim, limiting);
  let watch: NodeJS.Timeout | undefined;
  if (options.inject403After !== undefined) {
    const after = options.inject403After;
    // Mid-cycle: once that many requests have reached the simulator, its next answer is a 403.
    watch = setInterval(() => {
      if (sim.traffic().requests < after) return;
      clearInterval(watch);
      sim.faults.clear();
      sim.faults.inject({ kind: 'http403', count: 1 });
      sim.faults.inject({ kind: 'latency', latencyMs: LATENCY_MS, count: Number.POSITIVE_INFINITY });
    }, 1);
  }
  try {
    const t0 = performance.now();
    const r = await runCycle(desk.deps, {
      analyst: new RulesAnalyst(desk.deps),
      maxMovers: MOVERS,
      concurrency: options.concurrency ?? desk.deps.config.SCAN_CONCURRENCY,
    });
    const ms = performance.now() - t0;
    const mark = desk.backoffs[0];
    let afterBackoff: CycleRun['afterBackoff'] = null;
    if (mark) {
      const arrivals = sim.requestStamps().slice(mark.seen);
      const soon = arrivals.filter((t) => t - mark.at <= IN_FLIGHT_MS);
      afterBackoff = {
        inFlight: mark.inFlight,
        arrivedSoon: soon.length,
        arrivedLater: arrivals.length - soon.length,
        lastMs: arrivals.length ? Math.max(...arrivals) - mark.at : 0,
      };
    }
    return {
      ms,
      analysed: r.analysed,
      executed: r.executed,
      errors: { ...r.errorsByCode, ...(r.skipped ? { skipped: r.skipped } : {}) },
      afterBackoff,
      ...traffic(sim),
    };
  } finally {
    clearInterval(watch);
    sim.faults.clear();
    await desk.app.close();
  }
}

/** BURST order-book requests at once (order books are never cached), no injected latency. */
async function burst(sim: SimExchange, limiting: Limiting): Promise<{ ms: number; failed: number } & Traffic> {
  const desk = await deskOn(sim, limiting);
  sim.faults.clear();
  try {
    const symbols = (await desk.deps.market.markets()).map((m) => m.symbol);
    const t0 = performance.now();
    const results = await Promise.allSettled(Array.from({ length: BURST }, (_, i) => desk.deps.market.orderBook(symbols[i % symbols.length]!, 50)));
    return { ms: performance.now() - t0, failed: results.filter((r) => r.status === 'rejected').length, ...traffic(sim) };
  } finally {
    await desk.app.close();
  }
}

const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const codes = (e: Record<string, number>): string =>
  Object.entries(e)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ') || 'none';

export async function benchScanner(): Promise<BenchResult[]> {
  const sim = await startSimExchange({ seed: 42, now: Date.parse('2026-11-20T12:00:00Z') });
  try {
    const sequential = await dataPhase(sim, 'sequential');
    const concurrent = await dataPhase(sim, 'concurrent');
    const off = await fullCycle(sim, 'off');
    const budget = await fullCycle(sim, 'budget');
    const throttled = await fullCycle(sim, 'ccxt');
    const single = await fullCycle(sim, 'budget', { concurrency: 1 });
    const burstOn = await burst(sim, 'budget');
    const burstOff = await burst(sim, 'off');
    const blocked = await fullCycle(sim, 'budget', { inject403After: Math.round(budget.requests / 2) });
    const ratio = budget.ms / off.ms;
    const dataRatio = sequential.ms / concurrent.ms;
    const b = blocked.afterBackoff;
    return [
      {
        name: `scanner data phase, sequential (1 tickers + ${MOVERS} movers × 3 TF, ${LATENCY_MS} ms latency, budget on)`,
        goal: 'baseline',
        result: `${s(sequential.ms)}, ${sequential.requests} requests`,
        ok: null,
      },
      {
        name: `scanner data phase, ${CONCURRENCY} movers at once × 3 TF in parallel (budget on)`,
        goal: '≥ 4x faster',
        result: `${s(concurrent.ms)}, ${dataRatio.toFixed(1)}x faster (${concurrent.snapshots} snapshots)`,
        ok: dataRatio >= 4 && concurrent.snapshots === MOVERS,
      },
      {
        name: `full rules cycle, ${MOVERS} movers, defaults (budget ${BUDGET_PER_5S}/5 s) vs all client-side limiting off`,
        goal: `ratio ≤ ${RATIO_GOAL}`,
        result: `${s(budget.ms)} vs ${s(off.ms)}: ratio ${ratio.toFixed(2)} (${budget.requests} requests, ${budget.analysed} analysed, ${budget.executed} executed)`,
        ok: ratio <= RATIO_GOAL && budget.analysed === MOVERS,
      },
      {
        name: "full rules cycle with ccxt's per-call throttle instead (the default before the budget)",
        goal: 'reference',
        result: `${s(throttled.ms)}: ratio ${(throttled.ms / off.ms).toFixed(1)} against limiting off`,
        ok: null,
      },
      {
        name: 'full rules cycle (defaults): busiest 1 s / 5 s window at the simulator; 403/429/10006 answers',
        goal: `≤ ${BUDGET_PER_5S} / ≤ ${BUDGET_PER_5S}; 0`,
        result: `${budget.peak1s} / ${budget.peak5s} requests; ${budget.refused}`,
        ok: budget.peak1s <= BUDGET_PER_5S && budget.peak5s <= BUDGET_PER_5S && budget.refused === 0,
      },
      {
        name: `full rules cycle, concurrency 1 vs ${CONCURRENCY} (defaults)`,
        goal: 'reference',
        result: `${s(single.ms)} vs ${s(budget.ms)} (${(single.ms / budget.ms).toFixed(1)}x)`,
        ok: null,
      },
      {
        name: `burst of ${BURST} order-book requests at once, budget on: busiest 1 s / 5 s at the simulator; 403s`,
        goal: `≤ ${BUDGET_PER_5S} / ≤ ${BUDGET_PER_5S}; 0`,
        result: `${burstOn.peak1s} / ${burstOn.peak5s}; ${burstOn.refused} (${burstOn.failed} failed; all answered in ${s(burstOn.ms)})`,
        ok: burstOn.peak5s <= BUDGET_PER_5S && burstOn.refused === 0 && burstOn.failed === 0,
      },
      {
        name: 'the same burst with client-side limiting off',
        goal: 'reference',
        result: `${burstOff.refused} answered 403 by the simulator's IP limit, ${burstOff.failed} failed`,
        ok: null,
      },
      {
        name: 'full rules cycle, 403 injected mid-cycle: requests reaching the simulator after the back-off began',
        goal: `0 after those in flight`,
        result: b
          ? `${b.arrivedLater} later than ${IN_FLIGHT_MS} ms; ${b.arrivedSoon} within ${b.lastMs} ms (${b.inFlight} were in flight); cycle over in ${s(blocked.ms)}, ${codes(blocked.errors)}`
          : 'no back-off happened',
        ok: b !== null && b.arrivedLater === 0 && b.arrivedSoon <= b.inFlight,
      },
    ];
  } finally {
    await sim.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printTable(await benchScanner(), (line) => process.stdout.write(line));
}
