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
  /** Model requests the row stands for (default 1). */
  requestCount?: number;
  /** Our estimate at the configured prices (default: costUsd). */
  estimatedCostUsd?: string;
  /** The provider SDK's own cost of the row, when it reported one. */
  sdkCostUsd?: string | null;
  runId?: string | null;
  cycleId?: string | null;
  signalId?: string | null;
  signalRowId?: number | null;
}

const DECIMAL = /^-?\d+(\.\d+)?$/;

const count = (n: number | undefined) => (Number.isFinite(n) && (n as number) > 0 ? Math.trunc(n as number) : 0);

/** Insert one row into token_usage. A message id already recorded for the provider is ignored
 * (the first record wins), so retries and replays do not double-count. */
export async function recordLlmUsage(db: Kysely<DB>, usage: LlmUsage): Promise<void> {
  for (const [name, value] of [
    ['costUsd', usage.costUsd],
    ['estimatedCostUsd', usage.estimatedCostUsd],
    ['sdkCostUsd', usage.sdkCostUsd],
  ] as const) {
    if (value !== undefined && value !== null && !DECIMAL.test(value)) throw new RangeError(`${name} must be a decimal string, got ${value}`);
  }
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
      request_count: usage.requestCount === undefined ? 1 : count(usage.requestCount),
      estimated_cost_usd: usage.estimatedCostUsd ?? usage.costUsd,
      sdk_cost_usd: usage.sdkCostUsd ?? null,
      run_id: usage.runId ?? null,
      cycle_id: usage.cycleId ?? null,
      signal_id: usage.signalId ?? null,
      signal_row_id: usage.signalRowId ?? null,
    })
    .onConflict((oc) => oc.columns(['provider', 'message_id']).where('message_id', 'is not', null).doNothing())
    .execute();
}
