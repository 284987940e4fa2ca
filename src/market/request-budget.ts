/**
 * One request budget for the exchange, shared by every call the process makes (scanner, MCP
 * tools, outcome evaluation, history downloads). Pure: time comes from an injected `BudgetTimer`,
 * so tests drive it with a fake clock.
 *
 * The bucket. `capacity` tokens per rolling `windowMs` (Bybit: 5 s). A request takes `weight`
 * tokens before it is sent and gives them back `windowMs` after its answer has arrived (or it
 * failed). So:
 * - a burst of `capacity` goes out at once, and after that the tokens come back at
 *   `capacity / windowMs` on average (the refill rate);
 * - at the exchange, any window of `windowMs` sees at most `capacity` tokens' worth of requests,
 *   whatever the network latency: a token's next use reaches the exchange more than `windowMs`
 *   after its previous use did. (A bucket that refills continuously at capacity/window would let
 *   up to twice its capacity through in one window: a full burst, then a window's worth of refill.)
 *
 * Fairness. Waiters are served strictly first come, first served: a request waits behind every
 * request that asked before it, even when it would fit now, so a scan's queue cannot be cut into
 * and a tool call queued behind it is served after exactly the requests ahead of it.
 *
 * Back-off. When the exchange answers "too many requests" (see `exchange-limits.ts`), `backOff`
 * stops the desk: until then no token is granted, every waiter and every new request fails at once
 * with RATE_LIMITED carrying `retryAt`, and nothing is sent.
 */
import { AppError } from '../errors.js';

/** Time for the budget: epoch ms and one-shot timers. */
export interface BudgetTimer {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemBudgetTimer: BudgetTimer = {
  now: () => Date.now(),
  // Not unref'd: a wake-up is pending only while callers wait for tokens, and the process must
  // stay alive for them (an unref'd timer would let a CLI exit with a scan half done).
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Why the desk backs off: the exchange's HTTP status or Bybit retCode. */
export type BackoffReason = '403' | '429' | '10006' | '10018';

export interface Backoff {
  /** Epoch ms: no request is sent before this. */
  until: number;
  reason: BackoffReason;
}

export interface RequestBudgetOptions {
  /** Tokens per window (the exchange's units: one standard market request = 1). */
  capacity: number;
  /** The window the capacity is counted over, ms (Bybit: 5 s). */
  windowMs?: number;
  timer?: BudgetTimer;
}

export interface RequestBudgetStatus {
  capacity: number;
  windowMs: number;
  /** Average refill rate, tokens per second (capacity / window). */
  refillPerSec: number;
  /** Tokens a request could take now. */
  available: number;
  /** Tokens held by requests in flight. */
  inFlight: number;
  /** Weighted requests let out in the last 60 s. */
  usedLastMinute: number;
  /** Requests waiting for tokens. */
  waiting: number;
  backoff: Backoff | null;
}

/** Given to a request that got its tokens: call `release` once it is answered or failed. */
export type Release = () => void;

interface Waiter {
  weight: number;
  resolve: (release: Release) => void;
  reject: (error: AppError) => void;
}

const MINUTE_MS = 60_000;

/** The error of a request whose call was cancelled before it was sent. */
export function cancelledError(): AppError {
  return new AppError('CANCELLED', 'The call was cancelled; the request was not sent', { hint: 'call again to retry' });
}

export class RequestBudget {
  readonly capacity: number;
  readonly windowMs: number;
  private readonly timer: BudgetTimer;
  /** Tokens of requests still in flight. */
  private inFlight = 0;
  /** Released tokens and when they come back (epoch ms), oldest first. */
  private returning: Array<{ at: number; weight: number }> = [];
  private returningWeight = 0;
  /** Grants of the last minute, for `usedLastMinute`. */
  private granted: Array<{ at: number; weight: number }> = [];
  private readonly queue: Waiter[] = [];
  private wakeHandle: unknown = undefined;
  private wakeAt = Number.POSITIVE_INFINITY;
  private backoffState: Backoff | null = null;

  constructor(options: RequestBudgetOptions) {
    if (!(Number.isFinite(options.capacity) && options.capacity > 0)) throw new RangeError('capacity must be a positive number');
    const windowMs = options.windowMs ?? 5_000;
    if (!(Number.isFinite(windowMs) && windowMs > 0)) throw new RangeError('windowMs must be a positive number');
    this.capacity = options.capacity;
    this.windowMs = windowMs;
    this.timer = options.timer ?? systemBudgetTimer;
  }

  /**
   * Wait for `weight` tokens (a weight above the capacity takes the whole capacity), first come,
   * first served. Resolves with the release to call when the request is over; rejects with
   * RATE_LIMITED while a back-off is in force.
   */
  acquire(weight = 1, signal?: AbortSignal): Promise<Release> {
    const w = Math.min(this.capacity, Number.isFinite(weight) && weight > 0 ? weight : 1);
    const refused = this.refusal();
    if (refused) return Promise.reject(refused);
    if (signal?.aborted) return Promise.reject(cancelledError());
    return new Promise<Release>((resolve, reject) => {
      const waiter: Waiter = { weight: w, resolve, reject };
      if (signal) {
        // A cancelled call leaves the queue: its request is never sent.
        const onAbort = (): void => {
          const at = this.queue.indexOf(waiter);
          if (at < 0) return;
          this.queue.splice(at, 1);
          reject(cancelledError());
          this.pump();
        };
        signal.addEventListener('abort', onAbort, { once: true });
        waiter.resolve = (release) => {
          signal.removeEventListener('abort', onAbort);
          resolve(release);
        };
      }
      this.queue.push(waiter);
      this.pump();
    });
  }

  /**
   * Stop every request until `until` (epoch ms). A later back-off already in force is kept.
   * Requests waiting for tokens fail now with RATE_LIMITED.
   */
  backOff(reason: BackoffReason, until: number): void {
    if (!this.backoffState || until > this.backoffState.until) this.backoffState = { until, reason };
    const error = this.refusal();
    if (!error) return;
    for (const waiter of this.queue.splice(0)) waiter.reject(error);
    this.cancelWake();
  }

  /** Fail every request still waiting for tokens (the client is closing); later requests are served as usual. */
  rejectWaiting(error: AppError): void {
    for (const waiter of this.queue.splice(0)) waiter.reject(error);
    this.cancelWake();
  }

  /** The budget's clock, epoch ms. */
  now(): number {
    return this.timer.now();
  }

  /** The back-off in force now, or null. */
  backoff(): Backoff | null {
    const b = this.backoffState;
    if (b && this.timer.now() >= b.until) this.backoffState = null;
    return this.backoffState;
  }

  /** The RATE_LIMITED error a request gets now, or null when requests may go out. */
  refusal(): AppError | null {
    const b = this.backoff();
    if (!b) return null;
    const now = this.timer.now();
    const retryAt = new Date(b.until).toISOString();
    const why =
      b.reason === '403' ? 'blocked our IP for too many requests (HTTP 403)' : `rate-limited us (${b.reason === '429' ? 'HTTP 429' : `retCode ${b.reason}`})`;
    return new AppError('RATE_LIMITED', `The exchange ${why}; no request is sent before ${retryAt}`, {
      hint: `retry after ${retryAt}`,
      details: { retryAt, retryAfterMs: Math.max(0, b.until - now), reason: b.reason },
    });
  }

  status(): RequestBudgetStatus {
    const now = this.timer.now();
    this.expire(now);
    let used = 0;
    for (const g of this.granted) used += g.weight;
    return {
      capacity: this.capacity,
      windowMs: this.windowMs,
      refillPerSec: (this.capacity * 1000) / this.windowMs,
      available: this.available(),
      inFlight: this.inFlight,
      usedLastMinute: used,
      waiting: this.queue.length,
      backoff: this.backoff(),
    };
  }

  private available(): number {
    return this.capacity - this.inFlight - this.returningWeight;
  }

  /** Return the tokens whose time has come, and forget grants older than a minute. */
  private expire(now: number): void {
    let i = 0;
    while (i < this.returning.length && this.returning[i]!.at <= now) {
      this.returningWeight -= this.returning[i]!.weight;
      i += 1;
    }
    if (i > 0) this.returning.splice(0, i);
    if (this.returning.length === 0) this.returningWeight = 0; // no float drift
    let j = 0;
    while (j < this.granted.length && this.granted[j]!.at <= now - MINUTE_MS) j += 1;
    if (j > 0) this.granted.splice(0, j);
  }

  /** Serve the queue from its head while tokens last; otherwise wake when the next tokens return. */
  private pump(): void {
    if (this.queue.length === 0) return;
    const refused = this.refusal();
    if (refused) {
      for (const waiter of this.queue.splice(0)) waiter.reject(refused);
      return;
    }
    const now = this.timer.now();
    this.expire(now);
    while (this.queue.length > 0 && this.queue[0]!.weight <= this.available() + 1e-9) {
      const waiter = this.queue.shift()!;
      this.inFlight += waiter.weight;
      this.granted.push({ at: now, weight: waiter.weight });
      waiter.resolve(this.releaser(waiter.weight));
    }
    if (this.queue.length === 0) {
      this.cancelWake();
      return;
    }
    // The head waits for returning tokens; with none returning it waits for a release.
    const need = this.queue[0]!.weight - this.available();
    let freed = 0;
    for (const r of this.returning) {
      freed += r.weight;
      if (freed >= need - 1e-9) {
        this.wake(r.at);
        return;
      }
    }
    this.cancelWake();
  }

  private releaser(weight: number): Release {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.inFlight -= weight;
      if (this.inFlight < 1e-9) this.inFlight = 0;
      const at = this.timer.now() + this.windowMs;
      // Keep `returning` sorted even if the clock stepped back.
      let k = this.returning.length;
      while (k > 0 && this.returning[k - 1]!.at > at) k -= 1;
      this.returning.splice(k, 0, { at, weight });
      this.returningWeight += weight;
      this.pump();
    };
  }

  private wake(at: number): void {
    if (this.wakeHandle !== undefined && this.wakeAt === at) return;
    this.cancelWake();
    this.wakeAt = at;
    this.wakeHandle = this.timer.setTimeout(
      () => {
        this.wakeHandle = undefined;
        this.wakeAt = Number.POSITIVE_INFINITY;
        this.pump();
      },
      Math.max(0, at - this.timer.now()),
    );
  }

  private cancelWake(): void {
    if (this.wakeHandle !== undefined) this.timer.clearTimeout(this.wakeHandle);
    this.wakeHandle = undefined;
    this.wakeAt = Number.POSITIVE_INFINITY;
  }
}
