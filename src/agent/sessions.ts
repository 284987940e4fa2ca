/**
 * Daily agent sessions (the original's `--daily` mode): one conversation per operation per UTC
 * trading day, so every analysis of the day sees the earlier ones.
 *
 * Scheme: one `agent_sessions` row per operation and day. `operation_type` holds the day key
 * (`scanner-2026-11-23`, the original's name), `session_id` the SDK session UUID, `metadata` JSON
 * `{ operation, day, uses, runs, totalCostUsd }`. The day's first analysis inserts the row and
 * starts the session (mode `new` with that UUID); every later one, in this process or another,
 * finds the row and resumes. A new UTC day has a new key, hence a new session; earlier days' rows
 * stay, so a day's conversation can be found again for review.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import type { Clock } from '../shared/clock.js';
import type { AgentOperation, AgentRunResult, AgentSessionRequest } from './types.js';

export interface DailySession {
  /** `scanner-YYYY-MM-DD` (UTC). */
  key: string;
  sessionId: string;
  /** False for the day's first analysis (start the session), true afterwards (resume it). */
  resume: boolean;
  createdAt: number;
}

export interface DailySessionMetadata {
  operation: AgentOperation;
  day: string;
  /** Analyses that asked for the session. */
  uses: number;
  /** Analyses whose result was recorded. */
  runs: number;
  /** The SDK's cumulative cost of the session after the last recorded run, USD. */
  totalCostUsd: number;
}

export function utcDay(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}

export function dailySessionKey(operation: AgentOperation, epochMs: number): string {
  return `${operation}-${utcDay(epochMs)}`;
}

function parseMetadata(raw: string | null, operation: AgentOperation, day: string): DailySessionMetadata {
  const fallback: DailySessionMetadata = { operation, day, uses: 0, runs: 0, totalCostUsd: 0 };
  if (!raw) return fallback;
  try {
    const m = JSON.parse(raw) as Partial<DailySessionMetadata>;
    return {
      operation,
      day,
      uses: Number.isFinite(m.uses) ? Number(m.uses) : 0,
      runs: Number.isFinite(m.runs) ? Number(m.runs) : 0,
      totalCostUsd: Number.isFinite(m.totalCostUsd) ? Number(m.totalCostUsd) : 0,
    };
  } catch {
    return fallback;
  }
}

/**
 * The session of today (UTC) for `operation`: created by the first call of the day, returned with
 * `resume: true` by every later call, across processes. Records the use (`last_used_at`, `uses`).
 * Two processes racing on the first call agree on one session: the row is inserted only if absent.
 */
export async function getOrCreateDailySession(db: Kysely<DB>, operation: AgentOperation, clock: Clock): Promise<DailySession> {
  const now = clock.now();
  const day = utcDay(now);
  const key = dailySessionKey(operation, now);
  return db.transaction().execute(async (trx) => {
    const fresh = randomUUID();
    await trx
      .insertInto('agent_sessions')
      .values({
        operation_type: key,
        session_id: fresh,
        created_at: now,
        last_used_at: now,
        metadata: JSON.stringify({ operation, day, uses: 0, runs: 0, totalCostUsd: 0 }),
      })
      .onConflict((oc) => oc.column('operation_type').doNothing())
      .execute();
    const row = await trx.selectFrom('agent_sessions').selectAll().where('operation_type', '=', key).executeTakeFirstOrThrow();
    const meta = parseMetadata(row.metadata, operation, day);
    // The day's first analysis is the one whose row this was; so is every use before a run finished.
    const resume = meta.uses > 0;
    await trx
      .updateTable('agent_sessions')
      .set({ last_used_at: now, metadata: JSON.stringify({ ...meta, uses: meta.uses + 1 }) })
      .where('operation_type', '=', key)
      .execute();
    return { key, sessionId: row.session_id, resume, createdAt: row.created_at };
  });
}

/** The session request of one analysis: today's shared session in daily mode, else a fresh one. */
export async function sessionForAnalysis(db: Kysely<DB>, operation: AgentOperation, clock: Clock, daily: boolean): Promise<AgentSessionRequest> {
  if (!daily) return { mode: 'new' };
  const s = await getOrCreateDailySession(db, operation, clock);
  return s.resume ? { mode: 'resume', sessionId: s.sessionId } : { mode: 'new', sessionId: s.sessionId };
}

/** After a daily-session run: count it and keep the SDK's cumulative cost, so the next run's own
 * cost can be told apart when the SDK does not report it (`runCostUsd` null). */
export async function recordDailySessionRun(
  db: Kysely<DB>,
  key: string,
  result: Pick<AgentRunResult, 'totalCostUsd' | 'usageExact'>,
  clock: Clock,
): Promise<void> {
  const now = clock.now();
  await db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('agent_sessions').selectAll().where('operation_type', '=', key).executeTakeFirst();
    if (!row) return;
    const [operation, ...rest] = key.split('-');
    const meta = parseMetadata(row.metadata, operation as AgentOperation, rest.join('-'));
    const totalCostUsd = result.usageExact ? Math.max(meta.totalCostUsd, result.totalCostUsd) : meta.totalCostUsd;
    await trx
      .updateTable('agent_sessions')
      .set({ last_used_at: now, metadata: JSON.stringify({ ...meta, runs: meta.runs + 1, totalCostUsd }) })
      .where('operation_type', '=', key)
      .execute();
  });
}

export interface StoredDailySession extends DailySessionMetadata {
  key: string;
  sessionId: string;
  createdAt: number;
  lastUsedAt: number;
}

/** The daily sessions on record, newest first. */
export async function listDailySessions(db: Kysely<DB>, limit = 30): Promise<StoredDailySession[]> {
  const rows = await db.selectFrom('agent_sessions').selectAll().orderBy('created_at', 'desc').limit(limit).execute();
  const out: StoredDailySession[] = [];
  for (const row of rows) {
    const m = /^(scanner|analysis|monitor)-(\d{4}-\d{2}-\d{2})$/.exec(row.operation_type);
    if (!m) continue;
    const meta = parseMetadata(row.metadata, m[1] as AgentOperation, m[2] as string);
    out.push({ ...meta, key: row.operation_type, sessionId: row.session_id, createdAt: row.created_at, lastUsedAt: row.last_used_at });
  }
  return out;
}
