/** Momentum summary: RSI(14), MACD(12,26,9) with its last signal-line cross, slow stochastic(14,3,3). */
import type { Candle } from '../market/types.js';
import { must, requireHistory, toColumns } from './guards.js';
import { formatter, type Formatter } from './present.js';
import { REQUIREMENTS, SeriesCache } from './series-cache.js';
import type { AnalysisOptions, Cross, MomentumSummary } from './types.js';

/** Needs 34 closed candles (MACD signal). */
export function momentum(candles: readonly Candle[], options: AnalysisOptions = {}): MomentumSummary {
  return momentumFrom(new SeriesCache(toColumns(candles)), formatter(options.precision));
}

export function momentumFrom(s: SeriesCache, f: Formatter): MomentumSummary {
  requireHistory(s.cols.n, REQUIREMENTS.momentum);
  const i = s.last;
  const r = s.rsi;
  const m = s.macd;
  const st = s.stochastic;
  const cross = lastCross(m.histogram);
  return {
    asOf: s.iso(i),
    close: f.price(s.cols.close[i]!),
    rsi: f.osc(must(r.values[i]!, 'RSI')),
    flat: r.flat,
    macd: {
      macd: f.macd(must(m.macd[i]!, 'MACD')),
      signal: f.macd(must(m.signal[i]!, 'MACD signal')),
      histogram: f.macd(must(m.histogram[i]!, 'MACD histogram')),
      crossedAgo: cross ? cross.ago : null,
      crossDirection: cross ? cross.direction : null,
    },
    stochastic: { k: f.osc(must(st.k[i]!, 'stochastic %K')), d: f.osc(must(st.d[i]!, 'stochastic %D')) },
  };
}

/**
 * Last sign change of the histogram (MACD − signal), ignoring exact zeros: the cross candle is the
 * first candle on the new side. `ago` counts candles from it to the last candle (0 = last candle).
 */
export function lastCross(histogram: ArrayLike<number>): { ago: number; direction: Cross } | null {
  const last = histogram.length - 1;
  let i = last;
  let side = 0;
  let firstOnSide = -1;
  for (; i >= 0; i--) {
    const h = histogram[i]!;
    if (Number.isNaN(h)) return null;
    if (h === 0) continue;
    const sgn = h > 0 ? 1 : -1;
    if (side === 0) side = sgn;
    if (sgn !== side) return { ago: last - firstOnSide, direction: side > 0 ? 'bullish' : 'bearish' };
    firstOnSide = i;
  }
  return null;
}
