/**
 * Presentation rounding, applied only when building summaries (never inside a computation).
 *
 * - prices and price-like levels (EMA, bands, ATR, support/resistance, stop): 7 significant digits
 *   (67123.45 stays exact, 0.00001234567 keeps its precision);
 * - MACD values (price differences, any magnitude): 4 significant digits;
 * - 0–100 oscillators (RSI, stochastic, ADX, ±DI): 2 decimals;
 * - percentages and ratios (atrPct, bandwidth, %B, relative volume): 3 significant digits.
 * `full` keeps every digit (tests, and callers that do their own rounding).
 */
export type Precision = 'display' | 'full';

export interface Formatter {
  price(x: number): number;
  macd(x: number): number;
  osc(x: number): number;
  ratio(x: number): number;
}

/** Round to significant digits (arithmetic, not toPrecision: this runs ~100 times per snapshot). */
function sig(x: number, digits: number): number {
  if (x === 0 || !Number.isFinite(x)) return x === 0 ? 0 : x;
  const p = digits - 1 - Math.floor(Math.log10(Math.abs(x)));
  if (p > 300) return 0; // below 1e-294: nothing a reader could use, and 10**p would overflow
  let r: number;
  if (p > 0) {
    const m = 10 ** p;
    r = Math.round(x * m) / m;
  } else {
    const m = 10 ** -p;
    r = Math.round(x / m) * m;
  }
  return r === 0 ? 0 : r;
}

function dec2(x: number): number {
  const r = Math.round(x * 100) / 100;
  return r === 0 ? 0 : r;
}

const identity = (x: number): number => x;

const DISPLAY: Formatter = {
  price: (x) => sig(x, 7),
  macd: (x) => sig(x, 4),
  osc: dec2,
  ratio: (x) => sig(x, 3),
};

const FULL: Formatter = { price: identity, macd: identity, osc: identity, ratio: identity };

export function formatter(precision: Precision = 'display'): Formatter {
  return precision === 'full' ? FULL : DISPLAY;
}

/** ISO-8601 UTC for an epoch-ms open time. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
