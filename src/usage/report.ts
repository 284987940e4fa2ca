/**
 * The token reports: `token-stats` and the `get_token_report` tool (one shape), `token-limits`,
 * and the ledger of one agent run (`analyze --show-tokens`). Everything is read from the ledger
 * (`token_usage`, `token_sessions`, `rate_limit_tracking`); nothing here writes.
 *
 * Periods: `hourly` = the last 24 UTC hours (this one included) by hour; `daily` = the last 30
 * UTC days by day; `session` = the 20 most recently active agent sessions of the last 7 days.
 * Totals are per provider (Anthropic, Perplexity) over the period's span. Costs are summed exactly
 * (in 1e-10 USD units) and shown rounded to 6 places: `costUsd` is what the spend caps count (the
 * SDK's price when it gave one, else ours), `estimatedCostUsd` our price at the configured rates.
 */
import { sql, type Kysely } from 'kysely';
import type { Config } from '../config.js';
import type { DB } from '../db/schema.js';
import type { Clock } from '../shared/clock.js';
import { Dec } from '../shared/money.js';
import { readPublishedLimits, rowCoversModel, type PublishedLimit } from './published-limits.js';
import { readWindows, windowSettings, type WindowLevel, type WindowConfig, type WindowType } from './windows.js';

import type { TokenPeriod } from './periods.js';

export type { TokenPeriod } from './periods.js';
export const PROVIDERS = ['anthropic', 'perplexity'] as const;
export type Provider = (typeof PROVIDERS)[number];

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
export const HOURLY_BUCKETS = 24;
export const DAILY_BUCKETS = 30;
export const SESSION_DAYS = 7;
export const MAX_SESSIONS = 20;

export interface UsageTotals {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costUsd: number;
  estimatedCostUsd: number;
}

export interface BucketItem extends UsageTotals {
  /** Start of the hour or UTC day, ISO. */
  start: string;
  provider: string;
}

export interface SessionItem extends UsageTotals {
  sessionId: string;
  operation: string;
  runs: number;
  startedAt: string;
  lastActivityAt: string;
}

export interface WindowReport {
  window: WindowType;
  requests: number;
  limit: number;
  pct: number;
  /** The traffic light a reader sees: green (ok), yellow (warning), red (critical or at the limit). */
  status: 'green' | 'yellow' | 'red';
  level: WindowLevel;
  tokens: number;
  openedAt: string | null;
  resetsAt: string | null;
}

export interface TokenReport {
  period: TokenPeriod;
  from: string;
  to: string;
  trackingEnabled: boolean;
  providers: Record<Provider, UsageTotals>;
  windows: WindowReport[];
  items: Array<BucketItem | SessionItem>;
  hasMore: boolean;
}

type ReportDeps = {
  db: Kysely<DB>;
  clock: Clock;
  config: WindowConfig & Pick<Config, 'TOKEN_TRACKING_ENABLED'>;
};

const UNITS = new Dec(10).pow(10);
/** USD for output: 6 places (a request can cost a fraction of a cent). */
const usdOut = (units: unknown): number => new Dec(String(units ?? 0)).div(UNITS).toDecimalPlaces(6, Dec.ROUND_HALF_EVEN).toNumber();
const int = (v: unknown): number => Number(v ?? 0);
const iso = (ms: number): string => new Date(ms).toISOString();

/** A decimal-string column summed exactly, in 1e-10 USD (every stored amount has at most 10 places). */
const units = (column: 'cost_usd' | 'estimated_cost_usd') => sql<string>`cast(sum(cast(round(cast(${sql.ref(column)} as real) * 1e10) as integer)) as text)`;

const SUMS = [
  sql<number>`sum(request_count)`.as('requests'),
  sql<number>`sum(tokens_input)`.as('input'),
  sql<number>`sum(tokens_output)`.as('output'),
  sql<number>`sum(cache_read_tokens)`.as('cache_read'),
  sql<number>`sum(cache_write_tokens)`.as('cache_write'),
  units('cost_usd').as('cost_units'),
  units('estimated_cost_usd').as('estimate_units'),
] as const;

interface SumRow {
  requests: unknown;
  input: unknown;
  output: unknown;
  cache_read: unknown;
  cache_write: unknown;
  cost_units: unknown;
  estimate_units: unknown;
}

function totalsOf(r: SumRow | undefined): UsageTotals {
  return {
    requests: int(r?.requests),
    inputTokens: int(r?.input),
    outputTokens: int(r?.output),
    cacheReadTokens: int(r?.cache_read),
    cacheWriteTokens: int(r?.cache_write),
    costUsd: usdOut(r?.cost_units),
    estimatedCostUsd: usdOut(r?.estimate_units),
  };
}

export const EMPTY_TOTALS: UsageTotals = totalsOf(undefined);

async function providerTotals(db: Kysely<DB>, from: number, to: number): Promise<Record<Provider, UsageTotals>> {
  const rows = await db
    .selectFrom('token_usage')
    .select(['provider', ...SUMS])
    .where('created_at', '>=', from)
    .where('created_at', '<=', to)
    .groupBy('provider')
    .execute();
  const out = { anthropic: EMPTY_TOTALS, perplexity: EMPTY_TOTALS } as Record<Provider, UsageTotals>;
  for (const r of rows) if ((PROVIDERS as readonly string[]).includes(r.provider)) out[r.provider as Provider] = totalsOf(r as SumRow);
  return out;
}

export async function windowReports(deps: ReportDeps): Promise<WindowReport[]> {
  const states = await readWindows(deps.db, deps.clock.now(), windowSettings(deps.config));
  return states.map((s) => ({
    window: s.window,
    requests: s.requests,
    limit: s.limit,
    pct: s.pct,
    status: s.level === 'ok' ? 'green' : s.level === 'warning' ? 'yellow' : 'red',
    level: s.level,
    tokens: s.tokens,
    openedAt: s.openedAt === null ? null : iso(s.openedAt),
    resetsAt: s.resetsAt === null ? null : iso(s.resetsAt),
  }));
}

export async function tokenReport(deps: ReportDeps, period: TokenPeriod): Promise<TokenReport> {
  const now = deps.clock.now();
  const { db } = deps;
  let from: number;
  let items: Array<BucketItem | SessionItem>;
  let hasMore = false;
  if (period === 'session') {
    from = now - SESSION_DAYS * DAY_MS;
    const rows = await db
      .selectFrom('token_sessions')
      .selectAll()
      .where('last_activity_at', '>=', from)
      .orderBy('last_activity_at', 'desc')
      .orderBy('session_id')
      .limit(MAX_SESSIONS + 1)
      .execute();
    hasMore = rows.length > MAX_SESSIONS;
    items = rows.slice(0, MAX_SESSIONS).map((r) => ({
      sessionId: r.session_id,
      operation: r.operation_type,
      runs: r.runs,
      startedAt: iso(r.started_at),
      lastActivityAt: iso(r.last_activity_at),
      requests: r.request_count,
      inputTokens: r.tokens_input,
      outputTokens: r.tokens_output,
      cacheReadTokens: r.cache_read_tokens,
      cacheWriteTokens: r.cache_write_tokens,
      costUsd: new Dec(r.cost_usd).toDecimalPlaces(6, Dec.ROUND_HALF_EVEN).toNumber(),
      estimatedCostUsd: new Dec(r.estimated_cost_usd).toDecimalPlaces(6, Dec.ROUND_HALF_EVEN).toNumber(),
    }));
  } else {
    const size = period === 'hourly' ? HOUR_MS : DAY_MS;
    from = Math.floor(now / size) * size - ((period === 'hourly' ? HOURLY_BUCKETS : DAILY_BUCKETS) - 1) * size;
    const bucket = sql<number>`(created_at - created_at % ${size})`;
    const rows = await db
      .selectFrom('token_usage')
      .select([bucket.as('start'), 'provider', ...SUMS])
      .where('created_at', '>=', from)
      .where('created_at', '<=', now)
      .groupBy(['start', 'provider'])
      .orderBy('start', 'desc')
      .orderBy('provider')
      .execute();
    items = rows.map((r) => ({ start: iso(int(r.start)), provider: r.provider, ...totalsOf(r as SumRow) }));
  }
  return {
    period,
    from: iso(from),
    to: iso(now),
    trackingEnabled: deps.config.TOKEN_TRACKING_ENABLED,
    providers: await providerTotals(db, from, now),
    windows: await windowReports(deps),
    items,
    hasMore,
  };
}

export interface LimitsReport {
  trackingEnabled: boolean;
  thresholds: { warningPct: number; criticalPct: number };
  windows: WindowReport[];
  /** The published per-minute limits of CLAUDE_MODEL, from the last `fetch-limits`; null when none are stored. */
  published: { url: string; fetchedAt: string; model: string; items: PublishedLimit[] } | null;
}

export async function limitsReport(deps: ReportDeps & { config: Pick<Config, 'CLAUDE_MODEL'> }): Promise<LimitsReport> {
  const s = windowSettings(deps.config);
  const stored = await readPublishedLimits(deps.db);
  return {
    trackingEnabled: deps.config.TOKEN_TRACKING_ENABLED,
    thresholds: { warningPct: s.warningPct, criticalPct: s.criticalPct },
    windows: await windowReports(deps),
    published: stored
      ? {
          url: stored.url,
          fetchedAt: iso(stored.fetchedAt),
          model: deps.config.CLAUDE_MODEL,
          items: stored.items.filter((i) => rowCoversModel(i.model, deps.config.CLAUDE_MODEL)),
        }
      : null,
  };
}

export interface RunRequest {
  messageId: string | null;
  model: string | null;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costUsd: number;
  estimatedCostUsd: number;
  /** The SDK's price of the request; null when it gave none. */
  sdkCostUsd: number | null;
}

export interface RunLedger {
  runId: string;
  sessionId: string | null;
  recordedAt: string;
  total: UsageTotals & { sdkCostUsd: number | null };
  requests: RunRequest[];
}

const dec6 = (s: string): number => new Dec(s).toDecimalPlaces(6, Dec.ROUND_HALF_EVEN).toNumber();

/** The rows one agent run recorded, in order, with exact totals. Null when the run has none. */
export async function runLedger(db: Kysely<DB>, runId: string): Promise<RunLedger | null> {
  const rows = await db.selectFrom('token_usage').selectAll().where('run_id', '=', runId).orderBy('id').execute();
  if (rows.length === 0) return null;
  let cost = new Dec(0);
  let estimate = new Dec(0);
  let sdk: Dec | null = new Dec(0);
  for (const r of rows) {
    cost = cost.plus(r.cost_usd);
    estimate = estimate.plus(r.estimated_cost_usd);
    sdk = sdk === null || r.sdk_cost_usd === null ? null : sdk.plus(r.sdk_cost_usd);
  }
  const sum = (f: (r: (typeof rows)[number]) => number) => rows.reduce((s, r) => s + f(r), 0);
  return {
    runId,
    sessionId: rows[0]!.session_id,
    recordedAt: iso(rows[0]!.created_at),
    total: {
      requests: sum((r) => r.request_count),
      inputTokens: sum((r) => r.tokens_input),
      outputTokens: sum((r) => r.tokens_output),
      cacheReadTokens: sum((r) => r.cache_read_tokens),
      cacheWriteTokens: sum((r) => r.cache_write_tokens),
      costUsd: dec6(cost.toFixed()),
      estimatedCostUsd: dec6(estimate.toFixed()),
      sdkCostUsd: sdk === null ? null : dec6(sdk.toFixed()),
    },
    requests: rows.map((r) => ({
      messageId: r.message_id,
      model: r.model,
      inputTokens: r.tokens_input,
      outputTokens: r.tokens_output,
      cacheReadTokens: r.cache_read_tokens,
      cacheWriteTokens: r.cache_write_tokens,
      costUsd: dec6(r.cost_usd),
      estimatedCostUsd: dec6(r.estimated_cost_usd),
      sdkCostUsd: r.sdk_cost_usd === null ? null : dec6(r.sdk_cost_usd),
    })),
  };
}
