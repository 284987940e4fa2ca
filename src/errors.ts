/**
 * The closed set of error codes the desk speaks. Every failure a user or a model can see carries
 * one of these; `retryable` says whether the same call may succeed later.
 */
export const ERROR_CODES = [
  'INVALID_INPUT',
  'DATABASE',
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
  'CANCELLED',
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

/** The class names along an error's prototype chain (works without importing the library that threw it). */
export function classNames(error: unknown): string[] {
  const names: string[] = [];
  let proto = error !== null && typeof error === 'object' ? Object.getPrototypeOf(error) : null;
  while (proto && proto !== Object.prototype) {
    const name = (proto.constructor as { name?: string } | undefined)?.name;
    if (name) names.push(name);
    proto = Object.getPrototypeOf(proto);
  }
  return names;
}

const errorCode = (error: unknown): string => (error !== null && typeof error === 'object' && 'code' in error ? String((error as { code: unknown }).code) : '');
const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

const TLS_CODE = /^(ERR_SSL_|ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|EPROTO$|HOSTNAME_MISMATCH$)/;

/**
 * What went wrong on the way to a server, in our words (never its text): a DNS failure, a refused
 * or reset connection, a TLS failure. Null when the error is not a network failure.
 */
export function networkCause(error: unknown): string | null {
  const code = errorCode(error);
  const text = errorText(error);
  if (TLS_CODE.test(code))
    return `the TLS connection failed (${code}): check the URL (https to an http port?), a proxy that intercepts TLS, or the system clock`;
  const sys = /\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE)\b/.exec(`${code} ${text}`)?.[1];
  if (!sys) return null;
  if (sys === 'ENOTFOUND' || sys === 'EAI_AGAIN') {
    const host = /(?:getaddrinfo \w+ )([A-Za-z0-9.-]{1,253})/.exec(text)?.[1];
    return `the DNS lookup${host ? ` of ${host}` : ''} failed (${sys}): check the network, DNS and the configured URL`;
  }
  const what: Record<string, string> = {
    ECONNREFUSED: 'the connection was refused',
    ECONNRESET: 'the connection was reset',
    ETIMEDOUT: 'the connection timed out',
    EHOSTUNREACH: 'the host is unreachable',
    ENETUNREACH: 'the network is unreachable',
    EPIPE: 'the connection was closed',
  };
  return `${what[sys]} (${sys}): check the network and the configured URL`;
}

/** SQLite result codes (better-sqlite3's SqliteError.code) and what they mean for the file. */
function databaseError(code: string, path: string): AppError {
  const file = path === ':memory:' ? 'the in-memory database' : `the database file ${path}`;
  if (/^SQLITE_(NOTADB|CORRUPT)/.test(code)) {
    return new AppError('DATABASE', `${capital(file)} is corrupt or not a cctrader database (${code})`, {
      hint: 'nothing was changed; restore it from a backup, or move it aside so a new one is created (DB_PATH or --db-path chooses the file)',
    });
  }
  if (/^SQLITE_(READONLY|CANTOPEN|PERM|AUTH)/.test(code)) {
    return new AppError('DATABASE', `${capital(file)} cannot be opened for writing (${code})`, {
      hint: 'make the file and its folder writable by this user, or set DB_PATH (or --db-path) to a writable place',
    });
  }
  if (/^SQLITE_(BUSY|LOCKED)/.test(code)) {
    return new AppError('DATABASE', `${capital(file)} is locked by another process (${code})`, {
      retryable: true,
      hint: 'another program holds a write lock on it (a backup, a SQLite shell, a stuck process); retry when it is done',
    });
  }
  if (/^SQLITE_FULL/.test(code)) return new AppError('DATABASE', `The disk holding ${file} is full (${code})`, { hint: 'free disk space and retry' });
  return new AppError('DATABASE', `${capital(file)} could not be read or written (${code})`, {
    hint: 'check the disk and the file; the log on stderr has the details',
  });
}

const capital = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * Anything thrown, as an AppError with its real cause: ours as it is; a native module built for
 * another Node.js; a SQLite failure on the database file; a network failure; else INTERNAL.
 */
export function toAppError(error: unknown, context: { dbPath?: string | undefined } = {}): AppError {
  if (error instanceof AppError) return error;
  const code = errorCode(error);
  if (code === 'ERR_DLOPEN_FAILED' || /NODE_MODULE_VERSION|was compiled against a different Node\.js/.test(errorText(error))) {
    return new AppError('CONFIG', 'The SQLite module (better-sqlite3) was built for another Node.js version than this one', {
      cause: error,
      hint: 'run `npm rebuild better-sqlite3` in the cctrader folder (after switching Node versions, rebuild once)',
    });
  }
  if (code.startsWith('SQLITE_') || classNames(error).includes('SqliteError')) {
    const e = databaseError(code || 'SQLITE_ERROR', context.dbPath ?? 'the database');
    return new AppError(e.code, e.message, { cause: error, hint: e.hint, retryable: e.retryable });
  }
  const network = networkCause(error);
  if (network) return new AppError('UPSTREAM_UNAVAILABLE', 'A server could not be reached', { cause: error, hint: network });
  return new AppError('INTERNAL', 'Unexpected failure', { cause: error, hint: 'this is a bug in cctrader; the details are on stderr' });
}
