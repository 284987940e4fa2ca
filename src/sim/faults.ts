/**
 * Fault injection for the simulated exchange: rules that make the next matching requests fail
 * the way real exchanges and the networks in front of them fail. Rules are consumed in the order
 * they were injected; the first rule that matches a request applies to it and loses one use.
 */

export const FAULT_KINDS = [
  'http429',
  'http403',
  'http500',
  'http502',
  'http503',
  'http504',
  'timeout',
  'garbage',
  'empty',
  'html',
  'retCode10006',
  'latency',
  'reset',
] as const;

/**
 * - `http429`: HTTP 429 with a plain-text body.
 * - `http403`: HTTP 403 "access too frequent" (Bybit's answer when an IP passes its limit; the
 *   client must then wait at least 10 minutes). Only this request; for the block itself, see
 *   the simulator's `ipLimit` option.
 * - `http500`/`http502`/`http503`/`http504`: that status with an HTML gateway page.
 * - `timeout`: headers are never sent; the socket is held until the client gives up.
 * - `garbage`: HTTP 200, a truncated (malformed) JSON body.
 * - `empty`: HTTP 200, an empty body.
 * - `html`: HTTP 200, an HTML page (a CDN challenge page).
 * - `retCode10006`: HTTP 200, Bybit's "Too many visits!" envelope (retCode 10006).
 * - `latency`: the normal answer, `latencyMs` (default 1000) late.
 * - `reset`: the connection is destroyed without an answer.
 */
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultSpec {
  kind: FaultKind;
  /** How many matching requests fail; default 1; `Infinity` until cleared. */
  count?: number;
  /** Only requests whose path starts with this, e.g. `/v5/market/kline`. */
  pathPrefix?: string;
  /** Only requests whose `symbol` query parameter equals this exchange id, e.g. `BTCUSDT`. */
  symbol?: string;
  /** Only requests whose query parameters include all of these, e.g. `{ interval: '240' }` (4h candles). */
  query?: Record<string, string>;
  /** For `latency`: the delay in ms (default 1000). */
  latencyMs?: number;
}

export interface ActiveFault {
  kind: FaultKind;
  /** Uses left; `Infinity` for a permanent rule. */
  remaining: number;
  pathPrefix?: string;
  symbol?: string;
  query?: Record<string, string>;
  latencyMs?: number;
}

export interface FaultInjector {
  /** Adds a rule. Throws `TypeError` on an unknown kind or a bad count/latency. */
  inject(fault: FaultSpec): void;
  /** Removes every rule. */
  clear(): void;
  /** The rules still active, oldest first. */
  pending(): ActiveFault[];
}

export function isFaultKind(value: unknown): value is FaultKind {
  return typeof value === 'string' && (FAULT_KINDS as readonly string[]).includes(value);
}

export class FaultRegistry implements FaultInjector {
  private rules: ActiveFault[] = [];

  inject(fault: FaultSpec): void {
    if (!isFaultKind(fault.kind)) throw new TypeError(`unknown fault kind ${String(fault.kind)}; one of ${FAULT_KINDS.join(', ')}`);
    const count = fault.count ?? 1;
    if (!(count === Number.POSITIVE_INFINITY || (Number.isInteger(count) && count >= 1))) {
      throw new TypeError('fault count must be a positive integer or Infinity');
    }
    if (fault.latencyMs !== undefined && !(Number.isFinite(fault.latencyMs) && fault.latencyMs >= 0)) {
      throw new TypeError('latencyMs must be a non-negative number');
    }
    if (fault.pathPrefix !== undefined && typeof fault.pathPrefix !== 'string') throw new TypeError('pathPrefix must be a string');
    if (fault.symbol !== undefined && typeof fault.symbol !== 'string') throw new TypeError('symbol must be a string');
    const rule: ActiveFault = { kind: fault.kind, remaining: count };
    if (fault.pathPrefix !== undefined) rule.pathPrefix = fault.pathPrefix;
    if (fault.symbol !== undefined) rule.symbol = fault.symbol;
    if (fault.query !== undefined) {
      if (typeof fault.query !== 'object' || fault.query === null || Object.values(fault.query).some((v) => typeof v !== 'string')) {
        throw new TypeError('query must map parameter names to strings');
      }
      rule.query = { ...fault.query };
    }
    if (fault.kind === 'latency') rule.latencyMs = fault.latencyMs ?? 1000;
    this.rules.push(rule);
  }

  clear(): void {
    this.rules = [];
  }

  pending(): ActiveFault[] {
    return this.rules.map((r) => ({ ...r }));
  }

  /** The first rule matching this request, with one use consumed; undefined when none applies. */
  take(path: string, params: URLSearchParams): ActiveFault | undefined {
    const symbol = params.get('symbol');
    const index = this.rules.findIndex(
      (r) =>
        (r.pathPrefix === undefined || path.startsWith(r.pathPrefix)) &&
        (r.symbol === undefined || r.symbol === symbol) &&
        (r.query === undefined || Object.entries(r.query).every(([k, v]) => params.get(k) === v)),
    );
    if (index < 0) return undefined;
    const rule = this.rules[index];
    if (rule === undefined) return undefined;
    rule.remaining -= 1;
    if (rule.remaining <= 0) this.rules.splice(index, 1);
    return { ...rule };
  }
}
