/* Frozen migration: the last known mark of every open position. `mark_price` (decimal string) and
 * `mark_at` (epoch ms) are written whenever the position is marked to market; when the exchange
 * cannot quote a symbol, the position is shown at this mark, flagged stale with its time, instead
 * of failing the whole portfolio. Existing rows start at their entry price, marked when they were
 * last checked. Never edit after release; add a new file. */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('paper_positions').addColumn('mark_price', 'text').execute();
  await db.schema.alterTable('paper_positions').addColumn('mark_at', 'integer').execute();
  await sql`update paper_positions set mark_price = entry_price, mark_at = coalesce(last_evaluated_at, opened_at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('paper_positions').dropColumn('mark_at').execute();
  await db.schema.alterTable('paper_positions').dropColumn('mark_price').execute();
}
