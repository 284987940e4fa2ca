/** Input and output pieces shared by several tools. */
import { z } from 'zod';
import { TIMEFRAMES } from '../market/types.js';

export const symbolArg = z.string().min(1).max(40).describe('e.g. BTC/USDT, BTCUSDT or BTC/USDT:USDT');
export const timeframeArg = z.enum(TIMEFRAMES);
export const marketOut = z.enum(['perpetual', 'spot']);
export const isoOut = z.string();
export const compactCandleOut = z.object({ t: z.string(), o: z.number(), h: z.number(), l: z.number(), c: z.number(), v: z.number() });
