/**
 * Replay benchmark: 30 days of hourly cycles over 20 symbols (plus BTC) with the rules analyst,
 * from stored history (downloaded once from the loopback simulator first, which is not timed),
 * with 1-minute stop resolution. Goal: 30 s or less. Reports cycles per second and where the time
 * goes, from a CPU profile of the run grouped by source folder (indicators, the market view, risk
 * and fills, the scanner, SQLite).
 *
 * Standalone: npx tsx bench/replay.ts
 */
import { Session } from 'node:inspector/promises';
import { pathToFileURL } from 'node:url';
import { createDeps } from '../src/app.js';
import { RulesAnalyst } from '../src/agent/rules-analyst.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { fetchHistory } from '../src/replay/history-fetch.js';
import { replayUniverse, runReplay } from '../src/replay/run.js';
import { startSimExchange } from '../src/sim/server.js';
import type { BenchResult } from './types.js';

const NOW = Date.UTC(2026, 10, 20, 12);
const DAYS = 30;
const GOAL_S = 30;

interface ProfileNode {
  id: number;
  callFrame: { url: string; functionName: string };
  hitCount?: number;
  children?: number[];
}

/** Where the samples landed, by the folder of the function that was running. */
function categorise(nodes: ProfileNode[]): Array<[string, number]> {
  const buckets = new Map<string, number>();
  let total = 0;
  for (const n of nodes) {
    const hits = n.hitCount ?? 0;
    if (!hits) continue;
    total += hits;
    const url = n.callFrame.url;
    const name = n.callFrame.functionName;
    const bucket = /\/src\/analysis\/|technicalindicators/.test(url)
      ? 'indicators and snapshots'
      : /\/src\/replay\//.test(url)
        ? 'market view (replay)'
        : /\/src\/trading\/|\/src\/signals\/|decimal\.js/.test(url)
          ? 'risk, fills and ledger'
          : /kysely|better-sqlite3|\/src\/db\//.test(url) || (url === '' && /^(prepare|run|all|get|exec)$/.test(name))
            ? 'SQLite (kysely, better-sqlite3)'
            : /\/src\/scanner\/|\/src\/outcomes\//.test(url)
              ? 'scanner and outcomes'
              : url === ''
                ? 'native and GC'
                : 'other';
    buckets.set(bucket, (buckets.get(bucket) ?? 0) + hits);
  }
  return [...buckets.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, total ? (v / total) * 100 : 0]);
}

export async function benchReplay(): Promise<BenchResult[]> {
  const sim = await startSimExchange({ seed: 42, now: NOW });
  const config = loadConfig({ env: { EXCHANGE_BASE_URL: sim.url, DB_PATH: ':memory:', LOG_LEVEL: 'error' } });
  const app = await createDeps(config, { writeLog: () => {}, clock: { now: () => sim.clock.now() } });
  try {
    const from = NOW - DAYS * 86_400_000;
    const to = Math.floor(NOW / 3_600_000) * 3_600_000;
    const symbols = await replayUniverse(app.deps, undefined);
    const download0 = performance.now();
    const history = await fetchHistory(app.deps.db, app.history, { symbols, from, to, now: NOW });
    const downloadS = (performance.now() - download0) / 1000;
    const requestsBefore = sim.requestCount();
    const session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
    const t0 = performance.now();
    const { report } = await runReplay(
      {
        live: app.deps,
        history: app.history,
        dataDir: null,
        log: createLogger({ level: 'error', write: () => {} }),
        analyst: async (_kind, deps) => ({
          analyst: new RulesAnalyst(deps),
          llm: () => ({ requests: 0, recordedUsd: 0, wouldHaveCostUsd: 0, cassette: null, cassetteMisses: 0 }),
          close: async () => {},
        }),
      },
      { from, to, everyMs: 3_600_000, analyst: 'rules' },
    );
    const seconds = (performance.now() - t0) / 1000;
    const { profile } = (await session.post('Profiler.stop')) as { profile: { nodes: ProfileNode[] } };
    session.disconnect();
    const cycles = report.window.stepsRun;
    const split = categorise(profile.nodes)
      .filter(([, pct]) => pct >= 1)
      .map(([k, pct]) => `${k} ${pct.toFixed(0)}%`)
      .join(', ');
    return [
      {
        name: `replay: ${DAYS} days of hourly cycles, ${symbols.length} symbols, rules analyst, from stored history`,
        goal: `≤ ${GOAL_S} s`,
        result: `${seconds.toFixed(1)} s for ${cycles} cycles (${(cycles / seconds).toFixed(0)} cycles/s), ${report.performance.trades} trades, ${sim.requestCount() - requestsBefore} exchange requests`,
        ok: seconds <= GOAL_S,
      },
      { name: 'replay: where the time goes (CPU profile)', goal: 'informational', result: split, ok: null },
      {
        name: `replay: history download for it (${history.requests} requests, simulator on loopback)`,
        goal: 'informational',
        result: `${downloadS.toFixed(1)} s (the simulator computes every candle; Bybit's limit at the default budget allows 96 requests/s)`,
        ok: null,
      },
    ];
  } finally {
    await app.close();
    await sim.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { printTable } = await import('./types.js');
  printTable(await benchReplay(), (s) => process.stdout.write(s));
}
