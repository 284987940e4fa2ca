/**
 * The closed set of error codes the desk speaks. Every failure a user or a model can see carries
 * one of these; `retryable` says whether the same call may succeed later.
 */
export const ERROR_CODES = [
  'INVALID_INPUT',
  'NOT_FOUND',
  'RATE_LIMITED',
  'UPSTREAM_UNAVAILABLE',
  'TIMEOUT',
  'AUTH',
  'BAD_RESPONSE',
  'INSUFFICIENT_DATA',
  'CONFIG',
  'CONFLICT',
  'BUDGET_EXCEEDED',
  'HALTED',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

const RETRYABLE: ReadonlySet<ErrorCode> = new Set(['RATE_LIMITED', 'UPSTREAM_UNAVAILABLE', 'TIMEOUT']);

export interface AppErrorOptions {
  hint?: string;
  retryable?: boolean;
  cause?: unknown;
  /** Small, safe, structured facts (numbers, ids) that explain the error. Never upstream text. */
  details?: Record<string, unknown>;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.hint = options.hint;
    this.retryable = options.retryable ?? RETRYABLE.has(code);
    this.details = options.details;
  }

  /** `CODE: message. Hint: ...` — the one line a model or a terminal user sees. */
  toLine(): string {
    const msg = this.message.replace(/[.\s]+$/, '');
    return this.hint ? `${this.code}: ${msg}. Hint: ${this.hint}` : `${this.code}: ${msg}.`;
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

/** Codes that mean "the upstream could not answer now" (as opposed to "the request was wrong"). */
const UNAVAILABLE: ReadonlySet<ErrorCode> = new Set(['RATE_LIMITED', 'UPSTREAM_UNAVAILABLE', 'TIMEOUT', 'BAD_RESPONSE']);

/** True for an AppError saying an upstream (the exchange, a sentiment source) could not answer now. */
export function isUnavailable(e: unknown): e is AppError {
  return isAppError(e) && UNAVAILABLE.has(e.code);
}
