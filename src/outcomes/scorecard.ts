/**
 * The signal scorecard (`cctrader scorecard`, get_signal_scorecard): is the analyst any good, and is
 * it worth what it costs? It first brings the outcomes up to date (evaluate.ts) and marks the paper
 * portfolios to market (so that stops and targets due are booked and the realized P&L is current),
 * then groups the window's signals.
 *
 * Per group: signals, decided (target, stop or expired), pending (horizon not over yet), hit rate =
 * targets ÷ decided (an expired signal is not a hit), average and total R of the decided ones
 * (target = its reward:risk, stop = −1 or worse on a gap, expired = where the price stood at the
 * horizon). Signals with unusable levels or no market data are left out of the rates (`unscored`).
 * Groups: confidence bucket (the calibration: does 80 beat 60?), analyst, direction, what the desk
 * did with the signal (executed, rejected, recorded below MIN_CONFIDENCE, failed), rejection code,
 * and symbol. Then the cost block (cost.ts).
 */
import type { Deps } from '../deps.js';
import { AppError, isAppError } from '../errors.js';
import { evaluateAllPortfolios } from '../trading/evaluate.js';
import { costReport, type CostReport } from './cost.js';
import { evaluateOutcomes, type OutcomeRun } from './evaluate.js';
import { loadScoredSignals, type AnalystFilter, type ScoredSignal } from './signals.js';

export const CONFIDENCE_BUCKETS = [
  { key: '<60', min: -Infinity, max: 60 },
  { key: '60-69', min: 60, max: 70 },
  { key: '70-79', min: 70, max: 80 },
  { key: '80-89', min: 80, max: 90 },
  { key: '90+', min: 90, max: Infinity },
] as const;

import { MAX_SCORECARD_SYMBOLS } from './vocabulary.js';

export { MAX_SCORECARD_SYMBOLS };
export const MAX_REJECTION_CODES = 8;

export interface GroupStats {
  key: string;
  signals: number;
  decided: number;
  pending: number;
  targets: number;
  stops: number;
  expired: number;
  /** Targets ÷ decided, %; null when nothing is decided. */
  hitRate: number | null;
  /** Mean result in R of the decided signals. */
  avgR: number | null;
  totalR: number;
}

export interface Totals extends GroupStats {
  /** Invalid levels or no market data: not in the rates. */
  unscored: number;
  avgMfeR: number | null;
  avgMaeR: number | null;
  medianHoursToTarget: number | null;
  medianHoursToStop: number | null;
}

export interface Scorecard {
  since: string | null;
  to: string;
  analyst: AnalystFilter | 'all';
  horizonHours: number;
  /** What bringing the outcomes up to date did first. */
  evaluation: OutcomeRun;
  totals: Totals;
  byConfidence: Array<GroupStats & { avgConfidence: number | null }>;
  byAnalyst: GroupStats[];
  byDirection: GroupStats[];
  /** executed / rejected / recorded / failed: did the risk rules turn away the right ones? */
  byStatus: GroupStats[];
  rejectedByCode: GroupStats[];
  bySymbol: { items: GroupStats[]; hasMore: boolean };
  cost: CostReport;
}

export interface ScorecardOptions {
  /** ISO time or a span back from now (`7d`, `12h`, `30m`); all signals when absent. */
  since?: string | undefined;
  analyst?: AnalystFilter | undefined;
  /** Bring the outcomes up to date first (default true). */
  evaluate?: boolean;
  evaluateLimit?: number;
}

const SPAN = /^(\d{1,5})\s*([dhm])$/i;
const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000 } as const;

/** `7d`, `12h`, `30m` back from `now`, or an ISO date/time. */
export function parseSince(text: string, now: number): number {
  const t = text.trim();
  const span = SPAN.exec(t);
  if (span) return now - Number(span[1]) * UNIT_MS[span[2]!.toLowerCase() as keyof typeof UNIT_MS];
  if (/^\d{4}-\d{2}-\d{2}/.test(t)) {
    const ms = Date.parse(t);
    if (Number.isFinite(ms)) return ms;
  }
  throw new AppError('INVALID_INPUT', `since must be an ISO date/time or a span like 7d, 12h, 30m (got ${JSON.stringify(t.slice(0, 40))})`, {
    hint: 'e.g. 7d or 2025-01-15T00:00:00Z',
  });
}

const round = (x: number, dp: number): number => {
  const f = 10 ** dp;
  return Math.round(x * f) / f;
};

const DECIDED = new Set(['take_profit', 'stop_loss', 'expired']);
const UNSCORED = new Set(['invalid', 'no_data']);

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const v = [...values].sort((a, b) => a - b);
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

export function groupStats(key: string, signals: readonly ScoredSignal[]): GroupStats {
  let decided = 0;
  let pending = 0;
  let targets = 0;
  let stops = 0;
  let expired = 0;
  let totalR = 0;
  for (const s of signals) {
    if (s.outcome === null || s.outcome === 'pending') pending++;
    if (s.outcome === null || !DECIDED.has(s.outcome)) continue;
    decided++;
    totalR += s.resultR ?? 0;
    if (s.outcome === 'take_profit') targets++;
    else if (s.outcome === 'stop_loss') stops++;
    else expired++;
  }
  return {
    key,
    signals: signals.length,
    decided,
    pending,
    targets,
    stops,
    expired,
    hitRate: decided ? round((targets / decided) * 100, 1) : null,
    avgR: decided ? round(totalR / decided, 3) : null,
    totalR: round(totalR, 2),
  };
}

function groupBy(signals: readonly ScoredSignal[], keyOf: (s: ScoredSignal) => string): Map<string, ScoredSignal[]> {
  const out = new Map<string, ScoredSignal[]>();
  for (const s of signals) {
    const k = keyOf(s);
    let list = out.get(k);
    if (!list) out.set(k, (list = []));
    list.push(s);
  }
  return out;
}

const groups = (signals: readonly ScoredSignal[], keyOf: (s: ScoredSignal) => string): GroupStats[] =>
  [...groupBy(signals, keyOf).entries()].map(([k, list]) => groupStats(k, list)).sort((a, b) => b.signals - a.signals || a.key.localeCompare(b.key));

export function confidenceBucket(confidence: number): string {
  return (CONFIDENCE_BUCKETS.find((b) => confidence >= b.min && confidence < b.max) ?? CONFIDENCE_BUCKETS[0]).key;
}

/** Every bucket, empty ones included, in order: the calibration chart's rows. */
export function calibration(signals: readonly ScoredSignal[]): Array<GroupStats & { avgConfidence: number | null }> {
  const by = groupBy(signals, (s) => confidenceBucket(s.confidence));
  return CONFIDENCE_BUCKETS.map((b) => {
    const list = by.get(b.key) ?? [];
    const avgConfidence = list.length ? round(list.reduce((sum, s) => sum + s.confidence, 0) / list.length, 1) : null;
    return { ...groupStats(b.key, list), avgConfidence };
  });
}

function totals(signals: readonly ScoredSignal[]): Totals {
  const decided = signals.filter((s) => s.outcome !== null && DECIDED.has(s.outcome));
  const hours = (reason: string) => decided.filter((s) => s.outcome === reason && s.timeToHitMs !== null).map((s) => s.timeToHitMs! / 3_600_000);
  const avg = (xs: number[]) => (xs.length ? round(xs.reduce((a, b) => a + b, 0) / xs.length, 2) : null);
  const toTarget = median(hours('take_profit'));
  const toStop = median(hours('stop_loss'));
  return {
    ...groupStats('all', signals),
    unscored: signals.filter((s) => s.outcome !== null && UNSCORED.has(s.outcome)).length,
    avgMfeR: avg(decided.map((s) => s.mfeR)),
    avgMaeR: avg(decided.map((s) => s.maeR)),
    medianHoursToTarget: toTarget === null ? null : round(toTarget, 2),
    medianHoursToStop: toStop === null ? null : round(toStop, 2),
  };
}

export async function getSignalScorecard(deps: Deps, options: ScorecardOptions = {}): Promise<Scorecard> {
  const now = deps.clock.now();
  const since = options.since === undefined ? null : parseSince(options.since, now);
  const analyst = options.analyst ?? null;
  let evaluation: OutcomeRun = { evaluated: 0, decided: {}, candlesRead: 0, requests: 0, errors: 0, hasMore: false };
  if (options.evaluate !== false) {
    evaluation = await evaluateOutcomes(deps, { limit: options.evaluateLimit });
    try {
      await evaluateAllPortfolios(deps);
    } catch (error) {
      // The market is unreachable: the P&L stands as of the last evaluation; the outcomes are still right.
      if (!isAppError(error)) throw error;
      deps.log.warn('scorecard: portfolios not marked to market', { code: error.code });
    }
  }
  const signals = await loadScoredSignals(deps.db, { since, analyst });
  const symbols = groups(signals, (s) => s.symbol);
  const rejected = signals.filter((s) => s.status === 'rejected');
  return {
    since: since === null ? null : new Date(since).toISOString(),
    to: new Date(now).toISOString(),
    analyst: analyst ?? 'all',
    horizonHours: deps.config.OUTCOME_HORIZON_HOURS,
    evaluation,
    totals: totals(signals),
    byConfidence: calibration(signals),
    byAnalyst: groups(signals, (s) => s.analyst),
    byDirection: groups(signals, (s) => s.direction),
    byStatus: groups(signals, (s) => s.status),
    rejectedByCode: groups(rejected, (s) => s.reasonCode ?? 'UNKNOWN').slice(0, MAX_REJECTION_CODES),
    bySymbol: { items: symbols.slice(0, MAX_SCORECARD_SYMBOLS), hasMore: symbols.length > MAX_SCORECARD_SYMBOLS },
    cost: await costReport(deps.db, { since, analyst }, signals),
  };
}
