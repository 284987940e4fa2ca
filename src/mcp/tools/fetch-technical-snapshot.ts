import { z } from 'zod';
import { DEFAULT_CANDLES, DEFAULT_SNAPSHOT_TIMEFRAMES, technicalSnapshot } from '../../analysis/service.js';
import type { Timeframe } from '../../market/types.js';
import { defineTool } from '../define-tool.js';
import { marketOut, symbolArg, timeframeArg } from '../schemas.js';
import { bollingerOut, candlestickOut, emaOut, macdOut, readOnlyMarket } from './analysis-shared.js';

const timeframeSummary = z.object({
  asOf: z.string(),
  close: z.number(),
  bias: z.enum(['bullish', 'bearish', 'neutral']),
  trend: z.object({
    direction: z.enum(['up', 'down', 'sideways']),
    strength: z.enum(['strong', 'moderate', 'weak']),
    ema: emaOut,
    adx: z.number(),
    plusDI: z.number(),
    minusDI: z.number(),
  }),
  momentum: z.object({ rsi: z.number(), flat: z.literal(true).optional(), macd: macdOut, stochastic: z.object({ k: z.number(), d: z.number() }) }),
  volatility: z.object({ bollinger: bollingerOut, atr: z.number(), atrPct: z.number() }),
  volume: z.object({ relative: z.number().nullable() }),
  patterns: z.object({
    candlestick: z.array(candlestickOut),
    support: z.number().nullable(),
    resistance: z.number().nullable(),
    divergence: z.object({ type: z.enum(['bullish', 'bearish']), candlesAgo: z.number() }).nullable(),
  }),
  notes: z.array(z.string()).optional(),
});
const timeframeFailure = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

const level = z.object({ price: z.number(), timeframe: timeframeArg, distancePct: z.number() }).nullable();

export const fetchTechnicalSnapshotTool = defineTool({
  name: 'fetch_technical_snapshot',
  title: 'Technical analysis snapshot (indicators, timeframes)',
  description:
    'Technical analysis across timeframes; start here for a trade. Per timeframe bias, trend, momentum, volatility, volume, patterns; alignment, key levels, stopDistance (1.5 ATR).',
  input: {
    symbol: symbolArg,
    timeframes: z.array(timeframeArg).min(1).max(4).default(DEFAULT_SNAPSHOT_TIMEFRAMES),
  },
  output: {
    symbol: z.string(),
    market: marketOut,
    alignment: z.enum(['bullish', 'bearish', 'mixed']),
    reasons: z.array(z.string()),
    price: z.number(),
    asOf: z.string(),
    keyLevels: z.object({ support: level, resistance: level }),
    stopDistance: z.object({ timeframe: timeframeArg, atr: z.number(), multiple: z.number(), price: z.number(), pct: z.number() }),
    timeframes: z.partialRecord(timeframeArg, z.union([timeframeSummary, timeframeFailure])),
  },
  annotations: readOnlyMarket,
  handler: ({ symbol, timeframes }, deps, { progress }) => technicalSnapshot(deps, symbol, timeframes, DEFAULT_CANDLES, progress),
  view: {
    name: 'candles',
    data: async (_args, out, deps, { binding }) =>
      (await import('../../charts/candles.js')).snapshotChart(deps, {
        symbol: out.symbol,
        market: out.market,
        timeframes: Object.entries(out.timeframes).flatMap(([timeframe, s]) => (s && 'asOf' in s ? [{ timeframe: timeframe as Timeframe, asOf: s.asOf }] : [])),
        keyLevels: out.keyLevels,
        count: DEFAULT_CANDLES,
        portfolio: binding?.portfolio,
      }),
  },
});
