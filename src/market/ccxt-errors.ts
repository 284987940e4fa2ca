/** Translating ccxt exceptions into our codes. Upstream text (exchange bodies, URLs) stays in
 * the `cause` for the log; the message a model or user sees is ours. */
import { AppError, classNames, networkCause } from '../errors.js';

export function translateCcxtError(error: unknown, what: string): AppError {
  if (error instanceof AppError) return error;
  const names = classNames(error);
  const is = (n: string) => names.includes(n);
  const opts = { cause: error };
  if (is('RateLimitExceeded') || is('DDoSProtection')) {
    return new AppError('RATE_LIMITED', `The exchange rate-limited ${what}`, { ...opts, hint: 'retry in a few seconds' });
  }
  if (is('RequestTimeout')) {
    return new AppError('TIMEOUT', `The exchange did not answer ${what} in time`, { ...opts, hint: 'retry shortly' });
  }
  // TLS and DNS failures: ccxt passes some through as plain errors; either way the cause is named.
  const network = networkCause(error);
  if (network && !is('RequestTimeout')) {
    return new AppError('UPSTREAM_UNAVAILABLE', `The exchange could not be reached for ${what}`, { ...opts, hint: `${network}; retry when it is fixed` });
  }
  if (is('ExchangeNotAvailable') || is('NetworkError')) {
    return new AppError('UPSTREAM_UNAVAILABLE', `The exchange is unavailable for ${what}`, { ...opts, hint: 'retry shortly' });
  }
  if (is('AuthenticationError')) {
    return new AppError('AUTH', `The exchange refused the API credentials for ${what}`, {
      ...opts,
      hint: 'check BYBIT_API_KEY and BYBIT_API_SECRET (market data needs no key; unset them to use public data only)',
    });
  }
  if (is('BadSymbol')) {
    return new AppError('NOT_FOUND', `The exchange does not list the symbol for ${what}`, opts);
  }
  if (is('BadResponse') || is('NullResponse') || error instanceof SyntaxError) {
    return new AppError('BAD_RESPONSE', `The exchange sent an unreadable answer to ${what}`, { ...opts, retryable: true, hint: 'retry shortly' });
  }
  if (is('NotSupported')) {
    return new AppError('INVALID_INPUT', `The exchange does not support ${what}`, opts);
  }
  if (is('BadRequest') || is('ExchangeError')) {
    return new AppError('BAD_RESPONSE', `The exchange rejected ${what}`, opts);
  }
  return new AppError('INTERNAL', `Unexpected failure during ${what}`, opts);
}
