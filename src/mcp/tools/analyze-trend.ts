import { z } from 'zod';
import { analyzeTrend } from '../../analysis/service.js';
import { defineTool } from '../define-tool.js';
import { analysisHeader, analysisInput, emaOut, readOnlyMarket } from './analysis-shared.js';

export const analyzeTrendTool = defineTool({
  name: 'analyze_trend',
  title: 'Trend indicators (EMA, ADX)',
  description: 'Trend indicators: EMA 20/50/200, ADX(14) ±DI, direction, strength (ADX ≥25 strong), volume vs SMA20.',
  input: analysisInput,
  output: {
    ...analysisHeader,
    ema: emaOut,
    adx: z.number(),
    plusDI: z.number(),
    minusDI: z.number(),
    direction: z.enum(['up', 'down', 'sideways']),
    strength: z.enum(['strong', 'moderate', 'weak']),
    notes: z.array(z.string()),
    volume: z.object({ last: z.number(), sma20: z.number(), relative: z.number().nullable() }),
  },
  annotations: readOnlyMarket,
  handler: ({ symbol, timeframe, candles }, deps) => analyzeTrend(deps, symbol, timeframe, candles),
});
