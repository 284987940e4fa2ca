/**
 * What the market did after a signal, walked candle by candle. Pure.
 *
 * The levels are the signal's own: its entry price, stop-loss and take-profit, for every signal,
 * executed or not (the scorecard grades the proposal; fills, fees and slippage are in the paper
 * P&L). One R is |entry − stop|. Each candle is checked with the paper engine's own rule
 * (`checkCandle` in trading/triggers.ts), so an outcome agrees with how a paper position on the
 * same levels is closed:
 * - a candle opening beyond the stop gapped through it: stopped at the open (worse than −1R);
 * - a candle opening beyond the target: the target, never better;
 * - both levels inside one candle's range: the stop is taken to have come first.
 *
 * Excursions (MFE, MAE) are the best and worst price reached, in R from the entry: MFE ≥ 0,
 * MAE ≤ 0. Every candle before the deciding one counts in full. In the deciding candle a stop
 * counts only its exit price (its favourable extreme may have come after the stop), a target
 * counts the target and, unless it gapped open beyond it, the candle's adverse extreme (which
 * cannot have reached the stop, or the stop would have been taken first).
 */
import type { Candle } from '../market/types.js';
import { Dec, toDec } from '../shared/money.js';
import { checkCandle, type Direction } from '../trading/triggers.js';

export interface OutcomeLevels {
  direction: Direction;
  entry: Dec;
  stop: Dec;
  target: Dec;
}

export interface PathState {
  /** Most favourable price reached so far (high for a long, low for a short); null before any candle. */
  best: Dec | null;
  /** Most adverse price reached so far. */
  worst: Dec | null;
  /** Close of the last candle read. */
  lastClose: Dec | null;
}

export interface PathDecision {
  reason: 'take_profit' | 'stop_loss';
  /** Open time of the deciding candle, epoch ms. */
  at: number;
  /** The price the outcome is scored at: the target, the stop, or the open of a gap through the stop. */
  exit: Dec;
  gap: boolean;
}

export const EMPTY_PATH: PathState = { best: null, worst: null, lastClose: null };

/** A long needs stop < entry < target, a short target < entry < stop; anything else cannot be scored. */
export function validLevels(l: OutcomeLevels): boolean {
  if (!(l.entry.gt(0) && l.stop.gt(0) && l.target.gt(0))) return false;
  return l.direction === 'long' ? l.stop.lt(l.entry) && l.entry.lt(l.target) : l.target.lt(l.entry) && l.entry.lt(l.stop);
}

/** A price as a multiple of R from the entry, in the trade's favour (4 decimals). */
export function rMultiple(l: OutcomeLevels, price: Dec): number {
  const risk = l.entry.minus(l.stop).abs();
  const move = l.direction === 'long' ? price.minus(l.entry) : l.entry.minus(price);
  return move.div(risk).toDecimalPlaces(4, Dec.ROUND_HALF_EVEN).toNumber();
}

/** MFE (≥ 0) and MAE (≤ 0) in R from a path state. */
export function excursions(l: OutcomeLevels, s: PathState): { mfeR: number; maeR: number } {
  return {
    mfeR: s.best === null ? 0 : Math.max(0, rMultiple(l, s.best)),
    maeR: s.worst === null ? 0 : Math.min(0, rMultiple(l, s.worst)),
  };
}

function better(direction: Direction, a: Dec | null, b: Dec): Dec {
  if (a === null) return b;
  return direction === 'long' ? Dec.max(a, b) : Dec.min(a, b);
}

function worse(direction: Direction, a: Dec | null, b: Dec): Dec {
  if (a === null) return b;
  return direction === 'long' ? Dec.min(a, b) : Dec.max(a, b);
}

/**
 * Walk closed candles (ascending) from a state; stops at the first candle that decides the signal.
 * Returns the new state, the decision if any, and how many candles were consumed.
 */
export function walkCandles(l: OutcomeLevels, start: PathState, candles: readonly Candle[]): { state: PathState; decision: PathDecision | null; read: number } {
  const { direction } = l;
  let { best, worst, lastClose } = start;
  let read = 0;
  for (const c of candles) {
    read++;
    const favourable = toDec(direction === 'long' ? c.high : c.low);
    const adverse = toDec(direction === 'long' ? c.low : c.high);
    const hit = checkCandle({ direction, stop: l.stop, target: l.target }, c);
    if (hit) {
      if (hit.reason === 'stop_loss') {
        worst = worse(direction, worst, hit.reference);
      } else {
        best = better(direction, best, l.target);
        if (!hit.gap) worst = worse(direction, worst, adverse);
      }
      return {
        state: { best, worst, lastClose: toDec(c.close) },
        decision: { reason: hit.reason, at: hit.at, exit: hit.reference, gap: hit.gap },
        read,
      };
    }
    best = better(direction, best, favourable);
    worst = worse(direction, worst, adverse);
    lastClose = toDec(c.close);
  }
  return { state: { best, worst, lastClose }, decision: null, read };
}
