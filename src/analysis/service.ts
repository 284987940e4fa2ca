/**
 * The analysis features behind the analyze_* tools and fetch_technical_snapshot: fetch closed
 * candles through the cache-aware market port, then run the pure functions of this folder.
 * This is the only module of analysis/ that does I/O (through the port it is given).
 */
import { noProgress, progressCounter, type Progress } from '../shared/progress.js';
import { AppError, isAppError } from '../errors.js';
import { marketLabel } from '../market/symbols.js';
import type { Candle, MarketData, Timeframe } from '../market/types.js';
import { momentum, patterns, snapshot, trend, volatility, volume, type Snapshot, type SnapshotInput } from './index.js';
import type { MomentumSummary, PatternsSummary, TrendSummary, VolatilitySummary, VolumeSummary } from './types.js';

export const DEFAULT_CANDLES = 200;
export const DEFAULT_SNAPSHOT_TIMEFRAMES: Timeframe[] = ['15m', '1h', '4h'];

interface Header {
  symbol: string;
  market: 'perpetual' | 'spot';
  timeframe: Timeframe;
  candles: number;
}

async function closedCandles(deps: { market: MarketData }, symbol: string, timeframe: Timeframe, count: number) {
  const series = await deps.market.candles(symbol, timeframe, { limit: count });
  return { series, header: { symbol: series.symbol, market: marketLabel(series.market), timeframe, candles: series.candles.length } as Header };
}

export async function analyzeMomentum(deps: { market: MarketData }, symbol: string, timeframe: Timeframe, count = DEFAULT_CANDLES) {
  const { series, header } = await closedCandles(deps, symbol, timeframe, count);
  return { ...header, ...momentum(series.candles) } satisfies Header & MomentumSummary;
}

export async function analyzeVolatility(deps: { market: MarketData }, symbol: string, timeframe: Timeframe, count = DEFAULT_CANDLES) {
  const { series, header } = await closedCandles(deps, symbol, timeframe, count);
  return { ...header, ...volatility(series.candles) } satisfies Header & VolatilitySummary;
}

export async function analyzeTrend(deps: { market: MarketData }, symbol: string, timeframe: Timeframe, count = DEFAULT_CANDLES) {
  const { series, header } = await closedCandles(deps, symbol, timeframe, count);
  const v: VolumeSummary = volume(series.candles);
  return { ...header, ...trend(series.candles), volume: { last: v.volume, sma20: v.sma20, relative: v.relative } } satisfies Header &
    TrendSummary & { volume: unknown };
}

export async function analyzePatterns(deps: { market: MarketData }, symbol: string, timeframe: Timeframe, count = DEFAULT_CANDLES) {
  const { series, header } = await closedCandles(deps, symbol, timeframe, count);
  return { ...header, ...patterns(series.candles) } satisfies Header & PatternsSummary;
}

export interface TechnicalSnapshot extends Snapshot {
  symbol: string;
  market: 'perpetual' | 'spot';
}

/**
 * All timeframes fetched in parallel. One timeframe failing (exchange fault, too little history)
 * is reported under that timeframe and the others are still analysed; an unknown symbol fails
 * the whole call before any candle is fetched.
 */
export async function technicalSnapshot(
  deps: { market: MarketData },
  symbol: string,
  timeframes: readonly Timeframe[] = DEFAULT_SNAPSHOT_TIMEFRAMES,
  count = DEFAULT_CANDLES,
  progress: Progress = noProgress,
): Promise<TechnicalSnapshot> {
  const info = await deps.market.resolveSymbol(symbol);
  const unique = [...new Set(timeframes)];
  const step = progressCounter(progress, unique.length);
  const fetched = await Promise.all(
    unique.map(async (tf): Promise<[Timeframe, readonly Candle[] | { error: { code: string; message: string } }]> => {
      try {
        const { candles } = await deps.market.candles(info.symbol, tf, { limit: count });
        step(`${tf}: ${candles.length} candles`);
        return [tf, candles];
      } catch (error) {
        if (!isAppError(error) || error.code === 'CANCELLED') throw error;
        step(`${tf}: ${error.code}`);
        return [tf, { error: { code: error.code, message: error.message } }];
      }
    }),
  );
  const input: SnapshotInput = Object.fromEntries(fetched);
  try {
    return { symbol: info.symbol, market: marketLabel(info.type), ...snapshot(input) };
  } catch (error) {
    // Every timeframe failed: report the first fault's code (e.g. RATE_LIMITED) rather than a generic one.
    const failures = fetched.map(([, v]) => v).filter((v): v is { error: { code: string; message: string } } => 'error' in v);
    const first = failures.find((f) => f.error.code !== 'INSUFFICIENT_DATA') ?? failures[0];
    if (first && isAppError(error) && failures.length === unique.length) {
      throw new AppError(first.error.code as AppError['code'], `No timeframe could be analysed for ${info.symbol}: ${first.error.message}`, {
        hint: first.error.code === 'INSUFFICIENT_DATA' ? 'use shorter timeframes' : 'retry shortly',
      });
    }
    throw error;
  }
}
