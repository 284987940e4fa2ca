/**
 * Bounded retries with exponential backoff and full jitter, for retryable AppErrors only.
 * An error that names its own wait (`details.retryAfterMs`, e.g. RATE_LIMITED during the
 * exchange back-off) is retried no earlier than that, and only when the wait is at most
 * `maxDelayMs`; a longer one is passed on at once (the caller decides, no request is wasted).
 */
import { type AppError, isAppError } from '../errors.js';

export interface RetryPolicy {
  /** Retries after the first attempt (0 = no retry). */
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  onRetry?: (error: AppError, attempt: number, delayMs: number) => void;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function withRetry<T>(policy: RetryPolicy, fn: () => Promise<T>): Promise<T> {
  const sleep = policy.sleep ?? defaultSleep;
  const random = policy.random ?? Math.random;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (!isAppError(error) || !error.retryable || attempt >= policy.retries) throw error;
      const wait = retryAfterMs(error);
      if (wait !== null && wait > policy.maxDelayMs) throw error;
      const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
      const delay = Math.max(wait ?? 0, Math.round(cap / 2 + (random() * cap) / 2));
      policy.onRetry?.(error, attempt + 1, delay);
      await sleep(delay);
    }
  }
}

function retryAfterMs(error: AppError): number | null {
  const v = error.details?.['retryAfterMs'];
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null;
}
