/** Bounded retries with exponential backoff and full jitter, for retryable AppErrors only. */
import { AppError, isAppError } from '../errors.js';

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
      const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
      const delay = Math.round(cap / 2 + (random() * cap) / 2);
      policy.onRetry?.(error, attempt + 1, delay);
      await sleep(delay);
    }
  }
}
