/**
 * Stop-loss and take-profit evaluation over the price path since the last check. Pure.
 *
 * Rules, per candle in time order (then the latest price for the still-forming candle):
 * - A candle that opens beyond the stop gapped through it: the stop fills at the open (worse).
 * - A candle that opens beyond the target fills the target at the target (never better).
 * - When both levels sit inside one candle's range, the stop is assumed to have come first.
 * - The latest price beyond the stop fills at the worse of the stop and that price.
 */
import type { Candle, Timeframe } from '../market/types.js';
import { TIMEFRAME_MS } from '../market/types.js';
import type { Dec } from '../shared/money.js';
import { toDec } from '../shared/money.js';

export type Direction = 'long' | 'short';
export type ExitReason = 'stop_loss' | 'take_profit';

export interface ProtectiveLevels {
  direction: Direction;
  stop: Dec | null;
  target: Dec | null;
}

export interface Trigger {
  reason: ExitReason;
  /** When it happened: the candle's open time, or `now` for the latest price. */
  at: number;
  /** The price the exit order is assumed to meet (before spread, depth and fees). */
  reference: Dec;
  /** The price had gapped through the level. */
  gap: boolean;
}

/** `a` is beyond `level` against a long's stop (below it) or a short's stop (above it). */
function pastStop(direction: Direction, price: Dec, stop: Dec): boolean {
  return direction === 'long' ? price.lte(stop) : price.gte(stop);
}

function pastTarget(direction: Direction, price: Dec, target: Dec): boolean {
  return direction === 'long' ? price.gte(target) : price.lte(target);
}

export function checkCandle(levels: ProtectiveLevels, candle: Candle): Trigger | null {
  const { direction, stop, target } = levels;
  const open = toDec(candle.open);
  if (stop && pastStop(direction, open, stop)) return { reason: 'stop_loss', at: candle.time, reference: open, gap: !open.eq(stop) };
  if (target && pastTarget(direction, open, target)) return { reason: 'take_profit', at: candle.time, reference: target, gap: !open.eq(target) };
  const adverse = toDec(direction === 'long' ? candle.low : candle.high);
  const favourable = toDec(direction === 'long' ? candle.high : candle.low);
  if (stop && pastStop(direction, adverse, stop)) return { reason: 'stop_loss', at: candle.time, reference: stop, gap: false };
  if (target && pastTarget(direction, favourable, target)) return { reason: 'take_profit', at: candle.time, reference: target, gap: false };
  return null;
}

export function checkPrice(levels: ProtectiveLevels, last: Dec, now: number): Trigger | null {
  const { direction, stop, target } = levels;
  if (stop && pastStop(direction, last, stop)) return { reason: 'stop_loss', at: now, reference: last, gap: !last.eq(stop) };
  if (target && pastTarget(direction, last, target)) return { reason: 'take_profit', at: now, reference: target, gap: false };
  return null;
}

/** The first trigger along closed candles (ascending) and then the latest price. */
export function findTrigger(levels: ProtectiveLevels, candles: readonly Candle[], last: Dec | null, now: number): Trigger | null {
  for (const candle of candles) {
    const hit = checkCandle(levels, candle);
    if (hit) return hit;
  }
  return last ? checkPrice(levels, last, now) : null;
}

/**
 * Which candles to read for a position: the coarsest needed so that the span since the last
 * check fits in one page of 1000 candles (1m for up to ~16 hours, then 5m, 15m, 1h, 4h, 1d).
 * Coarser candles only make "both levels in one candle" more frequent, and that case is
 * resolved against us.
 */
export function candleTimeframe(spanMs: number): Timeframe {
  for (const tf of ['1m', '5m', '15m', '1h', '4h'] as const) {
    if (spanMs <= TIMEFRAME_MS[tf] * 1000) return tf;
  }
  return '1d';
}

/**
 * The window of closed candles still to check: from the candle containing the last check
 * (it was only seen through the latest price then) but never the candle containing the entry,
 * whose high and low include prices from before the fill. Returns null when no candle in it
 * has closed yet.
 */
export function candleWindow(openedAt: number, lastEvaluatedAt: number, now: number, tf: Timeframe): { from: number } | null {
  const step = TIMEFRAME_MS[tf];
  const afterEntry = Math.floor(openedAt / step) * step + step;
  const from = Math.max(afterEntry, Math.floor(lastEvaluatedAt / step) * step);
  return from + step <= now ? { from } : null;
}

/** Funding times in (from, to], on the exchange's schedule (anchored at its next funding time). */
export function fundingTimes(from: number, to: number, intervalHours: number, anchor: number | null): number[] {
  const step = intervalHours * 3_600_000;
  if (!(step > 0) || to <= from) return [];
  const base = anchor ?? 0;
  const first = base + Math.floor((from - base) / step) * step + step;
  const out: number[] = [];
  for (let t = first; t <= to && out.length < 1000; t += step) out.push(t);
  return out;
}
