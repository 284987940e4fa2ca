/** Volume summary: last volume, SMA(20) of volume and relative volume (last / SMA). */
import type { Candle } from '../market/types.js';
import { must, requireHistory, toColumns } from './guards.js';
import { meanLast } from './indicators.js';
import { formatter, type Formatter } from './present.js';
import { PARAMS, REQUIREMENTS, SeriesCache } from './series-cache.js';
import type { AnalysisOptions, VolumeSummary } from './types.js';

/** Needs 20 closed candles. */
export function volume(candles: readonly Candle[], options: AnalysisOptions = {}): VolumeSummary {
  return volumeFrom(new SeriesCache(toColumns(candles)), formatter(options.precision));
}

export function volumeFrom(s: SeriesCache, f: Formatter): VolumeSummary {
  requireHistory(s.cols.n, REQUIREMENTS.volume);
  const i = s.last;
  const v = s.cols.volume[i]!;
  const avg = must(meanLast(s.cols.volume, PARAMS.volumeSma), 'volume SMA');
  return {
    asOf: s.iso(i),
    volume: f.price(v),
    sma20: f.price(avg),
    relative: avg > 0 ? f.ratio(v / avg) : null,
  };
}
