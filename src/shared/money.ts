/**
 * Ledger arithmetic. Every amount in the ledger is a decimal.js value, stored as a plain decimal
 * string; money is rounded to 1e-8 USDT (MONEY_DP) at the point of booking, so sums of booked
 * amounts are exact. Market prices arrive as numbers and are converted once, through their
 * shortest decimal representation (`toDec(67250.1)` is exactly 67250.1).
 */
import { Decimal } from 'decimal.js';

/** A private Decimal constructor: 40 significant digits, never exponent notation in strings. */
export const Dec = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_EVEN, toExpNeg: -40, toExpPos: 40 });
export type Dec = InstanceType<typeof Dec>;

/** Decimal places of booked money (USDT). */
export const MONEY_DP = 8;
/** 1e-8 USDT per unit of the *_units integer columns. */
export const UNITS_PER_USDT = new Dec(10).pow(MONEY_DP);

export const ZERO = new Dec(0);

export function toDec(value: number | string | Dec): Dec {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
    return new Dec(String(value));
  }
  return new Dec(value);
}

/** Round an amount of money to the booking precision. */
export function money(value: Dec): Dec {
  return value.toDecimalPlaces(MONEY_DP, Decimal.ROUND_HALF_EVEN);
}

/** The stored form: plain decimal string. */
export function str(value: Dec): string {
  return value.toFixed();
}

/** A booked amount in integer 1e-8 USDT units (a bigint: exact beyond 2^53). */
export function units(value: Dec): bigint {
  return BigInt(money(value).times(UNITS_PER_USDT).toFixed(0));
}

/** SUM(*_units) read back as text (exact int64) into a decimal amount of USDT. */
export function fromUnits(value: string | number | bigint | null | undefined): Dec {
  if (value === null || value === undefined) return ZERO;
  return new Dec(String(value)).div(UNITS_PER_USDT);
}

/** Round down to a multiple of `step` (quantities). */
export function floorToStep(value: Dec, step: Dec | null): Dec {
  if (!step || step.lte(0)) return value;
  return value.div(step).floor().times(step);
}

/** For output: money as a number with 4 decimals (display only, never fed back into the ledger). */
export function usd(value: Dec): number {
  return value.toDecimalPlaces(4, Decimal.ROUND_HALF_EVEN).toNumber();
}

/** For output: a price as a number with 7 significant digits (the README's rounding). */
export function num(value: Dec): number {
  return value.toSignificantDigits(7, Decimal.ROUND_HALF_EVEN).toNumber();
}

/** For output: a quantity or step as a number, exactly as stored (quantities are multiples of the step). */
export function qty(value: Dec): number {
  return value.toNumber();
}

/** For output: a percentage with 2 decimals; null when the base is zero. */
export function pct(part: Dec, whole: Dec): number | null {
  if (whole.isZero()) return null;
  return part.div(whole).times(100).toDecimalPlaces(2, Decimal.ROUND_HALF_EVEN).toNumber();
}
