/** Recording one LLM call's usage (tokens and dollars) for the usage reports. */
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';

export type LlmProvider = 'anthropic' | 'perplexity';

export interface LlmUsage {
  provider: LlmProvider;
  /** What the call was for, e.g. `sentiment`, `analysis`, `scan`. */
  operationType: string;
  model: string | null;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
  /** USD as a decimal string (never a binary float in the ledger). */
  costUsd: string;
  /** Epoch ms. */
  at: number;
  sessionId?: string | null;
  /** The provider's message or response id: a row per id, recorded once. */
  messageId?: string | null;
  symbol?: string | null;
}

const count = (n: number | undefined) => (Number.isFinite(n) && (n as number) > 0 ? Math.trunc(n as number) : 0);

/** Insert one row into token_usage. A message id already recorded for the provider is ignored
 * (the first record wins), so retries and replays do not double-count. */
export async function recordLlmUsage(db: Kysely<DB>, usage: LlmUsage): Promise<void> {
  if (!/^-?\d+(\.\d+)?$/.test(usage.costUsd)) throw new RangeError(`costUsd must be a decimal string, got ${usage.costUsd}`);
  await db
    .insertInto('token_usage')
    .values({
      provider: usage.provider,
      operation_type: usage.operationType,
      model: usage.model,
      session_id: usage.sessionId ?? null,
      message_id: usage.messageId ?? null,
      symbol: usage.symbol ?? null,
      tokens_input: count(usage.inputTokens),
      tokens_output: count(usage.outputTokens),
      cache_read_tokens: count(usage.cacheReadTokens),
      cache_write_tokens: count(usage.cacheWriteTokens),
      cost_usd: usage.costUsd,
      created_at: usage.at,
    })
    .onConflict((oc) => oc.columns(['provider', 'message_id']).where('message_id', 'is not', null).doNothing())
    .execute();
}
