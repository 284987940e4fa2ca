import { z } from 'zod';
import { analyzeVolatility } from '../../analysis/service.js';
import { defineTool } from '../define-tool.js';
import { analysisHeader, analysisInput, bollingerOut, readOnlyMarket } from './analysis-shared.js';

export const analyzeVolatilityTool = defineTool({
  name: 'analyze_volatility',
  title: 'Volatility indicators (Bollinger, ATR)',
  description: 'Volatility indicators: Bollinger(20,2) %B and bandwidth, ATR(14), bandwidthPercentile (low = squeeze).',
  input: analysisInput,
  output: { ...analysisHeader, bollinger: bollingerOut, atr: z.number(), atrPct: z.number(), bandwidthPercentile: z.number().nullable() },
  annotations: readOnlyMarket,
  handler: ({ symbol, timeframe, candles }, deps) => analyzeVolatility(deps, symbol, timeframe, candles),
});
