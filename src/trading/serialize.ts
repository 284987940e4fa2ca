/**
 * Serialization of the ledger's writers.
 *
 * - `withPortfolioLock`: an in-process async mutex per (database, portfolio) around every
 *   decide-and-fill and every evaluation, so that concurrent tool calls see each other's fills
 *   and the caps hold under load.
 * - `writeTransaction`: one SQLite `BEGIN IMMEDIATE` transaction on a pinned connection for
 *   every fill, close and funding booking: all of it or nothing, and another process writing the
 *   same file waits (busy timeout) instead of interleaving. No network I/O inside it.
 */
import { sql, type Kysely } from 'kysely';
import type { DB } from '../db/schema.js';

const locks = new WeakMap<object, Map<number, Promise<void>>>();

export async function withPortfolioLock<T>(db: Kysely<DB>, portfolioId: number, fn: () => Promise<T>): Promise<T> {
  let perDb = locks.get(db);
  if (!perDb) {
    perDb = new Map();
    locks.set(db, perDb);
  }
  const previous = perDb.get(portfolioId) ?? Promise.resolve();
  let release!: () => void;
  const current = new Promise<void>((resolve) => (release = resolve));
  const tail = previous.then(() => current);
  perDb.set(portfolioId, tail);
  await previous;
  try {
    return await fn();
  } finally {
    release();
    if (perDb.get(portfolioId) === tail) perDb.delete(portfolioId);
  }
}

export async function writeTransaction<T>(db: Kysely<DB>, fn: (tx: Kysely<DB>) => Promise<T>): Promise<T> {
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
