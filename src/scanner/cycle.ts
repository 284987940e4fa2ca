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
import { DEFAULT_PORTFOLIO, requirePortfolio } from '../portfolio/portfolios.js';
import type { SignalOutcome } from '../signals/submit.js';
import { evaluateOutcomes } from '../outcomes/evaluate.js';
import { evaluatePortfolio } from '../trading/evaluate.js';
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
  const stamp = new Date(now).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `scan-${stamp}-${randomBytes(2).toString('hex')}`;
}

/** `<cycle id>:<symbol id>`, e.g. `scan-20261120T123456Z-3fa1:SOLUSDT` (at most 64 characters). */
export function signalIdFor(cycleId: string, symbol: string): string {
  const id = (symbol.split(':')[0] ?? symbol).replace(/[^A-Za-z0-9]/g, '').toUpperCase();
  const full = `${cycleId}:${id}`;
  return full.length <= 64 ? full : `${cycleId}:${createHash('sha256').update(symbol).digest('hex').slice(0, 12)}`;
}

/** The decided signal stored under `signalId`, if any (a failed one may be tried again). */
async function storedSignal(deps: Deps, signalId: string): Promise<SubmittedSignal | null> {
  const row = await deps.db.selectFrom('movers_signals').selectAll().where('signal_id', '=', signalId).executeTakeFirst();
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
    return { ...base, outcome: g.status, code: g.code, reason: g.reason, signalRowId: g.rowId, direction: g.direction, confidence: g.confidence, replayed: g.replayed };
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

export async function runCycle(deps: Deps, options: CycleOptions): Promise<CycleResult> {
  const { db, clock, config, log } = deps;
  const { analyst } = options;
  const now = clock.now();
  const t0 = performance.now();
  const cycleId = options.cycleId ?? newCycleId(now);
  if (!CYCLE_ID.test(cycleId)) throw new AppError('INVALID_INPUT', 'A cycle id is 1-40 letters, digits, . _ or -', { hint: 'e.g. scan-20261120T123456Z-3fa1' });
  const existing = await loadCycle(db, cycleId);
  if (existing?.status === 'completed') {
    return { ...(await cycleReport(db, cycleId))!, replayed: true, resumed: false, pausedUntil: null };
  }
  if (existing?.status === 'running' && now - existing.heartbeat_at < STALE_MS) {
    throw new AppError('CONFLICT', `Cycle ${cycleId} is running in another process`, { hint: 'wait for it to finish; an interrupted cycle can be resumed a minute after its process ended' });
  }
  const resumed = existing !== undefined;
  const portfolio = options.portfolio ?? existing?.portfolio ?? DEFAULT_PORTFOLIO;
  await requirePortfolio(deps, portfolio);
  const daily = analyst.spends && (options.daily ?? existing?.daily === 1);
  const params: CycleParams = {
    thresholdPct: options.thresholdPct ?? config.MOVERS_THRESHOLD_PCT,
    maxMovers: options.maxMovers ?? config.MAX_MOVERS,
    minTurnoverUsd: options.minTurnoverUsd ?? config.MIN_TURNOVER_USD,
    concurrency: daily ? 1 : (options.concurrency ?? config.SCAN_CONCURRENCY),
  };
  if (existing) {
    await db.updateTable('scan_cycles').set({ status: 'running', heartbeat_at: now, finished_at: null }).where('id', '=', cycleId).execute();
  } else {
    await insertCycle(db, { id: cycleId, startedAt: now, analyst: analyst.kind, daily, portfolio, params });
  }
  const emit = (event: CycleEvent): void => {
    try {
      options.onEvent?.(event);
    } catch (error) {
      log.warn('cycle event handler failed', { error });
    }
  };
  const clog = log.child({ component: 'scanner', cycle: cycleId });
  emit({ type: 'start', cycleId, resumed, analyst: analyst.kind });

  const timer = setInterval(() => void heartbeat(db, cycleId, clock.now()).catch(() => undefined), HEARTBEAT_MS);
  timer.unref();
  let stopState: { code: string; reason: string; until: number | null } | null = null;
  const stopWith = (code: string, reason: string, until: number | null = null): void => {
    if (stopState) return;
    stopState = { code, reason, until };
    clog.info('no further analyses this cycle', { code, reason });
    emit({ type: 'paused', code, reason, until });
  };
  const extraErrors: Record<string, number> = {};
  let positionsClosed = 0;
  let warned = false;

  try {
    let rows: MoverRow[] = resumed ? await loadMovers(db, cycleId) : [];
    if (rows.length === 0) {
      try {
        const scan = await scanMovers(deps, { limit: params.maxMovers, thresholdPct: params.thresholdPct, minTurnoverUsd: params.minTurnoverUsd, portfolio });
        const scanParams: CycleParams = { ...params, tradable: scan.tradable, held: scan.held };
        await storeScan(
          db,
          cycleId,
          { scanned: scan.scanned, found: scan.found, held: scan.held.length, params: scanParams },
          scan.items.map((mover, i) => ({ mover, rank: i + 1, signalId: signalIdFor(cycleId, mover.symbol) })),
          analyst.kind,
        );
        rows = await loadMovers(db, cycleId);
        emit({ type: 'scanned', scanned: scan.scanned, found: scan.found, held: scan.held.length, total: rows.length });
      } catch (error) {
        if (!isAppError(error)) throw error;
        extraErrors[`scan:${error.code}`] = 1;
        stopWith(error.code, `the scan failed: ${error.message}`);
        emit({ type: 'error', stage: 'scan', code: error.code, message: error.message });
      }
    } else {
      const c = (await loadCycle(db, cycleId))!;
      emit({ type: 'scanned', scanned: c.scanned, found: c.movers_found, held: c.movers_held, total: rows.length });
    }

    const todo = rows.filter((r) => !FINAL_OUTCOMES.includes(r.outcome));
    const guard = analyst.spends ? new SpendGuard(deps, now) : null;
    const total = rows.length;
    let done = rows.length - todo.length;
    let running = 0;

    const finishMover = async (row: MoverRow, update: MoverUpdate): Promise<void> => {
      await updateMover(db, cycleId, row.symbol, update);
      done += 1;
      const fresh = (await loadMovers(db, cycleId)).find((r) => r.symbol === row.symbol)!;
      emit({ type: 'analysis_done', mover: moverReport(fresh), total, running, done });
    };

    await runPool(todo, params.concurrency, async (row) => {
      if (options.stop?.aborted || options.abort?.aborted) stopWith('STOPPED', 'stopped on request: the analyses in flight finished, the rest were not started');
      if (stopState) return;
      const halt = await readHalt(db);
      if (halt.halted) {
        stopWith('HALTED', `trading is halted${halt.reason ? ` (${halt.reason})` : ''}: no further analyses or submissions`);
        return;
      }
      const prior = await storedSignal(deps, row.signal_id);
      if (prior) {
        const t = clock.now();
        await finishMover(row, {
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
        return;
      }
      let reservation: Reservation | null = null;
      if (guard) {
        reservation = await guard.reserve();
        if (!reservation.ok) {
          stopWith(reservation.scope === 'requests' ? 'RATE_LIMITED' : 'BUDGET_EXCEEDED', reservation.message, reservation.until);
          return;
        }
        if (reservation.warning && !warned) {
          warned = true;
          clog.warn('request window past the warning threshold', { message: reservation.warning });
          emit({ type: 'rate_warning', message: reservation.warning });
        }
        // The cap may have been reached, or a stop requested, while this reservation waited.
        if (stopState || options.stop?.aborted) {
          reservation.release(NO_SPEND);
          return;
        }
      }
      const startedAt = clock.now();
      running += 1;
      emit({ type: 'analysis_start', symbol: row.symbol, rank: row.rank, total, running, done });
      let result: AnalysisResult | undefined;
      try {
        result = await analyst.analyse({
          kind: 'mover',
          symbol: row.symbol,
          operation: options.operation ?? 'scanner',
          signalId: row.signal_id,
          direction: row.change_24h_pct >= 0 ? 'gainer' : 'loser',
          change24hPct: row.change_24h_pct,
          cycleId,
          portfolio,
          daily,
          budgetUsd: reservation?.ok ? reservation.budgetUsd : config.MAX_BUDGET_USD,
          signal: options.abort,
        });
      } catch (error) {
        const ref = randomBytes(3).toString('hex');
        clog.error('analysis failed unexpectedly', { symbol: row.symbol, ref, error });
        result = {
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
      } finally {
        running -= 1;
      }
      if (reservation?.ok) reservation.release(result.spend);
      if (result.outcome === 'skipped' && result.code === 'HALTED') stopWith('HALTED', result.reason);
      await finishMover(row, updateFrom(result, startedAt, clock.now()));
    });

    try {
      const evaluation = await evaluatePortfolio(deps, portfolio);
      positionsClosed = evaluation.closed.length;
      emit({ type: 'evaluated', closed: positionsClosed });
    } catch (error) {
      if (!isAppError(error)) throw error;
      extraErrors[`evaluate:${error.code}`] = 1;
      emit({ type: 'error', stage: 'evaluate', code: error.code, message: error.message });
    }
    // Bring the signal scorecard up to date; market faults leave signals pending, never fail the cycle.
    await evaluateOutcomes(deps).catch((error: unknown) => deps.log.warn('signal outcomes not brought up to date', { error }));

    const stopped = Boolean(options.stop?.aborted || options.abort?.aborted);
    const end = stopState as { code: string; reason: string; until: number | null } | null;
    await finishCycle(db, cycleId, {
      status: stopped ? 'stopped' : 'completed',
      finishedAt: clock.now(),
      durationMs: Math.round(performance.now() - t0),
      positionsClosed,
      stopCode: end?.code ?? (stopped ? 'STOPPED' : null),
      stopReason: end?.reason ?? (stopped ? 'stopped on request' : null),
      extraErrors,
    });
    const report = (await cycleReport(db, cycleId))!;
    return { ...report, replayed: false, resumed, pausedUntil: end?.until ? new Date(end.until).toISOString() : null };
  } catch (error) {
    await finishCycle(db, cycleId, {
      status: 'failed',
      finishedAt: clock.now(),
      durationMs: Math.round(performance.now() - t0),
      positionsClosed,
      stopCode: isAppError(error) ? error.code : 'INTERNAL',
      stopReason: 'the cycle failed',
      extraErrors,
    }).catch(() => undefined);
    throw error;
  } finally {
    clearInterval(timer);
  }
}
