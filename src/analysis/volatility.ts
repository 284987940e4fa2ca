/** Volatility summary: Bollinger(20,2) with %B and bandwidth, ATR(14) and ATR as % of price. */
import type { Candle } from '../market/types.js';
import { must, requireHistory, toColumns } from './guards.js';
import { formatter, type Formatter } from './present.js';
import { PARAMS, REQUIREMENTS, SeriesCache } from './series-cache.js';
import type { AnalysisOptions, VolatilitySummary } from './types.js';

/** Needs 20 closed candles (Bollinger); bandwidthPercentile needs 40. */
export function volatility(candles: readonly Candle[], options: AnalysisOptions = {}): VolatilitySummary {
  return volatilityFrom(new SeriesCache(toColumns(candles)), formatter(options.precision));
}

/** `withPercentile` false skips the bandwidth history (the snapshot does not report it). */
export function volatilityFrom(s: SeriesCache, f: Formatter, withPercentile = true): VolatilitySummary {
  requireHistory(s.cols.n, REQUIREMENTS.volatility);
  const i = s.last;
  const close = s.cols.close[i]!;
  const bb = withPercentile ? s.bollingerHistory : s.bollingerLast;
  const upper = must(bb.upper[i]!, 'Bollinger upper band');
  const middle = must(bb.middle[i]!, 'Bollinger middle band');
  const lower = must(bb.lower[i]!, 'Bollinger lower band');
  const width = upper - lower;
  const a = must(s.atr[i]!, 'ATR');
  return {
    asOf: s.iso(i),
    close: f.price(close),
    bollinger: {
      upper: f.price(upper),
      middle: f.price(middle),
      lower: f.price(lower),
      percentB: f.ratio(width > 0 ? (close - lower) / width : 0.5),
      bandwidth: f.ratio((width / middle) * 100),
    },
    atr: f.price(a),
    atrPct: f.ratio((a / close) * 100),
    bandwidthPercentile: withPercentile ? bandwidthPercentile(s, f) : null,
  };
}

function bandwidthPercentile(s: SeriesCache, f: Formatter): number | null {
  const bb = s.bollingerHistory;
  const i = s.last;
  const first = Math.max(PARAMS.bollinger.period - 1, i - PARAMS.bandwidthHistory + 1);
  if (i - first < 20) return null;
  const bw = (j: number): number => (bb.upper[j]! - bb.lower[j]!) / bb.middle[j]!;
  const current = bw(i);
  let below = 0;
  for (let j = first; j < i; j++) if (bw(j) < current) below++;
  return f.osc((100 * below) / (i - first));
}
