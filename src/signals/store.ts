/**
 * The store of signals (`movers_signals`): the only module that writes the table. Every signal is
 * kept with its decision (executed, rejected, recorded) or as failed (a market error; the same
 * signal_id may be tried again).
 */
import type { Insertable, Kysely, Selectable } from 'kysely';
import type { DB, MoversSignalsTable } from '../db/schema.js';

export type SignalRow = Selectable<MoversSignalsTable>;
type SignalValues = Insertable<MoversSignalsTable>;

export async function storedSignal(db: Kysely<DB>, signalId: string): Promise<SignalRow | undefined> {
  return db.selectFrom('movers_signals').selectAll().where('signal_id', '=', signalId).executeTakeFirst();
}

/** Store a decided signal (taking over the row of an earlier failed try of its signal_id); its row id. */
export async function storeDecidedSignal(tx: Kysely<DB>, signalId: string | null, values: SignalValues): Promise<number> {
  const failed = signalId
    ? await tx.selectFrom('movers_signals').select('id').where('signal_id', '=', signalId).where('status', '=', 'failed').executeTakeFirst()
    : undefined;
  if (failed) {
    await tx.updateTable('movers_signals').set(values).where('id', '=', failed.id).execute();
    return failed.id;
  }
  return (await tx.insertInto('movers_signals').values(values).returning('id').executeTakeFirstOrThrow()).id;
}

/** The decision as answered (JSON) and the position it opened. */
export async function completeSignal(tx: Kysely<DB>, id: number, outcome: unknown, positionId: number | null): Promise<void> {
  await tx
    .updateTable('movers_signals')
    .set({ decision: JSON.stringify(outcome), position_id: positionId })
    .where('id', '=', id)
    .execute();
}

/** A signal whose market failed: kept as failed, never over a decided one. */
export async function storeFailedSignal(db: Kysely<DB>, values: SignalValues & { status: 'failed'; reason_code: string }): Promise<void> {
  await db
    .insertInto('movers_signals')
    .values(values)
    .onConflict((oc) =>
      oc.column('signal_id').doUpdateSet({ reason_code: values.reason_code, created_at: values.created_at }).where('movers_signals.status', '=', 'failed'),
    )
    .execute();
}

/** The decided signals among `signalIds` (a cycle's movers whose process died after their fill). */
export async function decidedSignals(db: Kysely<DB>, signalIds: readonly string[]): Promise<SignalRow[]> {
  if (signalIds.length === 0) return [];
  return db
    .selectFrom('movers_signals')
    .selectAll()
    .where('signal_id', 'in', [...signalIds])
    .where('status', '!=', 'failed')
    .where('decision', 'is not', null)
    .execute();
}

/** The latest rejections of a portfolio, newest first. */
export async function recentRejections(
  db: Kysely<DB>,
  portfolioId: number,
  limit: number,
): Promise<Array<Pick<SignalRow, 'id' | 'created_at' | 'symbol' | 'reason_code'>>> {
  return db
    .selectFrom('movers_signals')
    .select(['id', 'created_at', 'symbol', 'reason_code'])
    .where('portfolio_id', '=', portfolioId)
    .where('status', '=', 'rejected')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

/** The status of each signal of a portfolio made since `from`. */
export async function signalStatuses(db: Kysely<DB>, portfolioId: number, from: number): Promise<Array<Pick<SignalRow, 'status'>>> {
  return db.selectFrom('movers_signals').select(['status']).where('portfolio_id', '=', portfolioId).where('created_at', '>=', from).execute();
}
