import { z } from 'zod';
import { analyzePatterns } from '../../analysis/service.js';
import { defineTool } from '../define-tool.js';
import { analysisHeader, analysisInput, candlestickOut, readOnlyMarket } from './analysis-shared.js';

const swing = z.object({ time: z.string(), price: z.number() });

export const analyzePatternsTool = defineTool({
  name: 'analyze_patterns',
  title: 'Chart patterns and levels',
  description: 'Chart patterns: candlesticks of the last 3 candles, swings, nearest support and resistance, RSI divergence.',
  input: analysisInput,
  output: {
    ...analysisHeader,
    candlestick: z.array(candlestickOut),
    support: z.number().nullable(),
    resistance: z.number().nullable(),
    swingHighs: z.array(swing),
    swingLows: z.array(swing),
    divergence: z
      .object({
        type: z.enum(['bullish', 'bearish']),
        from: z.string(),
        to: z.string(),
        price: z.array(z.number()),
        rsi: z.array(z.number()),
        candlesAgo: z.number(),
      })
      .nullable(),
  },
  annotations: readOnlyMarket,
  handler: ({ symbol, timeframe, candles }, deps) => analyzePatterns(deps, symbol, timeframe, candles),
});
