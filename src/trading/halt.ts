/** The desk-wide halt switch: persisted in the database, checked by the risk manager before
 * every entry, in every process that shares the file. Exits (stops, targets, manual closes)
 * keep working while halted. */
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import type { Deps } from '../deps.js';

export interface HaltState {
  halted: boolean;
  reason: string | null;
  since: string | null;
}

export async function readHalt(db: Kysely<DB>): Promise<HaltState> {
  const row = await db.selectFrom('trading_halt').selectAll().where('id', '=', 1).executeTakeFirst();
  if (!row || !row.halted) return { halted: false, reason: null, since: null };
  return { halted: true, reason: row.reason, since: new Date(row.updated_at).toISOString() };
}

/** Halt or resume. Halting again without a reason keeps the reason the halt in force was given. */
export async function setHalt(deps: Pick<Deps, 'db' | 'clock'>, halted: boolean, reason?: string): Promise<HaltState> {
  const now = deps.clock.now();
  const kept = halted && reason === undefined ? (await readHalt(deps.db)).reason : null;
  const values = { halted: halted ? 1 : 0, reason: halted ? (reason?.slice(0, 200) ?? kept) : null, updated_at: now };
  await deps.db
    .insertInto('trading_halt')
    .values({ id: 1, ...values })
    .onConflict((oc) => oc.column('id').doUpdateSet(values))
    .execute();
  return readHalt(deps.db);
}
