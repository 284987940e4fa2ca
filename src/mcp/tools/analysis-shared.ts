/** Input and output pieces shared by the analyze_* tools. */
import { z } from 'zod';
import { marketOut, symbolArg, timeframeArg } from '../schemas.js';

export const analysisInput = {
  symbol: symbolArg,
  timeframe: timeframeArg.default('1h'),
  candles: z.number().int().min(20).max(999).default(200),
};

export const analysisHeader = {
  symbol: z.string(),
  market: marketOut,
  timeframe: timeframeArg,
  candles: z.number(),
  asOf: z.string().describe('open time of the last closed candle used'),
  close: z.number(),
};

export const readOnlyMarket = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true } as const;

export const nullableNumber = z.number().nullable();
export const macdOut = z.object({
  macd: z.number(),
  signal: z.number(),
  histogram: z.number(),
  crossedAgo: nullableNumber,
  crossDirection: z.enum(['bullish', 'bearish']).nullable(),
});
export const bollingerOut = z.object({ upper: z.number(), middle: z.number(), lower: z.number(), percentB: z.number(), bandwidth: z.number() });
export const emaOut = z.object({ ema20: z.number(), ema50: z.number(), ema200: nullableNumber });
export const candlestickOut = z.object({ name: z.string(), time: z.string(), bias: z.enum(['bullish', 'bearish', 'neutral']) });
