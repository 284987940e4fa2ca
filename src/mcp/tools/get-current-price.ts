import { z } from 'zod';
import { getPriceQuote } from '../../market/quotes.js';
import { defineTool } from '../define-tool.js';
import { isoOut, marketOut, symbolArg } from '../schemas.js';

const n = z.number().nullable();

export const getCurrentPriceTool = defineTool({
  name: 'get_current_price',
  title: 'Current price',
  description: 'Live price quote: last, bid, ask, spread, 24h change, range, volume, turnover; perpetuals add funding. ≤2 s old.',
  input: { symbol: symbolArg },
  output: {
    symbol: z.string(),
    market: marketOut,
    last: z.number(),
    bid: n,
    ask: n,
    spread: n,
    spreadPct: n,
    change24hPct: n,
    high24h: n,
    low24h: n,
    volume24h: n,
    turnover24hUsd: n,
    fundingRatePct: n,
    nextFundingTime: isoOut.nullable(),
    asOf: isoOut,
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  handler: ({ symbol }, deps) => getPriceQuote(deps, symbol),
});
