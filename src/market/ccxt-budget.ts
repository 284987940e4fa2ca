/**
 * Puts a ccxt exchange instance on the desk's request budget, through ccxt's own hooks on the
 * instance (ccxt 4.5):
 *
 * - `fetch2(path, api, method, params, headers, body, config)` is where every REST request goes
 *   (ccxt calls `throttle(cost)` there, then `fetch`). Ours takes `cost / unitCost` tokens from the
 *   budget, lets the request go, and releases the tokens when it is answered or fails, so the
 *   budget can start their way back at the answer (see request-budget.ts).
 * - `throttle(cost)`: ccxt's per-call spacing (for Bybit 100 ms per market call) is replaced by a
 *   no-op: the budget does that job. `enableRateLimit` stays true.
 * - `fetch(url, …)`, called by fetch2 right before the HTTP client: refuses while a back-off is in
 *   force, so a request that got its tokens just before a back-off began is not sent either.
 * - `handleErrors(status, …, headers, body, parsed)` sees every HTTP answer with its status,
 *   headers and parsed body before ccxt turns it into an exception (ccxt raises the same
 *   RateLimitExceeded for 403, 429 and retCode 10006, so the status has to be read here): a
 *   "too many requests" answer puts the whole desk into back-off.
 */
import type { Exchange } from 'ccxt';
import type { ExchangeLimits } from './exchange-limits.js';
import { cancelledError, type RequestBudget } from './request-budget.js';
import { currentCancellation } from '../shared/cancellation.js';

/** The parts of ccxt's Exchange this module overrides (not in ccxt's public typings). */
interface CcxtHooks {
  fetch2(path: unknown, api?: unknown, method?: unknown, params?: unknown, headers?: unknown, body?: unknown, config?: unknown): Promise<unknown>;
  throttle(cost?: number): Promise<unknown>;
  fetch(...args: unknown[]): Promise<unknown>;
  calculateRateLimiterCost(api: unknown, method: unknown, path: unknown, params: unknown, config?: unknown): number;
  handleErrors(
    status: number,
    reason: string,
    url: string,
    method: string,
    headers: Record<string, unknown> | undefined,
    body: string,
    parsed: unknown,
    ...rest: unknown[]
  ): unknown;
}

export interface BudgetHookEvents {
  /** A "too many requests" answer started (or extended) a back-off. */
  onBackoff?: (event: { reason: string; until: number; status: number; inFlight: number }) => void;
}

export function installRequestBudget(exchange: Exchange, budget: RequestBudget, limits: ExchangeLimits, events: BudgetHookEvents = {}): void {
  const ex = exchange as unknown as CcxtHooks;
  const fetch2 = ex.fetch2.bind(ex);
  const handleErrors = ex.handleErrors.bind(ex);
  ex.throttle = () => Promise.resolve();
  ex.fetch2 = async (path, api = 'public', method = 'GET', params = {}, headers = undefined, body = undefined, config = {}) => {
    const cost = Number(ex.calculateRateLimiterCost(api, method, path, params, config));
    const weight = Number.isFinite(cost) && cost > 0 ? cost / limits.unitCost : 1;
    const release = await budget.acquire(weight, currentCancellation());
    try {
      return await fetch2(path, api, method, params, headers, body, config);
    } finally {
      release();
    }
  };
  const fetch = ex.fetch.bind(ex);
  // Last check before the HTTP client: a back-off that began after this request got its tokens
  // (fetch2 awaits between the two) stops it too.
  ex.fetch = (...args) => {
    const refused = budget.refusal() ?? (currentCancellation()?.aborted ? cancelledError() : null);
    return refused ? Promise.reject(refused) : fetch(...args);
  };
  ex.handleErrors = (status, reason, url, method, headers, body, parsed, ...rest) => {
    const backoff = limits.backoffFor({ status, headers, body: parsed }, budget.now());
    if (backoff) {
      budget.backOff(backoff.reason, backoff.until);
      events.onBackoff?.({ reason: backoff.reason, until: backoff.until, status, inFlight: budget.status().inFlight });
    }
    return handleErrors(status, reason, url, method, headers, body, parsed, ...rest);
  };
}
