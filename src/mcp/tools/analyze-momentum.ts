import { z } from 'zod';
import { analyzeMomentum } from '../../analysis/service.js';
import { defineTool } from '../define-tool.js';
import { analysisHeader, analysisInput, macdOut, readOnlyMarket } from './analysis-shared.js';

export const analyzeMomentumTool = defineTool({
  name: 'analyze_momentum',
  title: 'Momentum indicators (RSI, MACD)',
  description: 'Momentum indicators: RSI(14), MACD(12,26,9) with candles since the last cross, stochastic(14,3,3).',
  input: analysisInput,
  output: { ...analysisHeader, rsi: z.number(), flat: z.boolean(), macd: macdOut, stochastic: z.object({ k: z.number(), d: z.number() }) },
  annotations: readOnlyMarket,
  handler: ({ symbol, timeframe, candles }, deps) => analyzeMomentum(deps, symbol, timeframe, candles),
});
