/** Input and output pieces shared by several tools. */
import { z } from 'zod';
import { TIMEFRAMES } from '../market/types.js';

/** Any accepted spelling (BTC/USDT, BTCUSDT, BTC/USDT:USDT): the server instructions say so once. */
export const symbolArg = z.string().min(1).max(40);
export const timeframeArg = z.enum(TIMEFRAMES);
export const marketOut = z.enum(['perpetual', 'spot']);
export const isoOut = z.string();
export const compactCandleOut = z.object({ t: z.string(), o: z.number(), h: z.number(), l: z.number(), c: z.number(), v: z.number() });
