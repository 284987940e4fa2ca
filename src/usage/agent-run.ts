/**
 * Recording what one agent run spent, one `token_usage` row per model request (assistant message
 * id, provider `anthropic`), plus the run's session totals (`token_sessions`) and its requests in
 * the request windows (`rate_limit_tracking`), all in one write transaction.
 *
 * Where the numbers come from, and how the rows sum exactly:
 * - The exact figures of a run are per model, from the SDK's result. `modelUsage` is cumulative
 *   over a resumed session, so this run's own share is: for a one-model run, the result's `usage`
 *   (this query alone) and the SDK's cost of this query (`runCostUsd`); for a run that used several
 *   models, the cumulative figure minus what the session already has on record for that model (a
 *   run whose earlier sibling was never recorded thereby picks up its spend; a cumulative figure
 *   below the record means the SDK restarted its count and is taken as this run's own).
 * - Per-message usage is only used to attribute those totals to the requests. The SDK repeats a
 *   message once per content block (each id is counted once) and reports the stream's opening
 *   figures: input and cache tokens are the request's own, output tokens are understated. Each
 *   token kind is attributed separately: when the messages' figures add up to the run total they
 *   are kept as they are (the normal case for input and cache tokens, checked and logged when
 *   not); otherwise the total is split in proportion to them (equal shares when they are all
 *   zero), largest remainder first, so the rows add up to the total to the token.
 * - Cost: each row gets our estimate at the configured prices (`estimated_cost_usd`) and its share
 *   of the SDK's cost (`sdk_cost_usd`, split in proportion to the estimates, the last row taking the
 *   rounding remainder so the rows add up to the SDK figure exactly). `cost_usd`, which the spend
 *   caps and every report sum, is the SDK share when there is one, else the estimate.
 * - A run without a result message (aborted, crashed) has no exact usage: its rows carry the
 *   per-message figures (output understated) priced at the configured prices, `sdk_cost_usd` null,
 *   and `exact: false` tells the caller (the spend caps then fail closed).
 * - A model the SDK reports with no message of its own gets one row without a message id
 *   (`request_count` 0: no request of ours to count).
 * - Recording the same run twice records nothing new (its message ids are already on record) and
 *   returns what was recorded.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AgentMessageUsage, AgentTokenUsage, RunUsage, UsageAttribution } from './run-usage.js';
import type { DB } from '../db/schema.js';
import type { Logger } from '../log.js';
import { Dec, toDec } from '../shared/money.js';
import { writeTransaction } from '../shared/transaction.js';
import { addTokens, LIST_PRICES, priceTokens, USD_DP, windowTokens, ZERO_TOKENS, type TokenCounts, type TokenPrices } from './prices.js';
import { recordLlmUsage } from './record.js';
import { countIntoWindows } from './windows.js';

export interface RunSpend {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** USD, decimal string: the SDK's cost when it reported one, else our estimate. */
  costUsd: string;
  /** False when the SDK did not report the run's usage: tokens and cost are estimates. */
  exact: boolean;
  /** Model requests of the run (message ids). */
  requests?: number;
  /** Our estimate at the configured prices, USD decimal string. */
  estimatedCostUsd?: string;
  /** `token_usage.run_id` of the run's rows; null when nothing was recorded. */
  runId?: string | null;
}

export const NO_SPEND: RunSpend = {
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  costUsd: '0',
  exact: true,
  requests: 0,
  estimatedCostUsd: '0',
  runId: null,
};

export interface RecordRunMeta {
  attribution: UsageAttribution;
  /** The model asked for (used when the SDK names none). */
  model: string;
  /** Epoch ms. */
  at: number;
  /** Configured prices; the list prices when absent. */
  prices?: TokenPrices;
  /** The signal_id the run was asked to submit under, and the movers_signals row it led to. */
  signalId?: string | null;
  signalRowId?: number | null;
  /** False (TOKEN_TRACKING_ENABLED=false): compute the spend, write nothing. */
  record?: boolean;
  log?: Logger;
}

/** One token_usage row to be. */
export interface RequestRow extends TokenCounts {
  model: string;
  messageId: string | null;
  requestCount: number;
  estimate: Dec;
  sdkCost: Dec | null;
}

const nonNegative = (n: number): number => (Number.isFinite(n) && n > 0 ? Math.trunc(n) : 0);

/** A float from the SDK as a decimal string with at most 10 places. */
export function usdString(value: Dec | number): string {
  const d = typeof value === 'number' ? toDec(Number.isFinite(value) && value > 0 ? value : 0) : value;
  return d.toDecimalPlaces(USD_DP).toFixed();
}

function countsOf(u: AgentTokenUsage): TokenCounts {
  return {
    inputTokens: nonNegative(u.inputTokens),
    outputTokens: nonNegative(u.outputTokens),
    cacheReadTokens: nonNegative(u.cacheReadInputTokens),
    cacheWriteTokens: nonNegative(u.cacheCreationInputTokens),
  };
}

const isZero = (t: TokenCounts): boolean => t.inputTokens + t.outputTokens + t.cacheReadTokens + t.cacheWriteTokens === 0;

/** Split an integer total in proportion to integer weights (equal shares when all are zero);
 * largest remainder first, ties to the earlier entry. The parts add up to the total. */
export function splitInteger(total: number, weights: readonly number[]): number[] {
  if (weights.length === 0) return [];
  const w = weights.map((x) => (x > 0 ? x : 0));
  let sum = w.reduce((a, b) => a + b, 0);
  const use = sum > 0 ? w : w.map(() => 1);
  if (sum === 0) sum = use.length;
  const big = BigInt(total);
  const bigSum = BigInt(sum);
  const parts = use.map((x) => (big * BigInt(x)) / bigSum);
  const rema = use.map((x, i) => ({ i, r: (big * BigInt(x)) % bigSum }));
  let left = total - parts.reduce((a, b) => a + Number(b), 0);
  rema.sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1));
  for (const { i } of rema) {
    if (left <= 0) break;
    parts[i] = parts[i]! + 1n;
    left -= 1;
  }
  return parts.map(Number);
}

/** Split an amount of USD in proportion to decimal weights (equal shares when all are zero),
 * rounded down to USD_DP places, the last part taking the remainder: the parts add up exactly. */
export function splitUsd(total: Dec, weights: readonly Dec[]): Dec[] {
  if (weights.length === 0) return [];
  const sum = weights.reduce((a, b) => a.plus(b), new Dec(0));
  const share = (i: number): Dec => (sum.isZero() ? total.div(weights.length) : total.times(weights[i]!).div(sum));
  const parts: Dec[] = [];
  let given = new Dec(0);
  for (let i = 0; i < weights.length - 1; i++) {
    const p = share(i).toDecimalPlaces(USD_DP, Dec.ROUND_DOWN);
    parts.push(p);
    given = given.plus(p);
  }
  parts.push(total.minus(given));
  return parts;
}

interface ModelShare {
  model: string;
  tokens: TokenCounts;
  /** The SDK's cost of this run's share, USD_DP places; null when it reported none. */
  sdkCost: Dec | null;
}

/** This run's own totals per model. */
async function modelShares(tx: Kysely<DB>, result: RunUsage, requestedModel: string): Promise<ModelShare[]> {
  if (!result.usageExact) {
    const byModel = new Map<string, TokenCounts>();
    for (const m of result.messageUsage) byModel.set(m.model, addTokens(byModel.get(m.model) ?? ZERO_TOKENS, countsOf(m)));
    if (byModel.size === 0 && !isZero(countsOf(result.usage))) byModel.set(requestedModel, countsOf(result.usage));
    return [...byModel].map(([model, tokens]) => ({ model, tokens, sdkCost: null }));
  }
  const models = Object.entries(result.modelUsage);
  const runCost = result.runCostUsd !== null && Number.isFinite(result.runCostUsd) && result.runCostUsd >= 0 ? toDec(usdString(result.runCostUsd)) : null;
  if (models.length === 0) {
    const tokens = countsOf(result.usage);
    return isZero(tokens) && runCost === null ? [] : [{ model: requestedModel, tokens, sdkCost: runCost }];
  }
  if (models.length === 1) {
    const [model, cumulative] = models[0]!;
    const own = result.resumed
      ? await ownShare(tx, result.sessionId, model, cumulative)
      : { tokens: countsOf(cumulative), cost: toDec(usdString(cumulative.costUsd)) };
    // The result's `usage` is this query's alone, exact, also in a resumed session.
    const usage = countsOf(result.usage);
    return [{ model, tokens: isZero(usage) ? own.tokens : usage, sdkCost: runCost ?? own.cost }];
  }
  const shares: ModelShare[] = [];
  for (const [model, cumulative] of models) {
    const own = result.resumed
      ? await ownShare(tx, result.sessionId, model, cumulative)
      : { tokens: countsOf(cumulative), cost: toDec(usdString(cumulative.costUsd)) };
    shares.push({ model, tokens: own.tokens, sdkCost: own.cost });
  }
  return shares;
}

/** Cumulative session figures of a model minus what the session already has on record for it. */
async function ownShare(
  tx: Kysely<DB>,
  sessionId: string,
  model: string,
  cumulative: AgentTokenUsage & { costUsd: number },
): Promise<{ tokens: TokenCounts; cost: Dec }> {
  const total = countsOf(cumulative);
  const cost = toDec(usdString(cumulative.costUsd));
  const recorded = await tx
    .selectFrom('token_usage')
    .select(['tokens_input', 'tokens_output', 'cache_read_tokens', 'cache_write_tokens', 'cost_usd'])
    .where('provider', '=', 'anthropic')
    .where('session_id', '=', sessionId)
    .where('model', '=', model)
    .execute();
  if (recorded.length === 0) return { tokens: total, cost };
  const sum = recorded.reduce(
    (s, r) => ({
      tokens: addTokens(s.tokens, {
        inputTokens: r.tokens_input,
        outputTokens: r.tokens_output,
        cacheReadTokens: r.cache_read_tokens,
        cacheWriteTokens: r.cache_write_tokens,
      }),
      cost: s.cost.plus(toDec(r.cost_usd)),
    }),
    { tokens: ZERO_TOKENS, cost: new Dec(0) },
  );
  const restarted =
    total.inputTokens < sum.tokens.inputTokens ||
    total.outputTokens < sum.tokens.outputTokens ||
    total.cacheReadTokens < sum.tokens.cacheReadTokens ||
    total.cacheWriteTokens < sum.tokens.cacheWriteTokens;
  if (restarted) return { tokens: total, cost };
  return {
    tokens: {
      inputTokens: total.inputTokens - sum.tokens.inputTokens,
      outputTokens: total.outputTokens - sum.tokens.outputTokens,
      cacheReadTokens: total.cacheReadTokens - sum.tokens.cacheReadTokens,
      cacheWriteTokens: total.cacheWriteTokens - sum.tokens.cacheWriteTokens,
    },
    cost: Dec.max(new Dec(0), cost.minus(sum.cost)),
  };
}

const KINDS = ['inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheWriteTokens'] as const;

/** A model's share attributed to its messages, exactly (see the file comment). */
export function attributeShare(
  share: { model: string; tokens: TokenCounts; sdkCost: Dec | null },
  messages: readonly AgentMessageUsage[],
  prices: TokenPrices,
  onMismatch?: (kind: string, reported: number, total: number) => void,
): RequestRow[] {
  if (messages.length === 0) {
    if (isZero(share.tokens) && (share.sdkCost === null || share.sdkCost.isZero())) return [];
    const estimate = priceTokens(share.tokens, prices);
    return [{ model: share.model, messageId: null, requestCount: 0, ...share.tokens, estimate, sdkCost: share.sdkCost }];
  }
  const reported = messages.map(countsOf);
  const columns: Record<(typeof KINDS)[number], number[]> = { inputTokens: [], outputTokens: [], cacheReadTokens: [], cacheWriteTokens: [] };
  for (const kind of KINDS) {
    const values = reported.map((r) => r[kind]);
    const sum = values.reduce((a, b) => a + b, 0);
    const total = share.tokens[kind];
    if (sum === total) columns[kind] = values;
    else {
      if (kind !== 'outputTokens') onMismatch?.(kind, sum, total);
      columns[kind] = splitInteger(total, values);
    }
  }
  const rows: RequestRow[] = messages.map((m, i) => {
    const tokens: TokenCounts = {
      inputTokens: columns.inputTokens[i]!,
      outputTokens: columns.outputTokens[i]!,
      cacheReadTokens: columns.cacheReadTokens[i]!,
      cacheWriteTokens: columns.cacheWriteTokens[i]!,
    };
    return { model: share.model, messageId: m.messageId, requestCount: 1, ...tokens, estimate: priceTokens(tokens, prices), sdkCost: null };
  });
  if (share.sdkCost !== null) {
    const parts = splitUsd(
      share.sdkCost,
      rows.map((r) => r.estimate),
    );
    rows.forEach((r, i) => (r.sdkCost = parts[i]!));
  }
  return rows;
}

/** The rows a run's result amounts to. */
export async function requestRowsFor(tx: Kysely<DB>, result: RunUsage, meta: Pick<RecordRunMeta, 'model' | 'prices' | 'log'>): Promise<RequestRow[]> {
  const prices = meta.prices ?? LIST_PRICES;
  const shares = await modelShares(tx, result, meta.model);
  const seen = new Set<string>();
  const messages = result.messageUsage.filter((m) => (seen.has(m.messageId) ? false : (seen.add(m.messageId), true)));
  const rows: RequestRow[] = [];
  for (const share of shares) {
    const own = messages.filter((m) => m.model === share.model);
    rows.push(
      ...attributeShare(share, own, prices, (kind, reported, total) =>
        meta.log?.warn('per-message usage does not add up to the run total: attributed in proportion', {
          model: share.model,
          kind,
          reported,
          total,
          session: result.sessionId,
        }),
      ),
    );
  }
  // Messages of a model the result does not name (should not happen): kept, at our prices.
  if (result.usageExact) {
    const named = new Set(shares.map((s) => s.model));
    for (const m of messages.filter((x) => !named.has(x.model))) {
      const tokens = countsOf(m);
      rows.push({ model: m.model, messageId: m.messageId, requestCount: 1, ...tokens, estimate: priceTokens(tokens, prices), sdkCost: null });
    }
  }
  return rows;
}

function spendOf(rows: ReadonlyArray<TokenCounts & { requestCount: number; cost: Dec; estimate: Dec }>, exact: boolean, runId: string | null): RunSpend {
  let tokens = ZERO_TOKENS;
  let cost = new Dec(0);
  let estimate = new Dec(0);
  let requests = 0;
  for (const r of rows) {
    tokens = addTokens(tokens, r);
    cost = cost.plus(r.cost);
    estimate = estimate.plus(r.estimate);
    requests += r.requestCount;
  }
  return { ...tokens, costUsd: usdString(cost), estimatedCostUsd: usdString(estimate), requests, exact, runId };
}

/** What an earlier recording of the same run holds (its message ids are on record already). */
async function alreadyRecorded(tx: Kysely<DB>, result: RunUsage): Promise<RunSpend | null> {
  const ids = [...new Set(result.messageUsage.map((m) => m.messageId))];
  if (ids.length === 0) return null;
  const hit = await tx.selectFrom('token_usage').select('run_id').where('provider', '=', 'anthropic').where('message_id', 'in', ids).executeTakeFirst();
  if (!hit) return null;
  const rows = await tx
    .selectFrom('token_usage')
    .selectAll()
    .where('provider', '=', 'anthropic')
    .where((eb) => (hit.run_id ? eb('run_id', '=', hit.run_id) : eb('message_id', 'in', ids)))
    .execute();
  return spendOf(
    rows.map((r) => ({
      inputTokens: r.tokens_input,
      outputTokens: r.tokens_output,
      cacheReadTokens: r.cache_read_tokens,
      cacheWriteTokens: r.cache_write_tokens,
      requestCount: r.request_count,
      cost: toDec(r.cost_usd),
      estimate: toDec(r.estimated_cost_usd),
    })),
    result.usageExact,
    hit.run_id,
  );
}

async function addToSession(tx: Kysely<DB>, sessionId: string, operation: string, at: number, spend: RunSpend): Promise<void> {
  const row = await tx.selectFrom('token_sessions').selectAll().where('session_id', '=', sessionId).executeTakeFirst();
  if (!row) {
    await tx
      .insertInto('token_sessions')
      .values({
        session_id: sessionId,
        operation_type: operation,
        started_at: at,
        last_activity_at: at,
        request_count: spend.requests ?? 0,
        tokens_input: spend.inputTokens,
        tokens_output: spend.outputTokens,
        cache_read_tokens: spend.cacheReadTokens,
        cache_write_tokens: spend.cacheWriteTokens,
        cost_usd: spend.costUsd,
        estimated_cost_usd: spend.estimatedCostUsd ?? spend.costUsd,
        runs: 1,
      })
      .execute();
    return;
  }
  await tx
    .updateTable('token_sessions')
    .set({
      last_activity_at: Math.max(row.last_activity_at, at),
      request_count: row.request_count + (spend.requests ?? 0),
      tokens_input: row.tokens_input + spend.inputTokens,
      tokens_output: row.tokens_output + spend.outputTokens,
      cache_read_tokens: row.cache_read_tokens + spend.cacheReadTokens,
      cache_write_tokens: row.cache_write_tokens + spend.cacheWriteTokens,
      cost_usd: usdString(toDec(row.cost_usd).plus(spend.costUsd)),
      estimated_cost_usd: usdString(toDec(row.estimated_cost_usd).plus(spend.estimatedCostUsd ?? spend.costUsd)),
      runs: row.runs + 1,
    })
    .where('session_id', '=', sessionId)
    .execute();
}

export async function recordAgentRunUsage(db: Kysely<DB>, result: RunUsage, meta: RecordRunMeta): Promise<RunSpend> {
  if (meta.record === false) {
    const rows = await requestRowsFor(db, result, meta);
    return spendOf(
      rows.map((r) => ({ ...r, cost: r.sdkCost ?? r.estimate })),
      result.usageExact,
      null,
    );
  }
  return writeTransaction(db, async (tx) => {
    const before = await alreadyRecorded(tx, result);
    if (before) return before;
    const rows = await requestRowsFor(tx, result, meta);
    if (rows.length === 0) return { ...NO_SPEND, exact: result.usageExact };
    const runId = randomUUID();
    const a = meta.attribution;
    for (const r of rows) {
      await recordLlmUsage(tx, {
        provider: 'anthropic',
        operationType: a.operation,
        model: r.model,
        inputTokens: r.inputTokens,
        outputTokens: r.outputTokens,
        cacheReadTokens: r.cacheReadTokens,
        cacheWriteTokens: r.cacheWriteTokens,
        costUsd: usdString(r.sdkCost ?? r.estimate),
        estimatedCostUsd: usdString(r.estimate),
        sdkCostUsd: r.sdkCost === null ? null : usdString(r.sdkCost),
        requestCount: r.requestCount,
        at: meta.at,
        sessionId: result.sessionId,
        messageId: r.messageId,
        symbol: a.symbol ?? null,
        runId,
        cycleId: a.cycleId ?? null,
        signalId: meta.signalId ?? null,
        signalRowId: meta.signalRowId ?? null,
      });
    }
    const spend = spendOf(
      rows.map((r) => ({ ...r, cost: r.sdkCost ?? r.estimate })),
      result.usageExact,
      runId,
    );
    await addToSession(tx, result.sessionId, a.operation, meta.at, spend);
    await countIntoWindows(tx, meta.at, spend.requests ?? 0, windowTokens(spend));
    return spend;
  });
}
