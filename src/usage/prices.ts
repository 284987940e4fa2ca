/**
 * Our own price of Claude tokens: the configured list prices (USD per million tokens) times the
 * four token counts of a request. The SDK prices every run too (its `costUSD`); both are stored,
 * and a report shows both. Money is decimal.js; USD strings carry at most 10 decimal places.
 */
import type { Config } from '../config.js';
import { Dec, toDec } from '../shared/money.js';

/** USD per million tokens. */
export interface TokenPrices {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

export interface TokenCounts {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

/** Claude Sonnet 4.5 list prices (the settings' defaults). */
export const LIST_PRICES: TokenPrices = { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 };

/** Decimal places of a stored USD amount. */
export const USD_DP = 10;

export function configuredPrices(
  config: Pick<Config, 'CLAUDE_COST_PER_1M_INPUT' | 'CLAUDE_COST_PER_1M_OUTPUT' | 'CLAUDE_COST_PER_1M_CACHE_READ' | 'CLAUDE_COST_PER_1M_CACHE_WRITE'>,
): TokenPrices {
  return {
    input: config.CLAUDE_COST_PER_1M_INPUT,
    output: config.CLAUDE_COST_PER_1M_OUTPUT,
    cacheRead: config.CLAUDE_COST_PER_1M_CACHE_READ,
    cacheWrite: config.CLAUDE_COST_PER_1M_CACHE_WRITE,
  };
}

/** The price of these tokens, USD, rounded to USD_DP places. */
export function priceTokens(t: TokenCounts, p: TokenPrices): Dec {
  return toDec(t.inputTokens)
    .times(p.input)
    .plus(toDec(t.outputTokens).times(p.output))
    .plus(toDec(t.cacheReadTokens).times(p.cacheRead))
    .plus(toDec(t.cacheWriteTokens).times(p.cacheWrite))
    .div(1_000_000)
    .toDecimalPlaces(USD_DP, Dec.ROUND_HALF_EVEN);
}

export const ZERO_TOKENS: TokenCounts = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };

export function addTokens(a: TokenCounts, b: TokenCounts): TokenCounts {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    cacheReadTokens: a.cacheReadTokens + b.cacheReadTokens,
    cacheWriteTokens: a.cacheWriteTokens + b.cacheWriteTokens,
  };
}

/** What a request counts toward a window's token figure: input, output and cache writes. Cache
 * reads are left out, as Anthropic's own rate limits leave them out of input tokens per minute. */
export function windowTokens(t: TokenCounts): number {
  return t.inputTokens + t.outputTokens + t.cacheWriteTokens;
}
