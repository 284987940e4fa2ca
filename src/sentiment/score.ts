/** The sentiment scale every source reports on: an integer from -100 (strongly bearish) through
 * 0 (neutral) to +100 (strongly bullish), and the label that names a band of it. Labels are always
 * derived here from the number, never taken from a third party. */

export const SENTIMENT_LABELS = ['strongly_bearish', 'bearish', 'neutral', 'bullish', 'strongly_bullish'] as const;
export type SentimentLabel = (typeof SENTIMENT_LABELS)[number];

/** Bands: |score| < 15 neutral, 15..49 bullish/bearish, >= 50 strongly. */
export function labelFor(score: number): SentimentLabel {
  if (score <= -50) return 'strongly_bearish';
  if (score <= -15) return 'bearish';
  if (score < 15) return 'neutral';
  if (score < 50) return 'bullish';
  return 'strongly_bullish';
}

/** Clamp to -100..100 and round to an integer; a non-finite value is not a score. */
export function clampScore(value: number): number {
  if (!Number.isFinite(value)) throw new RangeError('score must be finite');
  const rounded = Math.round(Math.max(-100, Math.min(100, value)));
  return rounded === 0 ? 0 : rounded; // no -0 in JSON
}

/** Weighted mean of the parts present, renormalised over their weights; null when none. */
export function weightedMean(parts: ReadonlyArray<{ score: number; weight: number }>): number | null {
  let sum = 0;
  let weights = 0;
  for (const p of parts) {
    if (!Number.isFinite(p.score) || !(p.weight > 0)) continue;
    sum += p.score * p.weight;
    weights += p.weight;
  }
  return weights > 0 ? sum / weights : null;
}
