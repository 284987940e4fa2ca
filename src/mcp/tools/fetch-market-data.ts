import { z } from 'zod';
import { getCandleReport } from '../../market/quotes.js';
import { defineTool } from '../define-tool.js';
import { compactCandleOut, isoOut, marketOut, symbolArg, timeframeArg } from '../schemas.js';

export const fetchMarketDataTool = defineTool({
  name: 'fetch_market_data',
  title: 'Price candles (OHLCV)',
  description: 'Price candles (OHLCV): summary of `lookback` closed candles, the last `limit` and the forming one.',
  input: {
    symbol: symbolArg,
    timeframe: timeframeArg.default('1h'),
    limit: z.number().int().min(1).max(100).default(10).describe('candles listed'),
    lookback: z.number().int().min(1).max(500).default(100).describe('candles summarised'),
  },
  output: {
    symbol: z.string(),
    market: marketOut,
    timeframe: timeframeArg,
    asOf: isoOut.describe('open time of the last closed candle'),
    summary: z.object({
      candles: z.number(),
      from: isoOut,
      open: z.number(),
      high: z.number(),
      low: z.number(),
      close: z.number(),
      changePct: z.number(),
      rangePct: z.number(),
      avgVolume: z.number(),
      lastVolumeVsAvg: z.number().nullable(),
    }),
    candles: z.array(compactCandleOut),
    forming: compactCandleOut.nullable(),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  handler: ({ symbol, timeframe, limit, lookback }, deps) => getCandleReport(deps, symbol, timeframe, Math.max(lookback, limit), limit),
  view: {
    name: 'candles',
    data: async (_args, out, deps, { binding }) =>
      (await import('../../charts/candles.js')).marketDataChart(deps, {
        symbol: out.symbol,
        market: out.market,
        timeframe: out.timeframe,
        asOf: out.asOf,
        candles: out.summary.candles,
        forming: out.forming,
        portfolio: binding?.portfolio,
      }),
  },
});
