/**
 * Retention of the token history: rows older than TOKEN_HISTORY_DAYS are deleted from
 * `token_usage` (by request time), `token_sessions` (by last activity) and `rate_limit_tracking`
 * (by window start), in one transaction. The runner calls it at start-up and then once per UTC day.
 */
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import { writeTransaction } from '../shared/transaction.js';

export const DAY_MS = 86_400_000;

export interface PurgeResult {
  /** Rows older than this (epoch ms) were deleted. */
  before: number;
  usage: number;
  sessions: number;
  windows: number;
}

export async function purgeTokenHistory(db: Kysely<DB>, now: number, historyDays: number): Promise<PurgeResult> {
  const before = now - historyDays * DAY_MS;
  return writeTransaction(db, async (tx) => {
    const usage = await tx.deleteFrom('token_usage').where('created_at', '<', before).executeTakeFirst();
    const sessions = await tx.deleteFrom('token_sessions').where('last_activity_at', '<', before).executeTakeFirst();
    const windows = await tx.deleteFrom('rate_limit_tracking').where('window_start', '<', before).executeTakeFirst();
    return { before, usage: Number(usage.numDeletedRows), sessions: Number(sessions.numDeletedRows), windows: Number(windows.numDeletedRows) };
  });
}
