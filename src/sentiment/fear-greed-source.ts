/**
 * The Crypto Fear & Greed index (alternative.me), off by default (FEAR_GREED_ENABLED). One plain
 * GET; the answer is `{ data: [{ value: "40", value_classification: "Fear", timestamp: "<s>" }] }`.
 * It is market-wide, not about one coin. Score = (value - 50) x 2: 0 (extreme fear) -> -100,
 * 50 -> 0, 100 (extreme greed) -> +100. The upstream classification text is not used.
 */
import { AppError } from '../errors.js';
import type { Logger } from '../log.js';
import { clampScore } from './score.js';
import type { SentimentReading, SentimentSource } from './types.js';

export interface FearGreedOptions {
  url: string;
  log: Logger;
  now: () => number;
  /** Default 10 s. */
  timeoutMs?: number;
}

/** Largest body accepted; the real answer is about 300 bytes. */
const MAX_BODY = 64 * 1024;

export class FearGreedSource implements SentimentSource {
  readonly id = 'fear_greed' as const;

  constructor(private readonly options: FearGreedOptions) {}

  async read(): Promise<SentimentReading> {
    const timeoutMs = this.options.timeoutMs ?? 10_000;
    let response: Response;
    try {
      response = await fetch(this.options.url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
    } catch (error) {
      const name = (error as { name?: string } | null)?.name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new AppError('TIMEOUT', `The Fear & Greed index did not answer within ${timeoutMs} ms`, { cause: error, hint: 'retry shortly' });
      }
      throw new AppError('UPSTREAM_UNAVAILABLE', 'The Fear & Greed index could not be reached', {
        cause: error,
        hint: 'check FEAR_GREED_URL, or retry shortly',
      });
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => {});
      const status = response.status;
      if (status === 429)
        throw new AppError('RATE_LIMITED', 'The Fear & Greed index rate-limited the request', { hint: 'retry in a minute', details: { status } });
      if (status >= 500)
        throw new AppError('UPSTREAM_UNAVAILABLE', `The Fear & Greed index failed (HTTP ${status})`, { hint: 'retry shortly', details: { status } });
      throw new AppError('BAD_RESPONSE', `The Fear & Greed index refused the request (HTTP ${status})`, { hint: 'check FEAR_GREED_URL', details: { status } });
    }
    const text = await response.text().catch((error: unknown) => {
      throw new AppError('UPSTREAM_UNAVAILABLE', 'The Fear & Greed answer was cut off', { cause: error, hint: 'retry shortly' });
    });
    const point = text.length <= MAX_BODY ? parseIndex(text) : null;
    if (!point) {
      this.options.log.debug('fear & greed answer unreadable', { bytes: text.length });
      throw new AppError('BAD_RESPONSE', 'The Fear & Greed index sent an unreadable answer', { retryable: true, hint: 'retry later, or check FEAR_GREED_URL' });
    }
    const score = clampScore((point.value - 50) * 2);
    return {
      score,
      asOf: point.time ?? this.options.now(),
      reasons: [`Crypto Fear & Greed ${point.value}/100 (market-wide, not this coin)`],
      inputs: { index: point.value },
    };
  }
}

function parseIndex(text: string): { value: number; time: number | null } | null {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return null;
  }
  const first = (body as { data?: unknown } | null)?.data;
  const row = Array.isArray(first) ? (first[0] as Record<string, unknown> | undefined) : undefined;
  if (!row) return null;
  const raw = row['value'];
  if (!(typeof raw === 'number' || (typeof raw === 'string' && /^\d{1,3}$/.test(raw.trim())))) return null;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 100) return null;
  const seconds = Number(row['timestamp']);
  return { value, time: Number.isFinite(seconds) && seconds > 1e9 ? seconds * 1000 : null };
}
