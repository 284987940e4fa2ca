/**
 * The scanner's bookkeeping in `scan_cycles` and `scan_cycle_movers`: a cycle row when the cycle
 * starts (status running, renewed heartbeat), one row per mover when the scan is done (outcome
 * pending), each mover's row when its analysis ends, and the cycle's metrics, computed from its
 * mover rows, in one transaction when it ends.
 */
import type { Kysely, Selectable } from 'kysely';
import type { DB, ScanCycleMoversTable, ScanCyclesTable } from '../db/schema.js';
import type { Mover } from '../market/movers.js';
import { Dec, toDec } from '../shared/money.js';
import { decidedSignals } from '../signals/store.js';
import { writeTransaction } from '../shared/transaction.js';

export type CycleRow = Selectable<ScanCyclesTable>;
export type MoverRow = Selectable<ScanCycleMoversTable>;
export type MoverOutcome = MoverRow['outcome'];
export type CycleStatus = CycleRow['status'];

/** Outcomes that end a mover's part in the cycle; `pending` and `skipped` may be taken up again when an interrupted cycle resumes. */
export const FINAL_OUTCOMES: readonly MoverOutcome[] = ['executed', 'rejected', 'recorded', 'no_signal', 'error'];

export interface CycleParams {
  thresholdPct: number;
  maxMovers: number;
  minTurnoverUsd: number;
  concurrency: number;
  /** Markets that passed the tradable filter. */
  tradable?: number;
  /** Movers set aside because the portfolio holds them or is cooling down on them. */
  held?: Array<{ symbol: string; reason: string }>;
}

export async function loadCycle(db: Kysely<DB>, id: string): Promise<CycleRow | undefined> {
  return db.selectFrom('scan_cycles').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function loadMovers(db: Kysely<DB>, cycleId: string): Promise<MoverRow[]> {
  return db.selectFrom('scan_cycle_movers').selectAll().where('cycle_id', '=', cycleId).orderBy('rank').execute();
}

export async function insertCycle(
  db: Kysely<DB>,
  row: { id: string; startedAt: number; analyst: string; daily: boolean; portfolio: string; params: CycleParams },
): Promise<void> {
  await db
    .insertInto('scan_cycles')
    .values({
      id: row.id,
      started_at: row.startedAt,
      heartbeat_at: row.startedAt,
      status: 'running',
      analyst: row.analyst,
      daily: row.daily ? 1 : 0,
      portfolio: row.portfolio,
      params: JSON.stringify(row.params),
    })
    .execute();
}

/** The scan's result: counts on the cycle, and a pending row per mover (one transaction). */
export async function storeScan(
  db: Kysely<DB>,
  cycleId: string,
  scan: { scanned: number; found: number; held: number; params: CycleParams },
  movers: ReadonlyArray<{ mover: Mover; rank: number; signalId: string }>,
  analyst: string,
): Promise<void> {
  await writeTransaction(db, async (tx) => {
    await tx
      .updateTable('scan_cycles')
      .set({ scanned: scan.scanned, movers_found: scan.found, movers_held: scan.held, params: JSON.stringify(scan.params) })
      .where('id', '=', cycleId)
      .execute();
    for (const { mover, rank, signalId } of movers) {
      await tx
        .insertInto('scan_cycle_movers')
        .values({
          cycle_id: cycleId,
          symbol: mover.symbol,
          rank,
          change_24h_pct: mover.change24hPct,
          last_price: mover.last,
          turnover_24h_usd: mover.turnover24hUsd,
          outcome: 'pending',
          analyst,
          signal_id: signalId,
        })
        .onConflict((oc) => oc.columns(['cycle_id', 'symbol']).doNothing())
        .execute();
    }
  });
}

export interface MoverUpdate {
  outcome: MoverOutcome;
  code: string | null;
  reason: string | null;
  analyst: string;
  signalRowId: number | null;
  direction: 'long' | 'short' | null;
  confidence: number | null;
  replayed: boolean;
  sessionId: string | null;
  turns: number | null;
  tokens: { input: number; output: number; cacheRead: number; cacheWrite: number };
  costUsd: string;
  durationMs: number | null;
  startedAt: number | null;
  finishedAt: number | null;
}

export async function updateMover(db: Kysely<DB>, cycleId: string, symbol: string, u: MoverUpdate): Promise<void> {
  await db
    .updateTable('scan_cycle_movers')
    .set({
      outcome: u.outcome,
      code: u.code,
      reason: u.reason === null ? null : u.reason.slice(0, 2000),
      analyst: u.analyst,
      signal_row_id: u.signalRowId,
      direction: u.direction,
      confidence: u.confidence === null || !Number.isFinite(u.confidence) ? null : Math.round(u.confidence),
      replayed: u.replayed ? 1 : 0,
      session_id: u.sessionId,
      turns: u.turns,
      tokens_input: u.tokens.input,
      tokens_output: u.tokens.output,
      cache_read_tokens: u.tokens.cacheRead,
      cache_write_tokens: u.tokens.cacheWrite,
      cost_usd: u.costUsd,
      duration_ms: u.durationMs,
      started_at: u.startedAt,
      finished_at: u.finishedAt,
    })
    .where('cycle_id', '=', cycleId)
    .where('symbol', '=', symbol)
    .execute();
}

/** An interrupted cycle taken up again: running, with a fresh heartbeat. */
export async function reopenCycle(db: Kysely<DB>, cycleId: string, now: number): Promise<void> {
  await db.updateTable('scan_cycles').set({ status: 'running', heartbeat_at: now, finished_at: null }).where('id', '=', cycleId).execute();
}

export async function heartbeat(db: Kysely<DB>, cycleId: string, now: number): Promise<void> {
  await db.updateTable('scan_cycles').set({ heartbeat_at: now }).where('id', '=', cycleId).where('status', '=', 'running').execute();
}

export interface CycleEnd {
  status: Exclude<CycleStatus, 'running'>;
  finishedAt: number;
  durationMs: number;
  positionsClosed: number;
  stopCode: string | null;
  stopReason: string | null;
  /** Failures outside the movers (the scan, the position evaluation), counted under their own key. */
  extraErrors: Record<string, number>;
}

const bump = (map: Record<string, number>, key: string): void => {
  map[key] = (map[key] ?? 0) + 1;
};

/**
 * A mover whose signal was decided before its process died (the fill committed, the mover's row
 * not yet updated) takes the stored outcome, so that the cycle counts every signal it traded.
 */
async function takeDecidedSignals(tx: Kysely<DB>, cycleId: string): Promise<void> {
  const pending = await tx
    .selectFrom('scan_cycle_movers')
    .select(['symbol', 'signal_id'])
    .where('cycle_id', '=', cycleId)
    .where('outcome', '=', 'pending')
    .execute();
  const bySignal = new Map(pending.map((m) => [m.signal_id, m.symbol]));
  for (const d of await decidedSignals(tx, [...bySignal.keys()])) {
    await tx
      .updateTable('scan_cycle_movers')
      .set({
        outcome: d.status as MoverOutcome,
        code: d.reason_code,
        reason: d.reason,
        signal_row_id: d.id,
        direction: d.direction,
        confidence: d.confidence,
        replayed: 1,
      })
      .where('cycle_id', '=', cycleId)
      .where('symbol', '=', bySignal.get(d.signal_id!)!)
      .execute();
  }
}

/** The cycle's counts, codes, tokens and cost, from its mover rows. */
function metricsOf(rows: readonly MoverRow[], extraErrors: Record<string, number>) {
  const count = (o: MoverOutcome): number => rows.filter((r) => r.outcome === o).length;
  const rejectedByCode: Record<string, number> = {};
  const errorsByCode: Record<string, number> = { ...extraErrors };
  let cost = new Dec(0);
  const tokens = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };
  for (const r of rows) {
    if (r.outcome === 'rejected') bump(rejectedByCode, r.code ?? 'UNKNOWN');
    if (r.outcome === 'error') bump(errorsByCode, r.code ?? 'INTERNAL');
    cost = cost.plus(toDec(r.cost_usd));
    tokens.input += r.tokens_input;
    tokens.output += r.tokens_output;
    tokens.cacheRead += r.cache_read_tokens;
    tokens.cacheWrite += r.cache_write_tokens;
  }
  const [executed, rejected, recorded, noSignal, errors] = (['executed', 'rejected', 'recorded', 'no_signal', 'error'] as const).map(count) as [
    number,
    number,
    number,
    number,
    number,
  ];
  return {
    analysed: executed + rejected + recorded + noSignal + errors,
    signals: executed + rejected + recorded,
    executed,
    rejected,
    recorded,
    no_signal: noSignal,
    errors,
    skipped: count('skipped'),
    rejected_by_code: JSON.stringify(rejectedByCode),
    errors_by_code: JSON.stringify(errorsByCode),
    tokens_input: tokens.input,
    tokens_output: tokens.output,
    cache_read_tokens: tokens.cacheRead,
    cache_write_tokens: tokens.cacheWrite,
    cost_usd: cost.toDecimalPlaces(10).toFixed(),
  };
}

/** The cycle's metrics from its mover rows, written in one transaction with its final status. */
export async function finishCycle(db: Kysely<DB>, cycleId: string, end: CycleEnd): Promise<void> {
  await writeTransaction(db, async (tx) => {
    await takeDecidedSignals(tx, cycleId);
    // Movers never taken up (the cycle stopped first) count as skipped.
    await tx
      .updateTable('scan_cycle_movers')
      .set({ outcome: 'skipped', code: end.stopCode ?? 'STOPPED', reason: end.stopReason ?? 'the cycle ended before this analysis started' })
      .where('cycle_id', '=', cycleId)
      .where('outcome', '=', 'pending')
      .execute();
    const rows = await tx.selectFrom('scan_cycle_movers').selectAll().where('cycle_id', '=', cycleId).execute();
    await tx
      .updateTable('scan_cycles')
      .set({
        status: end.status,
        finished_at: end.finishedAt,
        heartbeat_at: end.finishedAt,
        duration_ms: end.durationMs,
        ...metricsOf(rows, end.extraErrors),
        positions_closed: end.positionsClosed,
        stop_code: end.stopCode,
        stop_reason: end.stopReason,
      })
      .where('id', '=', cycleId)
      .execute();
  });
}

/** The cycles left `running` whose heartbeat is older than `staleMs` (their process is gone), newest first. */
export async function findInterruptedCycles(db: Kysely<DB>, now: number, staleMs: number): Promise<CycleRow[]> {
  return db
    .selectFrom('scan_cycles')
    .selectAll()
    .where('status', '=', 'running')
    .where('heartbeat_at', '<', now - staleMs)
    .orderBy('started_at', 'desc')
    .execute();
}

/** An interrupted cycle too old to resume is closed as failed, its metrics computed from what it recorded. */
export async function abandonCycle(db: Kysely<DB>, row: CycleRow, now: number): Promise<void> {
  await finishCycle(db, row.id, {
    status: 'failed',
    finishedAt: now,
    durationMs: Math.max(0, row.heartbeat_at - row.started_at),
    positionsClosed: 0,
    stopCode: 'INTERRUPTED',
    stopReason: 'the process running the cycle ended before it finished',
    extraErrors: {},
  });
}

// ---- Reports -------------------------------------------------------------------------------

export interface MoverReport {
  rank: number;
  symbol: string;
  direction: 'gainer' | 'loser';
  change24hPct: number;
  last: number;
  turnover24hUsd: number;
  outcome: MoverOutcome;
  code: string | null;
  reason: string | null;
  analyst: string;
  signalId: string;
  signal: { rowId: number; direction: 'long' | 'short' | null; confidence: number | null } | null;
  replayed: boolean;
  sessionId: string | null;
  tokens: { input: number; output: number; cacheRead: number; cacheWrite: number };
  costUsd: number;
  durationMs: number | null;
}

export interface CycleReport {
  cycleId: string;
  status: CycleStatus;
  analyst: string;
  daily: boolean;
  portfolio: string;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  params: CycleParams;
  scanned: number;
  moversFound: number;
  moversHeld: number;
  analysed: number;
  signals: number;
  executed: number;
  rejected: number;
  recorded: number;
  noSignal: number;
  errors: number;
  skipped: number;
  rejectedByCode: Record<string, number>;
  errorsByCode: Record<string, number>;
  positionsClosed: number;
  tokens: { input: number; output: number; cacheRead: number; cacheWrite: number };
  costUsd: number;
  /** Why the cycle stopped starting analyses, when it did. */
  stop: { code: string; reason: string | null } | null;
  movers: MoverReport[];
}

function parseJson<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function moverReport(r: MoverRow): MoverReport {
  return {
    rank: r.rank,
    symbol: r.symbol,
    direction: r.change_24h_pct >= 0 ? 'gainer' : 'loser',
    change24hPct: r.change_24h_pct,
    last: r.last_price,
    turnover24hUsd: r.turnover_24h_usd,
    outcome: r.outcome,
    code: r.code,
    reason: r.reason,
    analyst: r.analyst,
    signalId: r.signal_id,
    signal: r.signal_row_id === null ? null : { rowId: r.signal_row_id, direction: r.direction, confidence: r.confidence },
    replayed: r.replayed === 1,
    sessionId: r.session_id,
    tokens: { input: r.tokens_input, output: r.tokens_output, cacheRead: r.cache_read_tokens, cacheWrite: r.cache_write_tokens },
    costUsd: toDec(r.cost_usd).toDecimalPlaces(6).toNumber(),
    durationMs: r.duration_ms,
  };
}

export async function cycleReport(db: Kysely<DB>, cycleId: string): Promise<CycleReport | undefined> {
  const c = await loadCycle(db, cycleId);
  if (!c) return undefined;
  const movers = await loadMovers(db, cycleId);
  return {
    cycleId: c.id,
    status: c.status,
    analyst: c.analyst,
    daily: c.daily === 1,
    portfolio: c.portfolio,
    startedAt: iso(c.started_at)!,
    finishedAt: iso(c.finished_at),
    durationMs: c.duration_ms,
    params: parseJson<CycleParams>(c.params, { thresholdPct: 0, maxMovers: 0, minTurnoverUsd: 0, concurrency: 1 }),
    scanned: c.scanned,
    moversFound: c.movers_found,
    moversHeld: c.movers_held,
    analysed: c.analysed,
    signals: c.signals,
    executed: c.executed,
    rejected: c.rejected,
    recorded: c.recorded,
    noSignal: c.no_signal,
    errors: c.errors,
    skipped: c.skipped,
    rejectedByCode: parseJson(c.rejected_by_code, {}),
    errorsByCode: parseJson(c.errors_by_code, {}),
    positionsClosed: c.positions_closed,
    tokens: { input: c.tokens_input, output: c.tokens_output, cacheRead: c.cache_read_tokens, cacheWrite: c.cache_write_tokens },
    costUsd: toDec(c.cost_usd).toDecimalPlaces(6).toNumber(),
    stop: c.stop_code === null ? null : { code: c.stop_code, reason: c.stop_reason },
    movers: movers.map(moverReport),
  };
}

/** The report of the scan cycle started last (running, finished or stopped), if any. */
export async function latestCycleReport(db: Kysely<DB>): Promise<CycleReport | undefined> {
  const last = await db.selectFrom('scan_cycles').select('id').orderBy('started_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
  return last ? cycleReport(db, last.id) : undefined;
}
