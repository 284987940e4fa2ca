/**
 * What the exchanges publish about their request limits, and how to read their "too many
 * requests" answers. Only exchanges listed here get the desk's request budget; every other ccxt
 * exchange keeps ccxt's own per-call throttle.
 *
 * Units. A budget counts in the exchange's own units: Bybit's IP limit counts every market
 * request once. ccxt prices each endpoint in its own cost units (bybit.js: every `v5/market/*`
 * endpoint costs 5 with `rateLimit: 20` ms per unit, i.e. ccxt spaces market calls 100 ms apart).
 * A request therefore weighs `ccxt cost / unitCost`, where `unitCost` is what ccxt charges the
 * exchange's standard public market request: a Bybit market call weighs 1, and an endpoint ccxt
 * charges double weighs 2.
 */

import type { BackoffReason } from './request-budget.js';

export interface ExchangeLimits {
  /** The published limit for public market requests per 5 s from one IP, in the exchange's units. */
  publishedPer5s: number;
  /** ccxt's cost of one standard public market request (the divisor that makes weights). */
  unitCost: number;
  /** Where the limit is published. */
  source: string;
  /** Reads one HTTP answer: a back-off when it says "too many requests", else null. */
  backoffFor(answer: ExchangeAnswer, now: number): { reason: BackoffReason; until: number } | null;
}

export interface ExchangeAnswer {
  status: number;
  /** Response headers as ccxt passes them (capitalised names, e.g. `X-Bapi-Limit-Reset-Timestamp`). */
  headers: Record<string, unknown> | undefined;
  /** The parsed JSON body, when there was one. */
  body: unknown;
}

/** Bybit: "wait at least 10 minutes" after an HTTP 403 (the IP is blocked). */
export const BYBIT_IP_BAN_MS = 10 * 60_000;
/** After a 429 / retCode 10006 / 10018 without a reset time: one full window of the IP limit. */
export const DEFAULT_RATE_LIMIT_WAIT_MS = 5_000;
/** Bounds on a reset time the exchange gives (its clock may differ from ours). */
const MIN_WAIT_MS = 1_000;
const MAX_WAIT_MS = 60_000;

const bybit: ExchangeLimits = {
  publishedPer5s: 600,
  unitCost: 5,
  source: 'https://bybit-exchange.github.io/docs/v5/rate-limit',
  backoffFor({ status, headers, body }, now) {
    if (status === 403) return { reason: '403', until: now + BYBIT_IP_BAN_MS };
    const retCode = body !== null && typeof body === 'object' ? String((body as Record<string, unknown>)['retCode'] ?? '') : '';
    const reason: BackoffReason | null = status === 429 ? '429' : retCode === '10006' ? '10006' : retCode === '10018' ? '10018' : null;
    if (!reason) return null;
    const reset = Number(header(headers, 'X-Bapi-Limit-Reset-Timestamp'));
    const wait = Number.isFinite(reset) && reset > 0 ? Math.min(MAX_WAIT_MS, Math.max(MIN_WAIT_MS, reset - now)) : DEFAULT_RATE_LIMIT_WAIT_MS;
    return { reason, until: now + wait };
  },
};

const KNOWN: Record<string, ExchangeLimits> = { bybit };

/** The published limits of `exchangeId`, or null when the desk knows none (ccxt's throttle then). */
export function exchangeLimits(exchangeId: string): ExchangeLimits | null {
  return KNOWN[exchangeId] ?? null;
}

function header(headers: Record<string, unknown> | undefined, name: string): unknown {
  if (!headers) return undefined;
  const want = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === want) return v;
  return undefined;
}

/** One line saying which client-side limiting a configuration gets (for `cctrader config`). */
export function describeRequestLimiting(settings: { EXCHANGE_ID: string; EXCHANGE_RATE_LIMIT: boolean; EXCHANGE_REQUESTS_PER_5S: number }): string {
  if (!settings.EXCHANGE_RATE_LIMIT) return 'request budget: off (EXCHANGE_RATE_LIMIT=false: no client-side limiting, no back-off)';
  const limits = exchangeLimits(settings.EXCHANGE_ID);
  if (!limits) return `request budget: none known for ${settings.EXCHANGE_ID}; ccxt's own per-call throttle applies`;
  const n = settings.EXCHANGE_REQUESTS_PER_5S;
  const share = Math.round((n / limits.publishedPer5s) * 100);
  return (
    `request budget: ${n} requests per 5 s (${share}% of ${settings.EXCHANGE_ID}'s ${limits.publishedPer5s}), bursts up to ${n}, ` +
    `${(n / 5).toFixed(0)}/s sustained, shared by every call of the process; back-off: 10 min after HTTP 403, ` +
    'until the reset time (else 5 s) after 429 / retCode 10006'
  );
}
