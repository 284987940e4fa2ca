/**
 * Serialization of the ledger's writers: an in-process async mutex per (database, portfolio)
 * around every decide-and-fill and every evaluation, so that concurrent tool calls see each
 * other's fills and the caps hold under load. (Each booking is also one write transaction:
 * shared/transaction.ts.)
 */
import type { Kysely } from 'kysely';
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
