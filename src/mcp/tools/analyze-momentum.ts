import { z } from 'zod';
import { analyzeMomentum } from '../../analysis/service.js';
import { defineTool } from '../define-tool.js';
import { analysisHeader, analysisInput, macdOut, readOnlyMarket } from './analysis-shared.js';

export const analyzeMomentumTool = defineTool({
  name: 'analyze_momentum',
  title: 'Momentum (RSI, MACD, stochastic)',
  description:
    'RSI(14) Wilder (50 with flat:true when prices did not move), MACD(12,26,9) line/signal/histogram with candles since the last cross, slow stochastic(14,3,3). Closed candles only; TA-Lib conventions.',
  input: analysisInput,
  output: { ...analysisHeader, rsi: z.number(), flat: z.boolean(), macd: macdOut, stochastic: z.object({ k: z.number(), d: z.number() }) },
  annotations: readOnlyMarket,
  handler: ({ symbol, timeframe, candles }, deps) => analyzeMomentum(deps, symbol, timeframe, candles),
});
