/**
 * One scan cycle: scan → analyse each mover (bounded concurrency) → its signal goes through the
 * `submit_trading_signal` path → evaluate the open positions → store the cycle's metrics.
 *
 * Guarantees:
 * - One failing mover (exchange fault, agent error, no signal) is recorded on its row with a code,
 *   and the cycle goes on.
 * - Never twice: every mover's signal carries the deterministic signal_id `<cycle id>:<symbol id>`,
 *   and before analysing a mover the cycle looks that id up: a signal already decided (a re-run
 *   of the same cycle after a crash) is taken as the mover's outcome, not analysed or traded again.
 *   Running a completed cycle id again returns its stored report and does nothing.
 * - Before each analysis starts: the stop request (Ctrl-C), the halt switch (`cctrader halt`:
 *   nothing more is analysed or submitted; the risk rules also refuse entries while halted) and,
 *   for an analyst that spends, the spend caps and the Claude request windows (usage/spend-caps.ts,
 *   usage/windows.ts). Once one of them says no, the movers not yet started are recorded as
 *   skipped with its code (BUDGET_EXCEEDED, or RATE_LIMITED for a window past its critical
 *   threshold, with when it resets). A window past its warning threshold is said once per cycle.
 * - A daily session takes one analysis at a time (it is one conversation).
 */
import { randomBytes, createHash } from 'node:crypto';
import type { Analyst, AnalysisResult, SubmittedSignal } from '../agent/analyst.js';
import type { AgentOperation } from '../agent/types.js';
import type { Deps } from '../deps.js';
import { AppError, isAppError } from '../errors.js';
import { DEFAULT_PORTFOLIO, requirePortfolio } from '../trading/portfolios.js';
import { storedSignal } from '../signals/store.js';
import type { SignalOutcome } from '../signals/submit.js';
import { evaluateOutcomes } from '../outcomes/evaluate.js';
import { entryBlock, type EntryBlock } from '../trading/entry-check.js';
import { evaluatePortfolio } from '../trading/evaluate.js';
import { countClosedBetween } from '../trading/ledger.js';
import { readHalt } from '../trading/halt.js';
import { NO_SPEND } from '../usage/agent-run.js';
import { SpendGuard, type Reservation } from '../usage/spend-caps.js';
import { scanMovers } from './momentum.js';
import { runPool } from './pool.js';
import {
  cycleReport,
  finishCycle,
  FINAL_OUTCOMES,
  heartbeat,
  insertCycle,
  loadCycle,
  loadMovers,
  moverReport,
  reopenCycle,
  storeScan,
  updateMover,
  type CycleParams,
  type CycleReport,
  type MoverReport,
  type MoverRow,
  type MoverUpdate,
} from './store.js';

/** How often a running cycle renews its heartbeat, ms. */
export const HEARTBEAT_MS = 20_000;
/** A running cycle whose heartbeat is this old has lost its process. */
export const STALE_MS = 3 * HEARTBEAT_MS;
const CYCLE_ID = /^[A-Za-z0-9._-]{1,40}$/;

export interface CycleOptions {
  analyst: Analyst;
  /** Resume or replay this cycle; a new id otherwise. Letters, digits, . _ - (up to 40). */
  cycleId?: string;
  /** Claude: continue today's `scanner-YYYY-MM-DD` conversation. */
  daily?: boolean;
  maxMovers?: number;
  thresholdPct?: number;
  minTurnoverUsd?: number;
  concurrency?: number;
  portfolio?: string;
  operation?: AgentOperation;
  /** Stop starting analyses; the ones in flight finish (first Ctrl-C). */
  stop?: AbortSignal;
  /** Abort the analyses in flight (second Ctrl-C). */
  abort?: AbortSignal;
  /** Bring the signal outcomes (scorecard) up to date at the end (default true; a replay does it once at its end). */
  outcomes?: boolean;
  onEvent?: (event: CycleEvent) => void;
}

export type CycleEvent =
  | { type: 'start'; cycleId: string; resumed: boolean; analyst: string }
  | { type: 'scanned'; scanned: number; found: number; held: number; total: number }
  | { type: 'analysis_start'; symbol: string; rank: number; total: number; running: number; done: number }
  | { type: 'analysis_done'; mover: MoverReport; total: number; running: number; done: number }
  | { type: 'paused'; code: string; reason: string; until: number | null }
  /** A Claude request window is past its warning threshold (said once per cycle). */
  | { type: 'rate_warning'; message: string }
  /** The runner waits for a request window to reset before the next cycle (runner.ts). */
  | { type: 'rate_wait'; until: number; message: string }
  | { type: 'evaluated'; closed: number }
  | { type: 'error'; stage: 'scan' | 'evaluate'; code: string; message: string };

export interface CycleResult extends CycleReport {
  /** True when the cycle id had already completed: nothing was run. */
  replayed: boolean;
  /** True when an interrupted cycle was taken up again. */
  resumed: boolean;
  /** When a spend cap paused analyses: when the window allows again (ISO), null = next cycle. */
  pausedUntil: string | null;
}

export function newCycleId(now: number): string {
  const stamp = new Date(now)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `scan-${stamp}-${randomBytes(2).toString('hex')}`;
}

/** `<cycle id>:<symbol id>`, e.g. `scan-20261120T123456Z-3fa1:SOLUSDT` (at most 64 characters). */
export function signalIdFor(cycleId: string, symbol: string): string {
  const id = (symbol.split(':')[0] ?? symbol).replace(/[^A-Za-z0-9]/g, '').toUpperCase();
  const full = `${cycleId}:${id}`;
  return full.length <= 64 ? full : `${cycleId}:${createHash('sha256').update(symbol).digest('hex').slice(0, 12)}`;
}

/** The decided signal stored under `signalId`, if any (a failed one may be tried again). */
async function decidedOutcome(deps: Deps, signalId: string): Promise<SubmittedSignal | null> {
  const row = await storedSignal(deps.db, signalId);
  if (!row || row.status === 'failed' || row.decision === null) return null;
  const o = JSON.parse(row.decision) as SignalOutcome;
  return {
    rowId: row.id,
    signalId,
    status: o.status,
    code: o.code,
    reason: o.reason,
    replayed: true,
    direction: row.direction,
    confidence: row.confidence,
    entry: Number(row.entry_price),
    stopLoss: Number(row.stop_loss),
    takeProfit: Number(row.take_profit),
    fill: o.fill ? { positionId: o.fill.positionId, price: o.fill.price, quantity: o.fill.quantity, notional: o.fill.notional, fee: o.fill.fee } : null,
  };
}

function updateFrom(result: AnalysisResult, startedAt: number, finishedAt: number): MoverUpdate {
  const s = result.spend;
  const base = {
    analyst: result.analyst,
    sessionId: result.sessionId,
    turns: result.turns,
    tokens: { input: s.inputTokens, output: s.outputTokens, cacheRead: s.cacheReadTokens, cacheWrite: s.cacheWriteTokens },
    costUsd: s.costUsd,
    durationMs: result.durationMs,
    startedAt,
    finishedAt,
  };
  if (result.outcome === 'signal') {
    const g = result.signal;
    return {
      ...base,
      outcome: g.status,
      code: g.code,
      reason: g.reason,
      signalRowId: g.rowId,
      direction: g.direction,
      confidence: g.confidence,
      replayed: g.replayed,
    };
  }
  return {
    ...base,
    outcome: result.outcome,
    code: result.outcome === 'no_signal' ? null : result.code,
    reason: result.reason,
    signalRowId: null,
    direction: null,
    confidence: null,
    replayed: false,
  };
}

/** What one run of a cycle knows once it has started (see `openCycle`). */
interface CycleStart {
  cycleId: string;
  resumed: boolean;
  /** Epoch ms the cycle first started (a resumed cycle keeps its original start). */
  startedAt: number;
  portfolio: { id: number; name: string };
  daily: boolean;
  params: CycleParams;
}

/** Validate the id, replay a completed cycle, refuse one running elsewhere, and record the start. */
async function openCycle(deps: Deps, options: CycleOptions, now: number): Promise<CycleStart | { done: CycleResult }> {
  const { db, config } = deps;
  const cycleId = options.cycleId ?? newCycleId(now);
  if (!CYCLE_ID.test(cycleId)) throw new AppError('INVALID_INPUT', 'A cycle id is 1-40 letters, digits, . _ or -', { hint: 'e.g. scan-20261120T123456Z-3fa1' });
  const existing = await loadCycle(db, cycleId);
  if (existing?.status === 'completed') {
    return { done: { ...(await cycleReport(db, cycleId))!, replayed: true, resumed: false, pausedUntil: null } };
  }
  if (existing?.status === 'running' && now - existing.heartbeat_at < STALE_MS) {
    throw new AppError('CONFLICT', `Cycle ${cycleId} is running in another process`, {
      hint: 'wait for it to finish; an interrupted cycle can be resumed a minute after its process ended',
    });
  }
  const portfolioName = options.portfolio ?? existing?.portfolio ?? DEFAULT_PORTFOLIO;
  const portfolio = await requirePortfolio(deps, portfolioName);
  const daily = options.analyst.spends && (options.daily ?? existing?.daily === 1);
  const params: CycleParams = {
    thresholdPct: options.thresholdPct ?? config.MOVERS_THRESHOLD_PCT,
    maxMovers: options.maxMovers ?? config.MAX_MOVERS,
    minTurnoverUsd: options.minTurnoverUsd ?? config.MIN_TURNOVER_USD,
    concurrency: daily ? 1 : (options.concurrency ?? config.SCAN_CONCURRENCY),
  };
  if (existing) await reopenCycle(db, cycleId, now);
  else await insertCycle(db, { id: cycleId, startedAt: now, analyst: options.analyst.kind, daily, portfolio: portfolio.name, params });
  return {
    cycleId,
    resumed: existing !== undefined,
    startedAt: existing?.started_at ?? now,
    portfolio: { id: portfolio.id, name: portfolio.name },
    daily,
    params,
  };
}

export async function runCycle(deps: Deps, options: CycleOptions): Promise<CycleResult> {
  const opened = await openCycle(deps, options, deps.clock.now());
  if ('done' in opened) return opened.done;
  return new CycleRun(deps, options, opened).run();
}

/** A promise and the function that resolves it (Promise.withResolvers needs Node 22). */
function signalOnce(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** A small FIFO lock: the entry check and the claim of a position slot happen as one step. */
function exclusive(): <T>(fn: () => Promise<T>) => Promise<T> {
  let chain: Promise<unknown> = Promise.resolve();
  return (fn) => {
    const result = chain.then(fn);
    chain = result.catch(() => undefined);
    return result;
  };
}

class CycleRun {
  private readonly log;
  private readonly t0 = performance.now();
  private stopState: { code: string; reason: string; until: number | null } | null = null;
  private readonly extraErrors: Record<string, number> = {};
  private warned = false;
  private done = 0;
  private total = 0;
  /** Analyses started (or about to start) that may still open a position. */
  private claimed = 0;
  private readonly checkInOrder = exclusive();
  /** Resolves when the next analysis ends (a claimed slot may have come free). */
  private settled = signalOnce();
  private readonly guard: SpendGuard | null;

  constructor(
    private readonly deps: Deps,
    private readonly options: CycleOptions,
    private readonly c: CycleStart,
  ) {
    this.log = deps.log.child({ component: 'scanner', cycle: c.cycleId });
    this.guard = options.analyst.spends ? new SpendGuard(deps, c.startedAt) : null;
  }

  private emit(event: CycleEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch (error) {
      this.deps.log.warn('cycle event handler failed', { error });
    }
  }

  private stopWith(code: string, reason: string, until: number | null = null): void {
    if (this.stopState) return;
    this.stopState = { code, reason, until };
    this.log.info('no further analyses this cycle', { code, reason });
    this.emit({ type: 'paused', code, reason, until });
  }

  async run(): Promise<CycleResult> {
    const { db, clock } = this.deps;
    const { cycleId } = this.c;
    this.emit({ type: 'start', cycleId, resumed: this.c.resumed, analyst: this.options.analyst.kind });
    const timer = setInterval(() => void heartbeat(db, cycleId, clock.now()).catch(() => undefined), HEARTBEAT_MS);
    timer.unref();
    try {
      // Stops and targets first: a position closed now frees its symbol and its slot for this scan.
      await this.evaluate();
      const rows = await this.scan();
      const todo = rows.filter((r) => !FINAL_OUTCOMES.includes(r.outcome));
      this.total = rows.length;
      this.done = rows.length - todo.length;
      await runPool(todo, this.c.params.concurrency, (row) => this.mover(row));
      await this.evaluate();
      // Bring the signal scorecard up to date; market faults leave signals pending, never fail the cycle.
      if (this.options.outcomes !== false) {
        await evaluateOutcomes(this.deps).catch((error: unknown) => this.deps.log.warn('signal outcomes not brought up to date', { error }));
      }
      return await this.finish();
    } catch (error) {
      await this.end('failed', isAppError(error) ? error.code : 'INTERNAL', 'the cycle failed').catch(() => undefined);
      throw error;
    } finally {
      clearInterval(timer);
    }
  }

  /** The movers of this cycle: scanned now, or the stored ones of a resumed cycle. */
  private async scan(): Promise<MoverRow[]> {
    const { db } = this.deps;
    const { cycleId, params } = this.c;
    const stored = this.c.resumed ? await loadMovers(db, cycleId) : [];
    if (stored.length > 0) {
      const c = (await loadCycle(db, cycleId))!;
      this.emit({ type: 'scanned', scanned: c.scanned, found: c.movers_found, held: c.movers_held, total: stored.length });
      return stored;
    }
    try {
      const scan = await scanMovers(this.deps, {
        limit: params.maxMovers,
        thresholdPct: params.thresholdPct,
        minTurnoverUsd: params.minTurnoverUsd,
        portfolio: this.c.portfolio.name,
      });
      const scanParams: CycleParams = { ...params, tradable: scan.tradable, held: scan.held };
      await storeScan(
        db,
        cycleId,
        { scanned: scan.scanned, found: scan.found, held: scan.held.length, params: scanParams },
        scan.items.map((mover, i) => ({ mover, rank: i + 1, signalId: signalIdFor(cycleId, mover.symbol) })),
        this.options.analyst.kind,
      );
      const rows = await loadMovers(db, cycleId);
      this.emit({ type: 'scanned', scanned: scan.scanned, found: scan.found, held: scan.held.length, total: rows.length });
      return rows;
    } catch (error) {
      if (!isAppError(error)) throw error;
      this.extraErrors[`scan:${error.code}`] = 1;
      this.stopWith(error.code, `the scan failed: ${error.message}`);
      this.emit({ type: 'error', stage: 'scan', code: error.code, message: error.message });
      return [];
    }
  }

  /** Evaluate the open positions (stops, targets, funding); a symbol whose data fails keeps its last mark. */
  private async evaluate(): Promise<void> {
    try {
      const evaluation = await evaluatePortfolio(this.deps, { id: this.c.portfolio.id });
      this.emit({ type: 'evaluated', closed: evaluation.closed.length });
    } catch (error) {
      if (!isAppError(error)) throw error;
      this.extraErrors[`evaluate:${error.code}`] = 1;
      this.emit({ type: 'error', stage: 'evaluate', code: error.code, message: error.message });
    }
  }

  /**
   * The exchange told the desk to back off (a 403 IP block, a 429 or 10006): nothing more is
   * analysed this cycle, so that no request goes out before the wait is over; the movers not yet
   * started are recorded as skipped with RATE_LIMITED and when the exchange may be asked again.
   */
  private exchangeBackoff(): boolean {
    const backoff = this.deps.market.requestBudget()?.backoff;
    if (!backoff) return false;
    this.stopWith(
      'RATE_LIMITED',
      `the exchange asked the desk to back off (HTTP ${backoff.reason}): no requests until ${backoff.until}`,
      Date.parse(backoff.until),
    );
    return true;
  }

  private async finishMover(row: MoverRow, update: MoverUpdate): Promise<void> {
    await updateMover(this.deps.db, this.c.cycleId, row.symbol, update);
    this.done += 1;
    const fresh = (await loadMovers(this.deps.db, this.c.cycleId)).find((r) => r.symbol === row.symbol)!;
    this.emit({ type: 'analysis_done', mover: moverReport(fresh), total: this.total, running: this.claimed, done: this.done });
  }

  /** Whether this mover may be analysed now: the stop request, the halt switch, a stored decision. */
  private async mayStart(row: MoverRow): Promise<boolean> {
    const { options } = this;
    if (options.stop?.aborted || options.abort?.aborted)
      this.stopWith('STOPPED', 'stopped on request: the analyses in flight finished, the rest were not started');
    if (this.stopState) return false;
    const halt = await readHalt(this.deps.db);
    if (halt.halted) {
      this.stopWith('HALTED', `trading is halted${halt.reason ? ` (${halt.reason})` : ''}: no further analyses or submissions`);
      return false;
    }
    if (this.exchangeBackoff()) return false;
    const prior = await decidedOutcome(this.deps, row.signal_id);
    if (!prior) return true;
    const t = this.deps.clock.now();
    await this.finishMover(row, {
      outcome: prior.status,
      code: prior.code,
      reason: prior.reason,
      analyst: row.analyst,
      signalRowId: prior.rowId,
      direction: prior.direction,
      confidence: prior.confidence,
      replayed: true,
      sessionId: row.session_id,
      turns: row.turns,
      tokens: { input: row.tokens_input, output: row.tokens_output, cacheRead: row.cache_read_tokens, cacheWrite: row.cache_write_tokens },
      costUsd: row.cost_usd,
      durationMs: 0,
      startedAt: t,
      finishedAt: t,
    });
    return false;
  }

  /**
   * No analysis that cannot trade: before paying for one, check that a trade could follow (see
   * trading/entry-check.ts). A full portfolio waits for an analysis in flight to end (its slot may
   * come free); any other block skips the mover with its reason code. On success a slot is claimed.
   */
  private async claimEntry(row: MoverRow): Promise<EntryBlock | null> {
    for (;;) {
      const settled = this.settled.promise;
      const block = await this.checkInOrder(async () => {
        const market = await this.deps.market.resolveSymbol(row.symbol);
        const found = await entryBlock(this.deps, { portfolioId: this.c.portfolio.id, market, price: row.last_price, inFlight: this.claimed });
        if (!found) this.claimed += 1;
        return found;
      });
      if (block?.code !== 'MAX_POSITIONS' || this.claimed === 0) return block;
      await settled;
    }
  }

  private releaseClaim(): void {
    this.claimed -= 1;
    const settled = this.settled;
    this.settled = signalOnce();
    settled.resolve();
  }

  private async mover(row: MoverRow): Promise<void> {
    if (!(await this.mayStart(row))) return;
    let block: EntryBlock | null;
    try {
      block = await this.claimEntry(row);
    } catch (error) {
      if (!isAppError(error)) throw error;
      return this.finishMover(row, skippedUpdate(row, error.code, error.message, this.deps.clock.now()));
    }
    if (block) return this.finishMover(row, skippedUpdate(row, block.code, `not analysed: ${block.message}`, this.deps.clock.now()));
    try {
      const result = await this.analyse(row);
      if (result) await this.finishMover(row, updateFrom(result.analysis, result.startedAt, this.deps.clock.now()));
    } finally {
      this.releaseClaim();
    }
  }

  /** Reserve spend, run the analyst, release the reservation; null when a cap kept it from starting. */
  private async analyse(row: MoverRow): Promise<{ analysis: AnalysisResult; startedAt: number } | null> {
    const { deps, options } = this;
    let reservation: Reservation | null = null;
    if (this.guard) {
      reservation = await this.guard.reserve();
      if (!reservation.ok) {
        this.stopWith(reservation.scope === 'requests' ? 'RATE_LIMITED' : 'BUDGET_EXCEEDED', reservation.message, reservation.until);
        return null;
      }
      if (reservation.warning && !this.warned) {
        this.warned = true;
        this.log.warn('request window past the warning threshold', { message: reservation.warning });
        this.emit({ type: 'rate_warning', message: reservation.warning });
      }
      // The cap may have been reached, or a stop requested, while this reservation waited.
      if (this.stopState || options.stop?.aborted) {
        reservation.release(NO_SPEND);
        return null;
      }
    }
    const startedAt = deps.clock.now();
    this.emit({ type: 'analysis_start', symbol: row.symbol, rank: row.rank, total: this.total, running: this.claimed, done: this.done });
    const analysis = await this.runAnalyst(row, reservation?.ok ? reservation.budgetUsd : deps.config.MAX_BUDGET_USD);
    if (reservation?.ok) reservation.release(analysis.spend);
    if (analysis.outcome === 'skipped' && analysis.code === 'HALTED') this.stopWith('HALTED', analysis.reason);
    if (analysis.outcome === 'error' && analysis.code === 'RATE_LIMITED') this.exchangeBackoff();
    return { analysis, startedAt };
  }

  private async runAnalyst(row: MoverRow, budgetUsd: number): Promise<AnalysisResult> {
    const { analyst } = this.options;
    try {
      return await analyst.analyse({
        kind: 'mover',
        symbol: row.symbol,
        operation: this.options.operation ?? 'scanner',
        signalId: row.signal_id,
        direction: row.change_24h_pct >= 0 ? 'gainer' : 'loser',
        change24hPct: row.change_24h_pct,
        cycleId: this.c.cycleId,
        portfolio: this.c.portfolio.name,
        daily: this.c.daily,
        budgetUsd,
        signal: this.options.abort,
      });
    } catch (error) {
      const ref = randomBytes(3).toString('hex');
      this.log.error('analysis failed unexpectedly', { symbol: row.symbol, ref, error });
      return {
        outcome: 'error',
        code: 'INTERNAL',
        reason: `unexpected failure (ref ${ref})`,
        analyst: analyst.kind,
        spend: analyst.spends ? { ...NO_SPEND, exact: false } : NO_SPEND,
        sessionId: null,
        turns: null,
        durationMs: 0,
        text: '',
        tools: [],
      };
    }
  }

  private async end(status: 'completed' | 'stopped' | 'failed', stopCode: string | null, stopReason: string | null): Promise<void> {
    const { db, clock } = this.deps;
    const finishedAt = clock.now();
    await finishCycle(db, this.c.cycleId, {
      status,
      finishedAt,
      durationMs: Math.round(performance.now() - this.t0),
      // Every position of the portfolio closed while the cycle ran, by whichever evaluation booked it.
      positionsClosed: await countClosedBetween(db, this.c.portfolio.id, this.c.startedAt, finishedAt),
      stopCode,
      stopReason,
      extraErrors: this.extraErrors,
    });
  }

  private async finish(): Promise<CycleResult> {
    const { options } = this;
    const stopped = Boolean(options.stop?.aborted || options.abort?.aborted);
    const end = this.stopState;
    await this.end(stopped ? 'stopped' : 'completed', end?.code ?? (stopped ? 'STOPPED' : null), end?.reason ?? (stopped ? 'stopped on request' : null));
    const report = (await cycleReport(this.deps.db, this.c.cycleId))!;
    return { ...report, replayed: false, resumed: this.c.resumed, pausedUntil: end?.until ? new Date(end.until).toISOString() : null };
  }
}

/** A mover not analysed, with the code saying why (MAX_POSITIONS, COOLDOWN, EXPOSURE_CAP, ...). */
function skippedUpdate(row: MoverRow, code: string, reason: string, at: number): MoverUpdate {
  return {
    outcome: 'skipped',
    code,
    reason,
    analyst: row.analyst,
    signalRowId: null,
    direction: null,
    confidence: null,
    replayed: false,
    sessionId: null,
    turns: null,
    tokens: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
    costUsd: '0',
    durationMs: 0,
    startedAt: at,
    finishedAt: at,
  };
}
