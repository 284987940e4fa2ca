/**
 * Recording what one agent run spent: one `token_usage` row per model the run used (provider
 * `anthropic`), attributed to the operation, symbol and session, with the run's own tokens and cost.
 *
 * What the SDK reports and how it becomes a run's own share:
 * - `modelUsage` (per model: tokens and `costUSD`) is exact, but cumulative over a resumed session
 *   (a daily session): the second run of the day reports the first run's tokens too. For a resumed
 *   run this run's share is the cumulative figure minus what is already recorded for the same
 *   session and model, read and written in one immediate transaction. A run whose earlier sibling
 *   was never recorded (a crash) thereby picks up its spend, so the session's total stays right.
 *   Should the SDK restart its count (a figure lower than the recorded sum), the cumulative figure
 *   is taken as this run's own.
 * - `runCostUsd` (the SDK's cost of this query alone), when present and the run used one model,
 *   is that model's cost.
 * - A run without a result message (aborted, crashed) has no exact usage: the tokens are the
 *   per-message figures (output understated) and the cost is an estimate at the list prices below.
 *   `exact: false` tells the caller its spend is not known (the scanner then fails closed).
 *
 * Rows are run-level (`message_id` null). Message-level attribution (one row per assistant
 * message id, checked against `modelUsage`) and configured prices belong to the token-accounting
 * work; they can replace `rowsFor` without changing the callers.
 */
import type { Kysely } from 'kysely';
import type { AgentAttribution, AgentRunResult, AgentTokenUsage } from '../agent/types.js';
import type { DB } from '../db/schema.js';
import { Dec, toDec } from '../trading/money.js';
import { writeTransaction } from '../trading/serialize.js';
import { recordLlmUsage } from './record.js';

/** List prices (USD per million tokens) used only to estimate a run the SDK did not price. */
export const ESTIMATE_USD_PER_MTOK = { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 } as const;

export interface RunSpend {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** USD, decimal string. */
  costUsd: string;
  /** False when the SDK did not report the run's usage: tokens and cost are estimates. */
  exact: boolean;
}

export const NO_SPEND: RunSpend = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: '0', exact: true };

interface Row {
  model: string;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  cost: Dec;
}

const nonNegative = (n: number): number => (Number.isFinite(n) && n > 0 ? Math.trunc(n) : 0);

/** A float from the SDK as a decimal string with at most 10 places. */
export function usdString(value: Dec | number): string {
  const d = typeof value === 'number' ? toDec(Number.isFinite(value) && value > 0 ? value : 0) : value;
  return d.toDecimalPlaces(10).toFixed();
}

export function estimateCost(u: AgentTokenUsage): Dec {
  const p = ESTIMATE_USD_PER_MTOK;
  return toDec(u.inputTokens)
    .times(p.input)
    .plus(toDec(u.outputTokens).times(p.output))
    .plus(toDec(u.cacheReadInputTokens).times(p.cacheRead))
    .plus(toDec(u.cacheCreationInputTokens).times(p.cacheWrite))
    .div(1_000_000);
}

export async function recordAgentRunUsage(
  db: Kysely<DB>,
  result: AgentRunResult,
  meta: { attribution: AgentAttribution; model: string; at: number },
): Promise<RunSpend> {
  return writeTransaction(db, async (tx) => {
    const rows = await rowsFor(tx, result, meta.model);
    for (const r of rows) {
      if (r.inputTokens + r.outputTokens + r.cacheReadTokens + r.cacheWriteTokens === 0 && r.cost.isZero()) continue;
      await recordLlmUsage(tx, {
        provider: 'anthropic',
        operationType: meta.attribution.operation,
        model: r.model,
        inputTokens: r.inputTokens,
        outputTokens: r.outputTokens,
        cacheReadTokens: r.cacheReadTokens,
        cacheWriteTokens: r.cacheWriteTokens,
        costUsd: usdString(r.cost),
        at: meta.at,
        sessionId: result.sessionId,
        messageId: null,
        symbol: meta.attribution.symbol ?? null,
      });
    }
    const total = rows.reduce(
      (s, r) => ({
        inputTokens: s.inputTokens + r.inputTokens,
        outputTokens: s.outputTokens + r.outputTokens,
        cacheReadTokens: s.cacheReadTokens + r.cacheReadTokens,
        cacheWriteTokens: s.cacheWriteTokens + r.cacheWriteTokens,
        cost: s.cost.plus(r.cost),
      }),
      { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, cost: new Dec(0) },
    );
    return { ...total, costUsd: usdString(total.cost), exact: result.usageExact };
  });
}

async function rowsFor(tx: Kysely<DB>, result: AgentRunResult, requestedModel: string): Promise<Row[]> {
  if (!result.usageExact) {
    const u = result.usage;
    const model = result.messageUsage[0]?.model ?? requestedModel;
    return [
      {
        model,
        inputTokens: nonNegative(u.inputTokens),
        outputTokens: nonNegative(u.outputTokens),
        cacheReadTokens: nonNegative(u.cacheReadInputTokens),
        cacheWriteTokens: nonNegative(u.cacheCreationInputTokens),
        cost: estimateCost(u),
      },
    ];
  }
  const models = Object.entries(result.modelUsage);
  const rows: Row[] = [];
  for (const [model, u] of models) {
    const cumulative: Row = {
      model,
      inputTokens: nonNegative(u.inputTokens),
      outputTokens: nonNegative(u.outputTokens),
      cacheReadTokens: nonNegative(u.cacheReadInputTokens),
      cacheWriteTokens: nonNegative(u.cacheCreationInputTokens),
      cost: toDec(Number.isFinite(u.costUsd) && u.costUsd > 0 ? u.costUsd : 0),
    };
    rows.push(result.resumed ? await ownShare(tx, result.sessionId, cumulative) : cumulative);
  }
  if (rows.length === 1 && result.runCostUsd !== null && Number.isFinite(result.runCostUsd) && result.runCostUsd >= 0) {
    rows[0]!.cost = toDec(result.runCostUsd);
  }
  return rows;
}

/** Cumulative session figures minus what this session already has on record for the model. */
async function ownShare(tx: Kysely<DB>, sessionId: string, cumulative: Row): Promise<Row> {
  const recorded = await tx
    .selectFrom('token_usage')
    .select(['tokens_input', 'tokens_output', 'cache_read_tokens', 'cache_write_tokens', 'cost_usd'])
    .where('provider', '=', 'anthropic')
    .where('session_id', '=', sessionId)
    .where('model', '=', cumulative.model)
    .execute();
  if (recorded.length === 0) return cumulative;
  const sum = recorded.reduce(
    (s, r) => ({
      inputTokens: s.inputTokens + r.tokens_input,
      outputTokens: s.outputTokens + r.tokens_output,
      cacheReadTokens: s.cacheReadTokens + r.cache_read_tokens,
      cacheWriteTokens: s.cacheWriteTokens + r.cache_write_tokens,
      cost: s.cost.plus(toDec(r.cost_usd)),
    }),
    { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, cost: new Dec(0) },
  );
  const restarted =
    cumulative.inputTokens < sum.inputTokens ||
    cumulative.outputTokens < sum.outputTokens ||
    cumulative.cacheReadTokens < sum.cacheReadTokens ||
    cumulative.cacheWriteTokens < sum.cacheWriteTokens;
  if (restarted) return cumulative;
  return {
    model: cumulative.model,
    inputTokens: cumulative.inputTokens - sum.inputTokens,
    outputTokens: cumulative.outputTokens - sum.outputTokens,
    cacheReadTokens: cumulative.cacheReadTokens - sum.cacheReadTokens,
    cacheWriteTokens: cumulative.cacheWriteTokens - sum.cacheWriteTokens,
    cost: Dec.max(new Dec(0), cumulative.cost.minus(sum.cost)),
  };
}
