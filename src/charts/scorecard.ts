/** The scorecard view's data (get_signal_scorecard, `scorecard --html`): the calibration chart's buckets. */
import type { ScorecardBucket, ScorecardChart } from './types.js';

/** A group of the scorecard as the answer gives it (the chart's bucket without its confidence). */
type Group = Omit<ScorecardBucket, 'avgConfidence'>;

export interface ScorecardLike {
  since: string | null;
  to: string;
  analyst: string;
  horizonHours: number;
  totals: Group;
  byConfidence: Array<Group & { avgConfidence: number | null }>;
}

/** Pure: the same numbers the answer gives, shaped for the chart. */
export function scorecardChart(card: ScorecardLike): ScorecardChart {
  const t = card.totals;
  return {
    view: 'scorecard',
    since: card.since,
    to: card.to,
    analyst: card.analyst,
    horizonHours: card.horizonHours,
    totals: { signals: t.signals, decided: t.decided, hitRate: t.hitRate, avgR: t.avgR },
    buckets: card.byConfidence.map((b) => ({
      key: b.key,
      signals: b.signals,
      decided: b.decided,
      pending: b.pending,
      targets: b.targets,
      stops: b.stops,
      expired: b.expired,
      hitRate: b.hitRate,
      avgR: b.avgR,
      avgConfidence: b.avgConfidence,
    })),
  };
}
