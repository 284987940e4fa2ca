/**
 * Candlestick patterns on the last few closed candles.
 *
 * Multi-candle patterns use `technicalindicators`' detectors, fed exactly the candles of the
 * pattern, with a few extra checks where a detector is looser than the textbook pattern (noted
 * below). Single-candle shapes (doji, hammer family) are our own: the library compares body and
 * shadows with a tolerance of 0.1% of the price, which on intraday crypto candles (whole ranges
 * often under 0.1%) flags almost every candle. We use TA-Lib's approach instead: sizes relative to
 * the candle's range and to the average range of the 10 previous candles.
 *
 * `technicalindicators` costs ~25 ms to import, so it is loaded on first use, not at start-up.
 */
import { createRequire } from 'node:module';
import type { Columns } from './guards.js';
import type * as TechnicalIndicators from 'technicalindicators';
import type { PatternBias } from './types.js';

type Ti = typeof TechnicalIndicators;
type StockData = { open: number[]; high: number[]; low: number[]; close: number[] };

let ti: Ti | undefined;
function lib(): Ti {
  ti ??= createRequire(import.meta.url)('technicalindicators') as Ti;
  return ti;
}

export interface PatternHit {
  name: string;
  bias: PatternBias;
  /** Index of the pattern's last candle. */
  index: number;
}

interface LibraryPattern {
  name: string;
  bias: PatternBias;
  size: number;
  detect: (t: Ti, d: StockData) => boolean;
  /** Extra textbook condition on the pattern's candles (end = index of the last one). */
  guard?: (c: Columns, end: number) => boolean;
}

const LIBRARY_PATTERNS: readonly LibraryPattern[] = [
  { name: 'bullish engulfing', bias: 'bullish', size: 2, detect: (t, d) => t.bullishengulfingpattern(d) === true },
  { name: 'bearish engulfing', bias: 'bearish', size: 2, detect: (t, d) => t.bearishengulfingpattern(d) === true },
  { name: 'morning star', bias: 'bullish', size: 3, detect: (t, d) => t.morningstar(d) === true },
  { name: 'evening star', bias: 'bearish', size: 3, detect: (t, d) => t.eveningstar(d) === true },
  {
    name: 'three white soldiers',
    bias: 'bullish',
    size: 3,
    detect: (t, d) => t.threewhitesoldiers(d) === true,
    // The detector does not require each open inside the previous body nor rising closes.
    guard: (c, e) => c.close[e - 2]! < c.close[e - 1]! && c.close[e - 1]! < c.close[e]! && c.open[e - 1]! > c.open[e - 2]! && c.open[e]! > c.open[e - 1]!,
  },
  {
    name: 'three black crows',
    bias: 'bearish',
    size: 3,
    detect: (t, d) => t.threeblackcrows(d) === true,
    guard: (c, e) => c.close[e - 2]! > c.close[e - 1]! && c.close[e - 1]! > c.close[e]!,
  },
  {
    name: 'piercing line',
    bias: 'bullish',
    size: 2,
    detect: (t, d) => t.piercingline(d) === true,
    // Closing above the first candle's open would be an engulfing, not a piercing line.
    guard: (c, e) => c.close[e]! < c.open[e - 1]!,
  },
  { name: 'dark cloud cover', bias: 'bearish', size: 2, detect: (t, d) => t.darkcloudcover(d) === true },
  {
    name: 'bullish harami',
    bias: 'bullish',
    size: 2,
    detect: (t, d) => t.bullishharami(d) === true,
    // The second body must sit inside the first one.
    guard: (c, e) => c.close[e]! < c.open[e - 1]!,
  },
  { name: 'bearish harami', bias: 'bearish', size: 2, detect: (t, d) => t.bearishharami(d) === true },
];

/** Candles of context the own shape detectors need before the candle examined. */
const CONTEXT = 10;

/**
 * Patterns whose last candle is one of the last `lookback` candles, oldest first.
 * Every hit is reported with the index of its last candle.
 */
export function detectCandlesticks(c: Columns, lookback = 3): PatternHit[] {
  const hits: PatternHit[] = [];
  const first = Math.max(CONTEXT, c.n - lookback);
  for (let e = first; e < c.n; e++) {
    const shape = shapeAt(c, e);
    if (shape) hits.push(shape);
    // One window per pattern size, shared by the detectors (they only read it).
    const windows: Array<StockData | undefined> = [];
    for (const p of LIBRARY_PATTERNS) {
      const data = (windows[p.size] ??= windowOf(c, e - p.size + 1, e));
      if (p.detect(lib(), data) && (p.guard === undefined || p.guard(c, e))) {
        hits.push({ name: p.name, bias: p.bias, index: e });
      }
    }
  }
  return hits;
}

function windowOf(c: Columns, start: number, end: number): StockData {
  const d: StockData = { open: [], high: [], low: [], close: [] };
  for (let j = start; j <= end; j++) {
    d.open.push(c.open[j]!);
    d.high.push(c.high[j]!);
    d.low.push(c.low[j]!);
    d.close.push(c.close[j]!);
  }
  return d;
}

/**
 * Single-candle shapes at index i (needs i >= CONTEXT):
 * - hammer family: lower shadow >= 2× body and >= 60% of the range, upper shadow <= 10% of the
 *   range, range >= half the average range of the previous 10 candles. After a decline (close of
 *   the previous candle below the close 4 candles earlier) it is a hammer (bullish); after a rise
 *   a hanging man (bearish).
 * - inverted family: the mirror image; shooting star after a rise (bearish), inverted hammer after
 *   a decline (bullish).
 * - doji (TA-Lib): body <= 10% of the average range of the previous 10 candles; neutral.
 * A candle gets at most one of these names (hammer family first).
 */
function shapeAt(c: Columns, i: number): PatternHit | null {
  const o = c.open[i]!;
  const h = c.high[i]!;
  const l = c.low[i]!;
  const cl = c.close[i]!;
  const range = h - l;
  if (!(range > 0)) return null;
  let avgRange = 0;
  for (let j = i - CONTEXT; j < i; j++) avgRange += c.high[j]! - c.low[j]!;
  avgRange /= CONTEXT;
  const body = Math.abs(cl - o);
  const upper = h - Math.max(o, cl);
  const lower = Math.min(o, cl) - l;
  const prior = c.close[i - 1]! - c.close[i - 5]!;
  if (range >= 0.5 * avgRange && prior !== 0) {
    if (lower >= 2 * body && lower >= 0.6 * range && upper <= 0.1 * range) {
      return prior < 0 ? { name: 'hammer', bias: 'bullish', index: i } : { name: 'hanging man', bias: 'bearish', index: i };
    }
    if (upper >= 2 * body && upper >= 0.6 * range && lower <= 0.1 * range) {
      return prior > 0 ? { name: 'shooting star', bias: 'bearish', index: i } : { name: 'inverted hammer', bias: 'bullish', index: i };
    }
  }
  if (body <= 0.1 * avgRange) return { name: 'doji', bias: 'neutral', index: i };
  return null;
}
