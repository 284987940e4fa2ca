/**
 * Bybit's IP limit, as the simulated exchange enforces it, and the traffic record benchmarks read.
 *
 * Bybit (v5 docs, "rate limit"): public market endpoints allow 600 requests per 5 seconds per IP;
 * beyond that the answer is HTTP 403 "access too frequent" and the IP is blocked: the client must
 * wait at least 10 minutes. Modelled here: every market request is counted in a rolling window;
 * the request that passes the limit, and every request while the block lasts, answers 403 with
 * that text. All clients come from loopback, so they share one IP, as every caller of one desk
 * process does at the real exchange. The block's length is configurable (tests and benchmarks
 * use seconds, not the real 10 minutes).
 *
 * Time is real time (not the market clock, which tests freeze or move).
 */

export interface IpLimitOptions {
  /** Requests allowed per window (Bybit: 600). */
  limit?: number;
  /** The rolling window, ms (Bybit: 5000). */
  windowMs?: number;
  /** How long the IP stays blocked after passing the limit, ms (Bybit: at least 10 minutes). */
  blockMs?: number;
}

export interface TrafficStats {
  /** Market requests received (counted or not by the limit). */
  requests: number;
  /** Rate-limit answers the simulator gave, by kind (the IP limit's and injected faults alike). */
  rejected: { http403: number; http429: number; retCode10006: number };
  /** The IP limit in force, or null when off. */
  ipLimit: Required<IpLimitOptions> | null;
  /** Epoch ms until which the IP is blocked, or null. */
  blockedUntil: number | null;
}

/** Most request stamps kept (the oldest are dropped beyond this). */
const MAX_STAMPS = 200_000;

export class IpLimiter {
  private options: Required<IpLimitOptions> | null = null;
  private window: number[] = [];
  private blockedUntil: number | null = null;
  private stamps: number[] = [];
  private requests = 0;
  private readonly rejected = { http403: 0, http429: 0, retCode10006: 0 };

  constructor(private readonly now: () => number) {}

  /** Turn the limit on (with Bybit's numbers by default) or off (null); clears any block. */
  configure(options: IpLimitOptions | null): void {
    if (options === null) {
      this.options = null;
    } else {
      const limit = options.limit ?? 600;
      const windowMs = options.windowMs ?? 5_000;
      const blockMs = options.blockMs ?? 600_000;
      for (const [name, v] of [
        ['limit', limit],
        ['windowMs', windowMs],
        ['blockMs', blockMs],
      ] as const) {
        if (!(Number.isFinite(v) && v >= 0) || (name === 'limit' && !(Number.isInteger(v) && v >= 1)))
          throw new TypeError(`ipLimit.${name} must be a non-negative number (limit a positive integer)`);
      }
      this.options = { limit, windowMs, blockMs };
    }
    this.window = [];
    this.blockedUntil = null;
  }

  /** Counts one market request; true when it must be answered 403 (limit passed or IP blocked). */
  admit(): boolean {
    const now = this.now();
    this.requests += 1;
    this.stamps.push(now);
    if (this.stamps.length > MAX_STAMPS) this.stamps.splice(0, this.stamps.length - MAX_STAMPS);
    const o = this.options;
    if (!o) return true;
    if (this.blockedUntil !== null) {
      if (now < this.blockedUntil) return false;
      this.blockedUntil = null;
      this.window = [];
    }
    let i = 0;
    while (i < this.window.length && this.window[i]! <= now - o.windowMs) i += 1;
    if (i > 0) this.window.splice(0, i);
    this.window.push(now);
    if (this.window.length > o.limit) {
      this.blockedUntil = now + o.blockMs;
      return false;
    }
    return true;
  }

  /** Record a rate-limit answer given (by the limit or by an injected fault). */
  count(kind: keyof TrafficStats['rejected']): void {
    this.rejected[kind] += 1;
  }

  /** Arrival times (epoch ms) of the market requests since the last reset, oldest first. */
  requestStamps(): number[] {
    return [...this.stamps];
  }

  stats(): TrafficStats {
    const blocked = this.blockedUntil !== null && this.now() < this.blockedUntil ? this.blockedUntil : null;
    return { requests: this.requests, rejected: { ...this.rejected }, ipLimit: this.options ? { ...this.options } : null, blockedUntil: blocked };
  }

  /** Forget stamps and counters (not the limit's settings or a block in force). */
  resetTraffic(): void {
    this.stamps = [];
    this.requests = 0;
    this.rejected.http403 = 0;
    this.rejected.http429 = 0;
    this.rejected.retCode10006 = 0;
  }
}

/** The most requests in any window of `windowMs` over sorted or unsorted `stamps`. */
export function busiestWindow(stamps: readonly number[], windowMs: number): number {
  const s = [...stamps].sort((a, b) => a - b);
  let best = 0;
  let j = 0;
  for (let i = 0; i < s.length; i++) {
    while (s[i]! - s[j]! >= windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}
