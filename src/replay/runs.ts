/** The index of replays (`replay_runs` in the desk's database): one row per replay, with its report. */
import type { Kysely } from 'kysely';
import type { DB, ReplayRunsTable } from '../db/schema.js';
import { AppError } from '../errors.js';
import type { ReplayReport } from './report.js';

export interface ReplayRunSummary {
  id: string;
  createdAt: string;
  status: ReplayRunsTable['status'];
  analyst: string;
  from: string;
  to: string;
  dbPath: string;
  totalReturnPct: number | null;
  trades: number | null;
  error: string | null;
}

export async function insertRun(
  db: Kysely<DB>,
  row: { id: string; createdAt: number; analyst: string; from: number; to: number; params: Record<string, unknown>; dbPath: string },
): Promise<void> {
  await db
    .insertInto('replay_runs')
    .values({
      id: row.id,
      created_at: row.createdAt,
      status: 'running',
      analyst: row.analyst,
      from_ms: row.from,
      to_ms: row.to,
      params: JSON.stringify(row.params),
      db_path: row.dbPath,
    })
    .execute();
}

export async function finishRun(
  db: Kysely<DB>,
  id: string,
  end: { status: ReplayRunsTable['status']; finishedAt: number; report: ReplayReport | null; error: string | null },
): Promise<void> {
  await db
    .updateTable('replay_runs')
    .set({ status: end.status, finished_at: end.finishedAt, report: end.report ? JSON.stringify(end.report) : null, error: end.error })
    .where('id', '=', id)
    .execute();
}

export async function listRuns(db: Kysely<DB>, limit = 50): Promise<ReplayRunSummary[]> {
  const rows = await db.selectFrom('replay_runs').selectAll().orderBy('created_at', 'desc').limit(limit).execute();
  return rows.map((r) => {
    const report = r.report ? (JSON.parse(r.report) as ReplayReport) : null;
    return {
      id: r.id,
      createdAt: new Date(r.created_at).toISOString(),
      status: r.status,
      analyst: r.analyst,
      from: new Date(r.from_ms).toISOString(),
      to: new Date(r.to_ms).toISOString(),
      dbPath: r.db_path,
      totalReturnPct: report?.performance.totalReturnPct ?? null,
      trades: report?.performance.trades ?? null,
      error: r.error,
    };
  });
}

/** The report of replay `id`, or of the latest finished replay when `id` is absent. */
export async function loadReport(db: Kysely<DB>, id?: string): Promise<ReplayReport> {
  let q = db.selectFrom('replay_runs').select(['id', 'report', 'status']);
  q = id ? q.where('id', '=', id) : q.where('report', 'is not', null).orderBy('created_at', 'desc').limit(1);
  const row = await q.executeTakeFirst();
  if (!row)
    throw new AppError('NOT_FOUND', id ? `No replay ${id}` : 'No finished replay yet', {
      hint: id ? '`cctrader replay list` shows the replays' : 'run `cctrader replay --from ... --to ...`',
    });
  if (!row.report)
    throw new AppError('NOT_FOUND', `Replay ${row.id} has no report (${row.status})`, { hint: 'it is still running, or it failed before its report' });
  return JSON.parse(row.report) as ReplayReport;
}
