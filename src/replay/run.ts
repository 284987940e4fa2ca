/**
 * A replay: the whole desk driven by a replay clock over stored history. At every step t from
 * `from` to `to` (every `every`) the same scan cycle runs as live (movers from the 24h change at
 * t, snapshots from candles closed by t, positioning at t, the configured analyst, the same risk
 * rules, sizing, fills and ledger); between steps the cycle's evaluation books stops, targets and
 * funding on 1-minute candles, the same engine as live. Every read goes through the point-in-time
 * market view (replay-market.ts).
 *
 * Isolation: the replay's portfolio, signals and cycles live in its own database file (in
 * `<data dir>/replays/`), never in the live one; the live database gets the downloaded history,
 * the index row of the replay, and (Claude) the real spend of recorded model requests.
 *
 * Determinism: movers are analysed one at a time and cycle ids follow the step number, so the same
 * history, settings and model answers (the cassette) give the same report.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { Analyst } from '../agent/analyst.js';
import type { Config } from '../config.js';
import { openDatabase, type Database } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import type { DB } from '../db/schema.js';
import type { Deps } from '../deps.js';
import type { Clock } from '../shared/clock.js';
import { AppError, isAppError } from '../errors.js';
import type { Logger } from '../log.js';
import type { HistorySource, MarketInfo, Ticker } from '../market/types.js';
import { evaluateOutcomes } from '../outcomes/evaluate.js';
import { getSignalScorecard } from '../outcomes/scorecard.js';
import { DEFAULT_PORTFOLIO, requirePortfolio } from '../trading/portfolios.js';
import { runCycle } from '../scanner/cycle.js';
import { TtlCache } from '../sentiment/cache.js';
import type { SentimentReading } from '../sentiment/types.js';
import { evaluatePortfolio } from '../trading/evaluate.js';
import { loadSnapshot } from '../trading/ledger.js';
import { usd } from '../shared/money.js';
import { fetchHistory, type HistoryFetchReport, type HistoryProgress } from './history-fetch.js';
import { lastAtOrBefore, loadHistory, type SymbolHistory } from './history-data.js';
import { ReplayMarketData } from './replay-market.js';
import { buildReport, type EquityPoint, type ReplayReport } from './report.js';
import { collectCycles, collectTrades } from './collect.js';
import { finishRun, insertRun } from './runs.js';
import { replayWarnings } from './warnings.js';

export interface ReplayRequest {
  from: number;
  to: number;
  everyMs: number;
  analyst: 'rules' | 'claude';
  /** Typed symbols; default: the REPLAY_UNIVERSE most traded perpetuals now. */
  symbols?: readonly string[] | undefined;
  maxMovers?: number | undefined;
  thresholdPct?: number | undefined;
  /** Starting balance of the replay's portfolio, USDT (default PAPER_STARTING_BALANCE). */
  balance?: number | undefined;
}

/** The analyst a replay runs, built on the replay's own desk, and what its model requests cost. */
export interface ReplayAnalyst {
  analyst: Analyst;
  /** Model requests so far: answered from the cassette, sent to the API (real spend), missing. */
  llm(): { requests: number; recordedUsd: number; wouldHaveCostUsd: number; cassette: string | null; cassetteMisses: number };
  close(): Promise<void>;
}

export interface ReplayContext {
  /** The live desk: its configuration, database (history, replay index), market (the universe) and clock. */
  live: Pick<Deps, 'config' | 'db' | 'market' | 'clock'>;
  history: HistorySource;
  /** Where replay databases are kept; null keeps them in memory (DB_PATH=:memory:). */
  dataDir: string | null;
  /** Logger of the replay's desk (the cycles of a replay are many: warnings and errors only). */
  log: Logger;
  /** Builds the analyst on the replay's desk (the composition root builds analysts). */
  analyst(kind: ReplayRequest['analyst'], deps: Deps, replayId: string): Promise<ReplayAnalyst>;
  onHistory?: (p: HistoryProgress) => void;
  onProgress?: (p: ReplayProgress) => void;
  /** Stops the replay after the cycle in flight; the report covers the steps run. */
  signal?: AbortSignal;
}

export interface ReplayProgress {
  done: number;
  total: number;
  /** The replay time of the step just run, ISO. */
  at: string;
  equity: number;
  /** Wall-clock ms since the first step, and the estimate of what is left. */
  elapsedMs: number;
  etaMs: number;
}

const MAX_STEPS = 20_000;
const ID = () => randomBytes(2).toString('hex');

/** A clock the replay sets: feature code reads replay time through it. */
export class ReplayClock implements Clock {
  constructor(private t: number) {}
  now(): number {
    return this.t;
  }
  set(t: number): void {
    this.t = t;
  }
}

function validate(req: ReplayRequest, now: number): number {
  if (!(Number.isFinite(req.from) && Number.isFinite(req.to))) throw new AppError('INVALID_INPUT', '--from and --to are ISO dates or times');
  if (!(req.from < req.to)) throw new AppError('INVALID_INPUT', '--from must be before --to');
  if (req.to > now) throw new AppError('INVALID_INPUT', `--to (${new Date(req.to).toISOString()}) is in the future`, { hint: 'a replay covers the past only' });
  if (!(req.everyMs >= 60_000)) throw new AppError('INVALID_INPUT', '--every is at least 1m', { hint: 'e.g. 15m, 1h, 4h, 1d' });
  const steps = Math.floor((req.to - req.from) / req.everyMs) + 1;
  if (steps > MAX_STEPS) throw new AppError('INVALID_INPUT', `${steps} steps is more than ${MAX_STEPS}`, { hint: 'use a longer --every or a shorter window' });
  return steps;
}

/** The replay's symbols: as given, else the REPLAY_UNIVERSE most traded perpetuals now; BTC always (it is the benchmark). */
export async function replayUniverse(live: Pick<Deps, 'market' | 'config'>, symbols: readonly string[] | undefined): Promise<MarketInfo[]> {
  const { market, config } = live;
  const chosen: MarketInfo[] = [];
  if (symbols?.length) {
    for (const s of symbols) chosen.push(await market.resolveSymbol(s));
  } else {
    const [markets, tickers] = await Promise.all([market.markets(), market.tickers()]);
    const byTurnover = new Map(tickers.map((t: Ticker) => [t.symbol, t.quoteVolume24h ?? 0]));
    chosen.push(
      ...markets
        .filter((m) => m.active && m.quote === 'USDT')
        .sort((a, b) => (byTurnover.get(b.symbol) ?? 0) - (byTurnover.get(a.symbol) ?? 0) || a.symbol.localeCompare(b.symbol))
        .slice(0, config.REPLAY_UNIVERSE),
    );
  }
  const btc = await market.resolveSymbol('BTC/USDT').catch(() => null);
  if (btc && !chosen.some((m) => m.symbol === btc.symbol)) chosen.unshift(btc);
  return [...new Map(chosen.map((m) => [m.symbol, m])).values()];
}

export interface ReplayOutcome {
  report: ReplayReport;
  history: HistoryFetchReport;
}

export async function runReplay(ctx: ReplayContext, req: ReplayRequest): Promise<ReplayOutcome> {
  const started = ctx.live.clock.now();
  const steps = validate(req, started);
  const markets = await replayUniverse(ctx.live, req.symbols);
  const history = await fetchHistory(ctx.live.db, ctx.history, {
    symbols: markets,
    from: req.from,
    to: req.to,
    now: started,
    onProgress: ctx.onHistory,
    signal: ctx.signal,
  });
  const data = await loadHistory(ctx.live.db, markets, req.from, req.to);
  const id = `replay-${new Date(started)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${ID()}`;
  const dbPath = ctx.dataDir ? join(ctx.dataDir, 'replays', `${id}.db`) : ':memory:';
  if (ctx.dataDir) mkdirSync(join(ctx.dataDir, 'replays'), { recursive: true });
  const params = { ...req, symbols: markets.map((m) => m.symbol), steps };
  await insertRun(ctx.live.db, { id, createdAt: started, analyst: req.analyst, from: req.from, to: req.to, params, dbPath });
  const database = openDatabase(dbPath);
  let analyst: ReplayAnalyst | null = null;
  try {
    await migrateToLatest(database.db);
    const clock = new ReplayClock(req.from);
    const deps = replayDeps(ctx, req, database, clock, data);
    analyst = await ctx.analyst(req.analyst, deps, id);
    const run = await stepThrough(ctx, req, deps, clock, analyst.analyst, steps);
    const report = await reportOf(ctx, req, deps, clock, { id, started, steps, run, data, history, llm: analyst.llm() });
    await finishRun(ctx.live.db, id, { status: report.status, finishedAt: ctx.live.clock.now(), report, error: null });
    return { report, history };
  } catch (error) {
    const message = isAppError(error) ? error.toLine() : 'unexpected failure (see the log)';
    await finishRun(ctx.live.db, id, { status: 'failed', finishedAt: ctx.live.clock.now(), report: null, error: message }).catch(() => undefined);
    throw error;
  } finally {
    await analyst?.close().catch(() => undefined);
    await database.close();
  }
}

/** The replay's desk: its own database, the replay clock, the point-in-time market, no news. */
function replayDeps(ctx: ReplayContext, req: ReplayRequest, database: Database, clock: ReplayClock, data: Map<string, SymbolHistory>): Deps {
  const live = ctx.live.config;
  const config: Config = {
    ...live,
    DB_PATH: database.path,
    PAPER_STARTING_BALANCE: req.balance ?? live.PAPER_STARTING_BALANCE,
    SCAN_CONCURRENCY: 1,
  };
  const market = new ReplayMarketData(data, clock, { exchangeId: ctx.live.market.exchangeId, spreadBps: live.REPLAY_SPREAD_BPS });
  // News has no point-in-time history: off in replay (the report says so).
  const sentiment = { news: null, fearGreed: null, cache: new TtlCache<SentimentReading>(0, () => clock.now()) };
  return { config, log: ctx.log, clock, db: database.db, market, sentiment };
}

interface StepRun {
  status: 'completed' | 'stopped';
  stepsRun: number;
  equity: EquityPoint[];
}

async function equityAt(db: Kysely<DB>, portfolioId: number): Promise<number> {
  return usd((await loadSnapshot(db, portfolioId, new Map())).equity);
}

async function stepThrough(ctx: ReplayContext, req: ReplayRequest, deps: Deps, clock: ReplayClock, analyst: Analyst, steps: number): Promise<StepRun> {
  const portfolio = await requirePortfolio(deps, DEFAULT_PORTFOLIO);
  const equity: EquityPoint[] = [];
  const wall0 = performance.now();
  let stepsRun = 0;
  for (let i = 0; i < steps; i++) {
    if (ctx.signal?.aborted) return { status: 'stopped', stepsRun, equity };
    const t = req.from + i * req.everyMs;
    clock.set(t);
    await runCycle(deps, {
      analyst,
      cycleId: `step-${String(i + 1).padStart(5, '0')}`,
      maxMovers: req.maxMovers,
      thresholdPct: req.thresholdPct,
      concurrency: 1,
      outcomes: false,
    });
    stepsRun += 1;
    equity.push({ t, equity: await equityAt(deps.db, portfolio.id) });
    const elapsedMs = performance.now() - wall0;
    ctx.onProgress?.({
      done: stepsRun,
      total: steps,
      at: new Date(t).toISOString(),
      equity: equity.at(-1)!.equity,
      elapsedMs,
      etaMs: (elapsedMs / stepsRun) * (steps - stepsRun),
    });
  }
  // The window's end: whatever fell due after the last step is booked, and the positions marked, at `to`.
  const last = req.from + (steps - 1) * req.everyMs;
  if (last < req.to) {
    clock.set(req.to);
    await evaluatePortfolio(deps, portfolio);
    equity.push({ t: req.to, equity: await equityAt(deps.db, portfolio.id) });
  }
  return { status: 'completed', stepsRun, equity };
}

/** Buy and hold from the first step to the end, no fees: BTC, and the equal-weight basket of the symbols. */
function benchmarks(data: Map<string, SymbolHistory>, from: number, to: number): ReplayReport['benchmarks'] {
  const change = (h: SymbolHistory): number | null => {
    const a = lastAtOrBefore(h.m1.time, from - 60_000);
    const b = lastAtOrBefore(h.m1.time, to - 60_000);
    return a < 0 || b < 0 ? null : (h.m1.close[b]! / h.m1.close[a]! - 1) * 100;
  };
  const btc = [...data.values()].find((h) => h.info.base === 'BTC');
  const all = [...data.values()].map(change).filter((x): x is number => x !== null);
  const r2 = (x: number) => Math.round(x * 100) / 100;
  return {
    btcBuyHoldPct: btc ? (change(btc) === null ? null : r2(change(btc)!)) : null,
    basketBuyHoldPct: all.length ? r2(all.reduce((a, b) => a + b, 0) / all.length) : null,
    basketSymbols: all.length,
  };
}

interface ReportParts {
  id: string;
  started: number;
  steps: number;
  run: StepRun;
  data: Map<string, SymbolHistory>;
  history: HistoryFetchReport;
  llm: ReturnType<ReplayAnalyst['llm']>;
}

async function reportOf(ctx: ReplayContext, req: ReplayRequest, deps: Deps, clock: ReplayClock, p: ReportParts): Promise<ReplayReport> {
  // The signals' outcomes, as far as the window lets them be known.
  for (let i = 0; i < 1000; i++) if (!(await evaluateOutcomes(deps, { limit: 500 })).hasMore) break;
  const scorecard = await getSignalScorecard(deps, { evaluate: false });
  const portfolio = await requirePortfolio(deps, DEFAULT_PORTFOLIO);
  const { trades, feesUsd, fundingUsd } = await collectTrades(deps.db, portfolio.id);
  const config = deps.config;
  return buildReport({
    id: p.id,
    createdAt: p.started,
    durationMs: Math.max(0, ctx.live.clock.now() - p.started),
    status: p.run.status,
    window: { from: req.from, to: clock.now(), everyMs: req.everyMs, steps: p.steps, stepsRun: p.run.stepsRun },
    analyst: req.analyst,
    symbols: [...p.data.keys()],
    settings: {
      maxMovers: req.maxMovers ?? config.MAX_MOVERS,
      thresholdPct: req.thresholdPct ?? config.MOVERS_THRESHOLD_PCT,
      spreadBps: config.REPLAY_SPREAD_BPS,
      fillMode: config.FILL_MODE,
      takerFeeRate: config.TAKER_FEE_RATE,
      riskPerTradePct: config.RISK_PER_TRADE_PCT,
      maxOpenPositions: config.MAX_OPEN_POSITIONS,
      minConfidence: config.MIN_CONFIDENCE,
    },
    startBalance: config.PAPER_STARTING_BALANCE,
    equity: p.run.equity,
    trades,
    feesUsd,
    fundingUsd,
    benchmarks: benchmarks(p.data, req.from, clock.now()),
    cycles: await collectCycles(deps.db),
    scorecard: {
      signals: scorecard.totals.signals,
      decided: scorecard.totals.decided,
      hitRate: scorecard.totals.hitRate,
      avgR: scorecard.totals.avgR,
      byConfidence: scorecard.byConfidence.map((b) => ({ key: b.key, signals: b.signals, decided: b.decided, hitRate: b.hitRate, avgR: b.avgR })),
    },
    llm: {
      ...p.llm,
      rerunCostUsd: p.llm.cassetteMisses > 0 || (p.llm.requests > 0 && p.llm.cassette === null) ? p.llm.recordedUsd + p.llm.wouldHaveCostUsd : 0,
    },
    warnings: replayWarnings({
      analyst: req.analyst,
      to: req.to,
      symbolsGiven: Boolean(req.symbols?.length),
      gaps: p.history.gaps,
      model: config.CLAUDE_MODEL,
      cutoff: config.CLAUDE_TRAINING_CUTOFF,
      llm: p.llm,
    }),
  });
}
