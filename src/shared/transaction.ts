/**
 * One SQLite `BEGIN IMMEDIATE` transaction on a pinned connection: every fill, close, funding
 * booking and multi-row bookkeeping is all of it or nothing, and another process writing the same
 * file waits (busy timeout) instead of interleaving. No network I/O inside it.
 */
import { sql, type Kysely } from 'kysely';

export async function writeTransaction<D, T>(db: Kysely<D>, fn: (tx: Kysely<D>) => Promise<T>): Promise<T> {
  return db.connection().execute(async (conn) => {
    await sql`begin immediate`.execute(conn);
    try {
      const result = await fn(conn);
      await sql`commit`.execute(conn);
      return result;
    } catch (error) {
      // SQLite may already have rolled back (e.g. after SQLITE_FULL); the original error matters.
      await sql`rollback`.execute(conn).catch(() => undefined);
      throw error;
    }
  });
}
