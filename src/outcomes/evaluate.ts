/**
 * Signal outcomes, evaluated incrementally and stored in `signal_outcomes` (one row per signal).
 *
 * For every stored signal (executed, rejected, recorded or failed) the candles after it are walked
 * (outcomes/path.ts) until the take-profit or the stop-loss is reached, or until the horizon
 * (OUTCOME_HORIZON_HOURS after the signal) passes with neither: `expired`, scored at the close of
 * the last candle inside the horizon. Signals whose levels are on the wrong side of the entry are
 * `invalid`; a market the exchange no longer knows, or one with no candles long after the horizon,
 * is `no_data`. Neither counts in the scorecard's rates.
 *
 * Candles are read as the paper engine reads them (trading/triggers.ts): the first candle is the
 * one after the candle containing the signal; the timeframe is the finest whose candles from the
 * last check to now fit in one page (1m up to ~16 h behind, then 5m, 15m, 1h), so a desk that runs
 * its scan cycles reads 1m candles and a backlog is caught up with a few coarse pages.
 *
 * Incremental: a decided row is final and never read again. A pending row stores how far the
 * candles were read (`evaluated_until`) and the best and worst price so far, so the next run asks
 * the exchange only for candles after it. Only signals with at least one new closed candle are
 * picked, least recently evaluated first, `limit` per run; signals on the same market share one
 * candle request (from the earliest candle any of them needs). Each row is written in one statement
 * that only applies if the row is still as this run read it (another process may have advanced it).
 *
 * Never throws for a market fault: the signal stays pending and is tried again on the next run.
 */
import type { Deps } from '../deps.js';
import { isAppError } from '../errors.js';
import { TIMEFRAME_MS, type Candle, type Timeframe } from '../market/types.js';
import { str, toDec, type Dec } from '../shared/money.js';
import { candleTimeframe, candleWindow } from '../trading/triggers.js';
import { excursions, rMultiple, validLevels, walkCandles, type OutcomeLevels, type PathState } from './path.js';

export type OutcomeStatus = 'pending' | 'take_profit' | 'stop_loss' | 'expired' | 'invalid' | 'no_data';

export const HOUR_MS = 3_600_000;
/** A market with no candle at all this long after the horizon is given up as `no_data`. */
export const NO_DATA_GRACE_MS = 24 * HOUR_MS;
export const DEFAULT_OUTCOME_LIMIT = 200;

export interface OutcomeRunOptions {
  /** Most signals evaluated in this run (default 200). */
  limit?: number;
  /** Signals read from the exchange at the same time (default 4). */
  concurrency?: number;
}

export interface OutcomeRun {
  /** Signals looked at (read from the exchange, or decided without reading). */
  evaluated: number;
  /** Of those, decided in this run, by outcome. */
  decided: Partial<Record<Exclude<OutcomeStatus, 'pending'>, number>>;
  /** Candles walked in this run (summed over signals). */
  candlesRead: number;
  /** Candle requests made: one per market and timeframe, shared by its signals. */
  requests: number;
  /** Signals left pending after a market fault (tried again next run). */
  errors: number;
  /** More signals were due than `limit`. */
  hasMore: boolean;
}

interface DueRow {
  id: number;
  created_at: number;
  symbol: string;
  direction: 'long' | 'short';
  entry_price: string;
  stop_loss: string;
  take_profit: string;
  o_status: OutcomeStatus | null;
  horizon_end: number | null;
  evaluated_until: number | null;
  best_price: string | null;
  worst_price: string | null;
  last_close: string | null;
  candles_read: number | null;
}

interface OutcomeWrite {
  status: OutcomeStatus;
  horizon_end: number;
  evaluated_until: number | null;
  timeframe: string | null;
  best_price: string | null;
  worst_price: string | null;
  last_close: string | null;
  mfe_r: number;
  mae_r: number;
  result_r: number | null;
  exit_price: string | null;
  gap: number;
  decided_at: number | null;
  time_to_hit_ms: number | null;
  candles_read: number;
  updated_at: number;
}

/** MFE/MAE in R as stored. */
function excursionColumns(levels: OutcomeLevels, state: PathState): { mfe_r: number; mae_r: number } {
  const { mfeR, maeR } = excursions(levels, state);
  return { mfe_r: mfeR, mae_r: maeR };
}

const decOrNull = (s: string | null): Dec | null => (s === null ? null : toDec(s));
const strOrNull = (d: Dec | null): string | null => (d === null ? null : str(d));

export async function evaluateOutcomes(deps: Deps, options: OutcomeRunOptions = {}): Promise<OutcomeRun> {
  const now = deps.clock.now();
  const limit = Math.max(1, Math.trunc(options.limit ?? DEFAULT_OUTCOME_LIMIT));
  const rows = (await deps.db
    .selectFrom('movers_signals as s')
    .leftJoin('signal_outcomes as o', 'o.signal_row_id', 's.id')
    .select([
      's.id',
      's.created_at',
      's.symbol',
      's.direction',
      's.entry_price',
      's.stop_loss',
      's.take_profit',
      'o.status as o_status',
      'o.horizon_end',
      'o.evaluated_until',
      'o.best_price',
      'o.worst_price',
      'o.last_close',
      'o.candles_read',
    ])
    .where((eb) => eb.or([eb('o.status', 'is', null), eb('o.status', '=', 'pending')]))
    // At least one 1m candle after the last check can have closed.
    .where((eb) => eb(eb.fn.coalesce('o.evaluated_until', 's.created_at'), '<=', now - TIMEFRAME_MS['1m']))
    .orderBy((eb) => eb.fn.coalesce('o.updated_at', eb.val(0)))
    .orderBy('s.id')
    .limit(limit + 1)
    .execute()) as DueRow[];

  const run: OutcomeRun = { evaluated: 0, decided: {}, candlesRead: 0, requests: 0, errors: 0, hasMore: rows.length > limit };
  // Signals on the same market and timeframe share one read, from the earliest candle any of them needs.
  const groups = new Map<string, Plan[]>();
  for (const row of rows.slice(0, limit)) {
    const plan = planFor(deps, row, now);
    if (plan === null) continue;
    if (plan.tf === null) {
      run.evaluated++;
      await write(deps, row, { ...plan.base, status: 'invalid', decided_at: now });
      bump(run, 'invalid');
      continue;
    }
    const key = `${row.symbol}\u0000${plan.tf}`;
    let list = groups.get(key);
    if (!list) groups.set(key, (list = []));
    list.push(plan);
  }

  const queue = [...groups.values()];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < queue.length) await readGroup(deps, queue[next++]!, now, run);
  };
  const width = Math.max(1, Math.min(Math.trunc(options.concurrency ?? 4) || 1, queue.length));
  await Promise.all(Array.from({ length: width }, worker));
  return run;
}

interface Plan {
  row: DueRow;
  levels: OutcomeLevels;
  horizonEnd: number;
  previous: PathState;
  base: Omit<OutcomeWrite, 'status'>;
  lastEval: number;
  /** Null: the levels cannot be scored (no read needed). */
  tf: Timeframe | null;
  from: number;
}

/** What reading one signal needs; null when no candle after its last check has closed yet. */
function planFor(deps: Deps, row: DueRow, now: number): Plan | null {
  const levels: OutcomeLevels = {
    direction: row.direction,
    entry: toDec(row.entry_price),
    stop: toDec(row.stop_loss),
    target: toDec(row.take_profit),
  };
  const horizonEnd = row.horizon_end ?? row.created_at + deps.config.OUTCOME_HORIZON_HOURS * HOUR_MS;
  const previous: PathState = {
    best: decOrNull(row.best_price),
    worst: decOrNull(row.worst_price),
    lastClose: decOrNull(row.last_close),
  };
  const base: Omit<OutcomeWrite, 'status'> = {
    horizon_end: horizonEnd,
    evaluated_until: row.evaluated_until,
    timeframe: null,
    best_price: row.best_price,
    worst_price: row.worst_price,
    last_close: row.last_close,
    ...excursionColumns(levels, previous),
    result_r: null,
    exit_price: null,
    gap: 0,
    decided_at: null,
    time_to_hit_ms: null,
    candles_read: row.candles_read ?? 0,
    updated_at: now,
  };
  const lastEval = row.evaluated_until ?? row.created_at;
  if (!validLevels(levels)) return { row, levels, horizonEnd, previous, base, lastEval, tf: null, from: lastEval };
  const tf = candleTimeframe(now - lastEval);
  const window = candleWindow(row.created_at, lastEval, now, tf);
  if (!window) return null;
  return { row, levels, horizonEnd, previous, base, lastEval, tf, from: window.from };
}

/** One candle read for a group of signals, then each signal settled from it. */
async function readGroup(deps: Deps, plans: Plan[], now: number, run: OutcomeRun): Promise<void> {
  const { symbol } = plans[0]!.row;
  const tf = plans[0]!.tf!;
  let candles: Candle[];
  try {
    run.requests++;
    candles = (await deps.market.candlesSince(symbol, tf, Math.min(...plans.map((p) => p.from)))).candles;
  } catch (error) {
    if (!isAppError(error)) throw error;
    for (const plan of plans) {
      if (error.code === 'NOT_FOUND' && now >= plan.horizonEnd) {
        run.evaluated++;
        await write(deps, plan.row, { ...plan.base, status: 'no_data', decided_at: now });
        bump(run, 'no_data');
      } else run.errors++;
    }
    deps.log.warn('signal outcomes: candles unavailable', { symbol, code: error.code, signals: plans.length });
    return;
  }
  for (const plan of plans) {
    run.evaluated++;
    await settle(deps, plan, candles, now, run);
  }
}

async function settle(deps: Deps, plan: Plan, candles: readonly Candle[], now: number, run: OutcomeRun): Promise<void> {
  const { row, levels, horizonEnd, lastEval } = plan;
  const tf = plan.tf!;
  const step = TIMEFRAME_MS[tf];
  const closed = candles.filter((c) => c.time >= plan.from && c.time + step <= now);
  const inside = closed.filter((c) => c.time < horizonEnd);
  const walk = walkCandles(levels, plan.previous, inside);
  run.candlesRead += walk.read;
  const state = walk.state;
  const progress = {
    ...plan.base,
    ...excursionColumns(levels, state),
    timeframe: tf,
    best_price: strOrNull(state.best),
    worst_price: strOrNull(state.worst),
    last_close: strOrNull(state.lastClose),
    candles_read: plan.base.candles_read + walk.read,
  };

  if (walk.decision) {
    const d = walk.decision;
    await write(deps, row, {
      ...progress,
      status: d.reason,
      evaluated_until: d.at + step,
      result_r: rMultiple(levels, d.exit),
      exit_price: str(d.exit),
      gap: d.gap ? 1 : 0,
      decided_at: d.at,
      time_to_hit_ms: Math.max(0, d.at - row.created_at),
    });
    bump(run, d.reason);
    return;
  }

  let evaluatedUntil = lastEval;
  const lastInside = inside.at(-1);
  if (lastInside) evaluatedUntil = Math.max(evaluatedUntil, lastInside.time + step);
  // A closed candle beyond the horizon: the exchange has everything up to it.
  if (closed.some((c) => c.time >= horizonEnd)) evaluatedUntil = Math.max(evaluatedUntil, horizonEnd);

  if (evaluatedUntil >= horizonEnd || now >= horizonEnd + NO_DATA_GRACE_MS) {
    if (state.lastClose === null) {
      await write(deps, row, { ...progress, status: 'no_data', evaluated_until: evaluatedUntil, decided_at: now });
      bump(run, 'no_data');
      return;
    }
    await write(deps, row, {
      ...progress,
      status: 'expired',
      evaluated_until: evaluatedUntil,
      result_r: rMultiple(levels, state.lastClose),
      exit_price: str(state.lastClose),
      decided_at: Math.min(horizonEnd, evaluatedUntil),
    });
    bump(run, 'expired');
    return;
  }
  await write(deps, row, { ...progress, status: 'pending', evaluated_until: evaluatedUntil });
}

function bump(run: OutcomeRun, status: Exclude<OutcomeStatus, 'pending'>): void {
  run.decided[status] = (run.decided[status] ?? 0) + 1;
}

/** Insert the first row, or advance a pending row only if it is still as this run read it. */
async function write(deps: Deps, row: DueRow, values: OutcomeWrite): Promise<void> {
  if (row.o_status === null) {
    await deps.db
      .insertInto('signal_outcomes')
      .values({ signal_row_id: row.id, ...values })
      .onConflict((oc) => oc.column('signal_row_id').doNothing())
      .execute();
    return;
  }
  await deps.db
    .updateTable('signal_outcomes')
    .set(values)
    .where('signal_row_id', '=', row.id)
    .where('status', '=', 'pending')
    .where('evaluated_until', row.evaluated_until === null ? 'is' : '=', row.evaluated_until)
    .execute();
}
