/**
 * Multi-timeframe technical snapshot: a compact summary of trend, momentum, volatility, volume and
 * patterns per timeframe, a cross-timeframe alignment verdict with its reasons, the nearest key
 * levels and an ATR-based stop distance. Sized for an LLM: about 1 KB per timeframe.
 *
 * Per-timeframe bias (score from -5 to +5): trend direction up/down ±2; MACD histogram above/below
 * zero ±1; RSI >= 55 / <= 45 ±1 (0 in between or when flat); close above/below EMA50 ±1.
 * bullish at >= 3, bearish at <= -3, else neutral.
 * Alignment: bullish when no timeframe is bearish and more than half are bullish; bearish mirrors
 * that; anything else is mixed.
 */
import { AppError, ERROR_CODES, type ErrorCode } from '../errors.js';
import { TIMEFRAME_MS, TIMEFRAMES, type Candle, type Timeframe } from '../market/types.js';
import { must, requireHistory, toColumns } from './guards.js';
import { momentumFrom } from './momentum.js';
import { patternsFrom } from './patterns.js';
import { formatter, type Formatter, type Precision } from './present.js';
import { PARAMS, REQUIREMENTS, SeriesCache } from './series-cache.js';
import { nearestLevels } from './swings.js';
import { trendFrom } from './trend.js';
import type { BollingerSummary, Cross, MacdSummary, CandlestickPattern, TrendDirection, TrendStrength } from './types.js';
import { volatilityFrom } from './volatility.js';
import { volumeFrom } from './volume.js';

/**
 * A timeframe that could not be fetched or analysed; it is reported, the others still are.
 * `message` is shown to the model: pass our own AppError text, never an upstream body.
 */
export interface TimeframeFailure {
  error: { code: string; message: string };
}

function isFailure(x: unknown): x is TimeframeFailure {
  if (typeof x !== 'object' || x === null || !('error' in x)) return false;
  const e = (x as { error: unknown }).error;
  return typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string' && typeof (e as { message?: unknown }).message === 'string';
}

/** Closed candles (ascending) per timeframe, or the failure that prevented fetching them. */
export type SnapshotInput = Partial<Record<Timeframe, readonly Candle[] | TimeframeFailure>>;

export interface SnapshotOptions {
  precision?: Precision;
  /** ATR multiple for `stopDistance`. Default 1.5. */
  stopAtrMultiple?: number;
}

export type Bias = 'bullish' | 'bearish' | 'neutral';
export type Alignment = 'bullish' | 'bearish' | 'mixed';

export interface TimeframeSnapshot {
  asOf: string;
  close: number;
  bias: Bias;
  trend: {
    direction: TrendDirection;
    strength: TrendStrength;
    ema: { ema20: number; ema50: number; ema200: number | null };
    adx: number;
    plusDI: number;
    minusDI: number;
  };
  momentum: {
    rsi: number;
    /** Present (true) only when the RSI window was flat (RSI reported as 50). */
    flat?: true;
    macd: MacdSummary;
    stochastic: { k: number; d: number };
  };
  volatility: { bollinger: BollingerSummary; atr: number; atrPct: number };
  volume: { relative: number | null };
  patterns: {
    candlestick: CandlestickPattern[];
    support: number | null;
    resistance: number | null;
    divergence: { type: Cross; candlesAgo: number } | null;
  };
  /** Present only when something is missing (e.g. EMA200 with fewer than 200 candles). */
  notes?: string[];
}

export interface KeyLevel {
  price: number;
  timeframe: Timeframe;
  /** Distance from the snapshot price, percent (always positive). */
  distancePct: number;
}

export interface StopDistance {
  timeframe: Timeframe;
  atr: number;
  multiple: number;
  /** multiple × ATR, in price units. */
  price: number;
  /** price / close of that timeframe × 100. */
  pct: number;
}

export interface Snapshot {
  alignment: Alignment;
  reasons: string[];
  /** Last close of the shortest analysed timeframe, and its candle's open time. */
  price: number;
  asOf: string;
  /** Nearest swing level below/above `price` across all analysed timeframes, at least 0.25 ATR away. */
  keyLevels: { support: KeyLevel | null; resistance: KeyLevel | null };
  /** ATR-based stop distance from the middle analysed timeframe (by duration). */
  stopDistance: StopDistance;
  timeframes: Partial<Record<Timeframe, TimeframeSnapshot | TimeframeFailure>>;
}

const SNAPSHOT_REQUIREMENTS = [...REQUIREMENTS.momentum, ...REQUIREMENTS.volatility, ...REQUIREMENTS.trend, ...REQUIREMENTS.volume, ...REQUIREMENTS.patterns];

/** Reasons mention a MACD cross / divergence only when it is this recent (candles). */
const RECENT = 5;
const RECENT_DIVERGENCE = 10;
/** Key levels closer to the price than this many ATRs (shortest timeframe) are skipped. */
const KEY_LEVEL_MIN_ATR = 0.25;

interface Analysed {
  tf: Timeframe;
  cache: SeriesCache;
  summary: TimeframeSnapshot;
}

/** Needs 50 closed candles per timeframe; 200 for EMA200 (reported as null below that). */
export function snapshot(input: SnapshotInput, options: SnapshotOptions = {}): Snapshot {
  const f = formatter(options.precision);
  const multiple = options.stopAtrMultiple ?? 1.5;
  if (!(multiple > 0) || !Number.isFinite(multiple)) {
    throw new AppError('INVALID_INPUT', `stopAtrMultiple must be a finite number > 0, got ${String(multiple)}`);
  }
  const keys = Object.keys(input).filter((k) => input[k as Timeframe] !== undefined);
  if (keys.length === 0) throw new AppError('INVALID_INPUT', 'Snapshot needs at least one timeframe');
  for (const k of keys) {
    if (!(TIMEFRAMES as readonly string[]).includes(k)) {
      throw new AppError('INVALID_INPUT', `Unsupported timeframe "${k}"`, { hint: `Use one of ${TIMEFRAMES.join(', ')}.` });
    }
  }
  const tfs = (keys as Timeframe[]).sort((a, b) => TIMEFRAME_MS[a] - TIMEFRAME_MS[b]);

  const timeframes: Partial<Record<Timeframe, TimeframeSnapshot | TimeframeFailure>> = {};
  const ok: Analysed[] = [];
  const failed: Array<[Timeframe, TimeframeFailure]> = [];
  for (const tf of tfs) {
    const entry = input[tf]!;
    if (!Array.isArray(entry)) {
      if (!isFailure(entry)) {
        throw new AppError('INVALID_INPUT', `Timeframe ${tf} must be a candle array or { error: { code, message } }`);
      }
      const failure = entry;
      timeframes[tf] = failure;
      failed.push([tf, failure]);
      continue;
    }
    try {
      const cache = new SeriesCache(toColumns(entry));
      requireHistory(cache.cols.n, SNAPSHOT_REQUIREMENTS);
      const summary = summarise(cache, f);
      timeframes[tf] = summary;
      ok.push({ tf, cache, summary });
    } catch (e) {
      if (!(e instanceof AppError) || (e.code !== 'INSUFFICIENT_DATA' && e.code !== 'INVALID_INPUT')) throw e;
      const failure: TimeframeFailure = { error: { code: e.code, message: e.message } };
      timeframes[tf] = failure;
      failed.push([tf, failure]);
    }
  }

  if (ok.length === 0) {
    const first = failed[0]![1].error;
    const code: ErrorCode = (ERROR_CODES as readonly string[]).includes(first.code) ? (first.code as ErrorCode) : 'INSUFFICIENT_DATA';
    const detail = failed.map(([tf, fl]) => `${tf}: ${fl.error.message}`).join('; ');
    throw new AppError(code, `No timeframe could be analysed (${detail})`);
  }

  const base = ok[0]!;
  const price = base.cache.cols.close[base.cache.last]!;
  const { alignment, reasons } = verdict(ok, failed);
  return {
    alignment,
    reasons,
    price: f.price(price),
    asOf: base.summary.asOf,
    keyLevels: keyLevels(ok, price, f),
    stopDistance: stopDistance(ok, multiple, f),
    timeframes,
  };
}

function summarise(s: SeriesCache, f: Formatter): TimeframeSnapshot {
  const t = trendFrom(s, f);
  const m = momentumFrom(s, f);
  const v = volatilityFrom(s, f, false);
  const vol = volumeFrom(s, f);
  const p = patternsFrom(s, f, { window: PARAMS.swingWindow, maxSwings: 0, lookback: 3 });
  // Scored on the values shown to the reader, so the verdict can be checked against them.
  let score = t.direction === 'up' ? 2 : t.direction === 'down' ? -2 : 0;
  score += Math.sign(m.macd.histogram);
  if (!m.flat) score += m.rsi >= 55 ? 1 : m.rsi <= 45 ? -1 : 0;
  score += Math.sign(t.close - t.ema.ema50);
  const bias: Bias = score >= 3 ? 'bullish' : score <= -3 ? 'bearish' : 'neutral';
  const out: TimeframeSnapshot = {
    asOf: t.asOf,
    close: t.close,
    bias,
    trend: { direction: t.direction, strength: t.strength, ema: t.ema, adx: t.adx, plusDI: t.plusDI, minusDI: t.minusDI },
    momentum: { rsi: m.rsi, macd: m.macd, stochastic: m.stochastic },
    volatility: { bollinger: v.bollinger, atr: v.atr, atrPct: v.atrPct },
    volume: { relative: vol.relative },
    patterns: {
      candlestick: p.candlestick,
      support: p.support,
      resistance: p.resistance,
      divergence: p.divergence && { type: p.divergence.type, candlesAgo: p.divergence.candlesAgo },
    },
  };
  if (m.flat) out.momentum.flat = true;
  if (t.notes.length > 0) out.notes = t.notes;
  return out;
}

function verdict(ok: readonly Analysed[], failed: ReadonlyArray<[Timeframe, TimeframeFailure]>): { alignment: Alignment; reasons: string[] } {
  const by = (b: Bias): Timeframe[] => ok.filter((a) => a.summary.bias === b).map((a) => a.tf);
  const bull = by('bullish');
  const bear = by('bearish');
  const neutral = by('neutral');
  const n = ok.length;
  const alignment: Alignment = bear.length === 0 && bull.length > n / 2 ? 'bullish' : bull.length === 0 && bear.length > n / 2 ? 'bearish' : 'mixed';

  const tally: string[] = [];
  if (bull.length > 0) tally.push(`bullish on ${bull.join(', ')}`);
  if (bear.length > 0) tally.push(`bearish on ${bear.join(', ')}`);
  if (neutral.length > 0) tally.push(`neutral on ${neutral.join(', ')}`);
  const reasons = [`${capitalise(tally.join('; '))} (${n} of ${n + failed.length} timeframes analysed)`];

  for (const { tf, summary: s } of ok) {
    const t = s.trend;
    const m = s.momentum;
    const dir = t.direction === 'sideways' ? 'sideways' : `${t.direction}trend`;
    let line = `${tf}: ${dir} (ADX ${t.adx}, ${t.strength}), MACD ${m.macd.histogram > 0 ? 'above' : m.macd.histogram < 0 ? 'below' : 'on'} signal`;
    if (m.macd.crossedAgo !== null && m.macd.crossedAgo <= RECENT) {
      line +=
        m.macd.crossedAgo === 0 ? ` (${m.macd.crossDirection} cross on the last candle)` : ` (${m.macd.crossDirection} cross ${m.macd.crossedAgo} candles ago)`;
    }
    line += m.flat ? ', RSI flat' : `, RSI ${m.rsi}`;
    const d = s.patterns.divergence;
    if (d && d.candlesAgo <= RECENT_DIVERGENCE) line += `, ${d.type} RSI divergence ${d.candlesAgo} candles ago`;
    const lastCandle = s.patterns.candlestick.filter((p) => p.time === s.asOf && p.bias !== 'neutral');
    if (lastCandle.length > 0) line += `, ${lastCandle.map((p) => p.name).join(' + ')} on the last candle`;
    reasons.push(line);
  }
  for (const [tf, fl] of failed) reasons.push(`${tf}: not analysed (${fl.error.code})`);
  return { alignment, reasons };
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * Nearest swing level below/above the price across timeframes, ignoring levels closer than
 * KEY_LEVEL_MIN_ATR × ATR(14) of the shortest timeframe: those are at the price, not below or above it.
 */
function keyLevels(ok: readonly Analysed[], price: number, f: Formatter): Snapshot['keyLevels'] {
  const base = ok[0]!.cache;
  const minGap = KEY_LEVEL_MIN_ATR * must(base.atr[base.last]!, 'ATR');
  let support: { price: number; timeframe: Timeframe } | null = null;
  let resistance: { price: number; timeframe: Timeframe } | null = null;
  for (const { tf, cache } of ok) {
    const c = cache.cols;
    const lv = nearestLevels(price - minGap, c.high, c.low, cache.swingHighs, cache.swingLows);
    if (lv.support !== null && (support === null || lv.support > support.price)) support = { price: lv.support, timeframe: tf };
    const hv = nearestLevels(price + minGap, c.high, c.low, cache.swingHighs, cache.swingLows);
    if (hv.resistance !== null && (resistance === null || hv.resistance < resistance.price)) {
      resistance = { price: hv.resistance, timeframe: tf };
    }
  }
  const level = (l: { price: number; timeframe: Timeframe } | null): KeyLevel | null =>
    l && { price: f.price(l.price), timeframe: l.timeframe, distancePct: f.ratio((Math.abs(price - l.price) / price) * 100) };
  return { support: level(support), resistance: level(resistance) };
}

function stopDistance(ok: readonly Analysed[], multiple: number, f: Formatter): StopDistance {
  const { tf, cache } = ok[Math.floor(ok.length / 2)]!;
  const i = cache.last;
  const a = must(cache.atr[i]!, 'ATR');
  const d = a * multiple;
  return { timeframe: tf, atr: f.price(a), multiple, price: f.price(d), pct: f.ratio((d / cache.cols.close[i]!) * 100) };
}
