import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { translateCcxtError } from '../../src/market/ccxt-errors.js';
import { withRetry } from '../../src/market/retry.js';
import { SymbolIndex } from '../../src/market/symbols.js';
import type { MarketInfo } from '../../src/market/types.js';

const market = (base: string, type: 'swap' | 'spot'): MarketInfo => ({
  symbol: type === 'swap' ? `${base}/USDT:USDT` : `${base}/USDT`,
  id: `${base}USDT`,
  base,
  quote: 'USDT',
  type,
  active: true,
  tickSize: 0.1,
  qtyStep: 0.001,
  minQty: 0.001,
  minNotional: 5,
  contractSize: 1,
});

const markets = ['BTC', 'ETH', 'SOL', 'DOGE'].flatMap((b) => [market(b, 'swap'), market(b, 'spot')]);

describe('symbol resolution', () => {
  const perps = new SymbolIndex(markets, 'swap');
  const spot = new SymbolIndex(markets, 'spot');

  it.each(['BTC/USDT', 'BTCUSDT', 'BTC/USDT:USDT', 'btc/usdt', ' btcusdt ', 'BTC'])('resolves %j to the perpetual', (input) => {
    expect(perps.resolve(input).symbol).toBe('BTC/USDT:USDT');
  });

  it('resolves to the spot pair when the market type is spot', () => {
    expect(spot.resolve('BTC/USDT:USDT').symbol).toBe('BTC/USDT');
    expect(spot.resolve('ETHUSDT').symbol).toBe('ETH/USDT');
  });

  it('answers an unknown symbol with NOT_FOUND and the closest real symbols', () => {
    try {
      perps.resolve('BTX/USDT');
      expect.unreachable();
    } catch (e) {
      const err = e as AppError;
      expect(err.code).toBe('NOT_FOUND');
      expect(err.hint).toContain('BTC/USDT');
    }
  });

  it('rejects garbage as INVALID_INPUT without echoing it at length', () => {
    const err = (() => {
      try {
        perps.resolve('DROP TABLE; ' + 'x'.repeat(1000));
      } catch (e) {
        return e as AppError;
      }
    })();
    expect(err?.code).toBe('INVALID_INPUT');
    expect(err?.message.length).toBeLessThan(200);
  });
});

class RateLimitExceeded extends Error {}
class RequestTimeout extends Error {}
class ExchangeNotAvailable extends Error {}
class AuthenticationError extends Error {}
class BadSymbol extends Error {}

describe('exchange fault translation', () => {
  it.each([
    [new RateLimitExceeded('bybit {"retCode":10006}'), 'RATE_LIMITED', true],
    [new RequestTimeout('timed out'), 'TIMEOUT', true],
    [new ExchangeNotAvailable('502 <html>'), 'UPSTREAM_UNAVAILABLE', true],
    [new AuthenticationError('bad key'), 'AUTH', false],
    [new BadSymbol('bybit does not have market symbol'), 'NOT_FOUND', false],
  ] as const)('%s becomes %s', (error, code, retryable) => {
    const translated = translateCcxtError(error, 'fetching tickers');
    expect(translated.code).toBe(code);
    expect(translated.retryable).toBe(retryable);
    // upstream text never reaches the message
    expect(translated.message).not.toContain(error.message);
  });
});

describe('retry', () => {
  it('retries retryable faults a bounded number of times', async () => {
    let calls = 0;
    const delays: number[] = [];
    await expect(
      withRetry({ retries: 2, baseDelayMs: 100, maxDelayMs: 1000, sleep: async (ms) => void delays.push(ms), random: () => 1 }, async () => {
        calls++;
        throw new AppError('RATE_LIMITED', 'slow down');
      }),
    ).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    expect(calls).toBe(3);
    expect(delays).toEqual([100, 200]);
  });

  it('waits at least the time an error names (a short exchange back-off), and passes a long one on at once', async () => {
    const delays: number[] = [];
    let calls = 0;
    const backoff = (retryAfterMs: number) => new AppError('RATE_LIMITED', 'backing off', { details: { retryAt: 'x', retryAfterMs } });
    const value = await withRetry({ retries: 3, baseDelayMs: 100, maxDelayMs: 4000, sleep: async (ms) => void delays.push(ms), random: () => 0 }, async () => {
      calls++;
      if (calls === 1) throw backoff(1500);
      return 'ok';
    });
    expect(value).toBe('ok');
    expect(delays).toEqual([1500]);

    calls = 0;
    await expect(
      withRetry({ retries: 3, baseDelayMs: 100, maxDelayMs: 4000, sleep: async (ms) => void delays.push(ms) }, async () => {
        calls++;
        throw backoff(600_000);
      }),
    ).rejects.toMatchObject({ code: 'RATE_LIMITED', details: { retryAfterMs: 600_000 } });
    expect(calls).toBe(1);
  });

  it('does not retry what a retry cannot fix', async () => {
    let calls = 0;
    await expect(
      withRetry({ retries: 5, baseDelayMs: 1, maxDelayMs: 1, sleep: async () => {} }, async () => {
        calls++;
        throw new AppError('NOT_FOUND', 'no such symbol');
      }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(calls).toBe(1);
  });
});

describe('the coin a question names', () => {
  it('finds pairs, capitals, plain coins and well-known names; never common words', async () => {
    const { findSymbolInText } = await import('../../src/market/symbol-in-text.js');
    const m = (base: string) => ({
      symbol: `${base}/USDT:USDT`,
      id: `${base}USDT`,
      base,
      quote: 'USDT',
      type: 'swap' as const,
      active: true,
      tickSize: 0.01,
      qtyStep: 0.01,
      minQty: 0.01,
      minNotional: 5,
      contractSize: 1,
    });
    const markets = ['BTC', 'ETH', 'SOL', 'NEAR', 'ME', 'ONE', 'IS', 'OP'].map(m);
    const find = (q: string) => findSymbolInText(q, markets)?.base ?? null;
    expect(find('how is SOL doing?')).toBe('SOL');
    expect(find('how is sol doing?')).toBe('SOL');
    expect(find('thoughts on ethusdt')).toBe('ETH');
    expect(find('is bitcoin near support?')).toBe('BTC');
    expect(find('is NEAR oversold?')).toBe('NEAR');
    expect(find('tell me about one thing: is it up?')).toBeNull();
    expect(find('what should I do today?')).toBeNull();
  });
});
