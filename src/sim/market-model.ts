/**
 * The simulated market: a deterministic price path per symbol at one-minute resolution, and every
 * number the exchange publishes derived from it (candles at all intervals, 24h ticker statistics,
 * order book, open interest, funding, long/short account ratio).
 *
 * Invariants (tests rely on them):
 * - Pure: every value is a function of (seed, symbol, time, shocks). Nothing depends on the order
 *   or number of requests; caches only memoise.
 * - Exact aggregation: prices are integers in ticks, volumes integers in quantity steps and
 *   turnover integers in cents, so a candle at any interval is exactly the aggregate of its
 *   one-minute candles (open of the first, max high, min low, close of the last, summed volume).
 * - The forming candle covers only the time up to `now`, and its close is the ticker's last price.
 * - Any point in history costs O(1) to evaluate: the path is a sum of bounded "value noise"
 *   octaves (random values on a lattice, linearly interpolated) plus a periodic trend schedule, so
 *   a window of N minutes costs O(N) whatever `now` is.
 *
 * Movers (guaranteed at every moment, for every seed, until a shock is applied):
 * 28 symbols (all but BTC and ETH) are split into 4 pools of 7. Each pool feeds one "up" slot and
 * one "down" slot. A slot's occupant trends at r = 10.5..14 %/day (log) for a 4-day tenure; the
 * 8 slots change occupant 12 hours apart, alternating up and down, so at most two slots (one up,
 * one down) are inside their 24-hour hand-over window at any time. A symbol goes up for one tenure
 * and down for another (three tenures and 12 h later), so its trend is periodic (28 days) and
 * prices stay bounded over years. Every other component is bounded, in log units over 24 h:
 * short-term noise soft-clipped to ±1.6 % (difference < 3.2 %), slow octaves (< 1.10 %/day),
 * the intra-minute wicks at both ends (2 × 0.22 %) and tick rounding (< 0.05 %): 4.80 % in all.
 * So a calm symbol's 24h change stays within +4.92 % / -4.69 %, and a mover settled in its tenure
 * moves at least 10.5 - 4.80 = 5.7 % (log), i.e. >= +5.87 % or <= -5.54 %.
 * Result: between 6 and 10 symbols with |24h change| >= 5 %, at least 3 in each direction.
 */

import { INSTRUMENTS, type InstrumentSpec, decimalsOf } from './instruments.js';
import { hashAt, hashString, mulberry32, seriesKeyOf, signedUnit, symbolKey, unit } from './rng.js';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
export const WEEK_MS = 7 * DAY_MS;
/** Bybit's weekly candles open on Monday 00:00 UTC; 1970-01-05 was a Monday. */
const WEEK_ORIGIN_MS = 4 * DAY_MS;
export const FUNDING_INTERVAL_MS = 8 * HOUR_MS;

/** One candle in integer units: prices in ticks, volume in quantity steps, turnover in cents (USDT). */
export interface SimCandle {
  /** Open time, epoch ms. */
  start: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  turnover: number;
}

/** Bybit kline intervals: minutes as strings, then day, week, month. */
export const KLINE_INTERVALS = ['1', '3', '5', '15', '30', '60', '120', '240', '360', '720', 'D', 'W', 'M'] as const;
export type KlineInterval = (typeof KLINE_INTERVALS)[number];

export function isKlineInterval(value: string): value is KlineInterval {
  return (KLINE_INTERVALS as readonly string[]).includes(value);
}

export interface KlineQuery {
  interval: KlineInterval;
  /** Inclusive: the bar containing `start` is the first one returned. */
  start?: number;
  /** Inclusive: the bar containing `end` is the last one considered. Defaults to now. */
  end?: number;
  /** Number of bars, 1..1000. */
  limit: number;
}

export interface TickerStats {
  /** All prices in ticks. */
  last: number;
  prevPrice24h: number;
  prevPrice1h: number;
  high24h: number;
  low24h: number;
  /** Quantity steps. */
  volume24h: number;
  /** Cents. */
  turnover24h: number;
  bid1: number;
  ask1: number;
  /** Quantity steps. */
  bid1Size: number;
  ask1Size: number;
  mark: number;
  index: number;
}

export interface BookSide {
  /** Ticks. */
  price: number;
  /** Quantity steps. */
  size: number;
}

export interface OrderBookSnapshot {
  bids: BookSide[];
  asks: BookSide[];
}

/** The role a symbol plays in the trend schedule at a moment (for inspection and tests). */
export interface TrendRole {
  symbol: string;
  /** Current trend, log units per day: positive up-mover, negative down-mover, 0 calm. */
  slopePerDay: number;
}

interface Shock {
  at: number;
  factor: number;
}

interface MoverSchedule {
  /** Trend rate, log units per day. */
  rate: number;
  /** Start of one up tenure, epoch ms. */
  upStart: number;
  /** Cycle length, ms. */
  cycle: number;
}

// ---- tuning constants ----------------------------------------------------------------------------

/**
 * Short-term noise octaves inside the soft clip: lattice periods (minutes) and amplitudes (log
 * units) for volScale 1. Periods under an hour are evaluated per minute; the others are multiples
 * of 60, hence exactly linear within each hour, and are evaluated at hour boundaries only.
 */
const FAST_PERIODS = [1, 4, 16, 64] as const;
const FAST_AMPLITUDES = [0.0008, 0.0015, 0.003, 0.0055] as const;
const MID_PERIODS = [240, 720, 1440] as const;
const MID_AMPLITUDES = [0.008, 0.011, 0.014] as const;
/** Soft-clip bound of the short-term noise, log units. Part of the mover guarantee: do not raise. */
const NOISE_BOUND = 0.016;
/**
 * Slow octaves outside the clip: lattice periods (minutes, multiples of 60) and amplitudes (log
 * units). Their slopes sum to at most 2 * (0.02/8 + 0.05/32 + 0.12/128 + 0.25/512) = 1.10 %/day,
 * part of the mover guarantee.
 */
const LONG_PERIODS = [8 * 1440, 32 * 1440, 128 * 1440, 512 * 1440] as const;
const LONG_AMPLITUDES = [0.02, 0.05, 0.12, 0.25] as const;
/** Typical candle wick beyond max/min(open, close), fraction of price, for volScale 1 (exponentially distributed). */
const WICK_SCALE = 0.00035;
/** Largest wick beyond max/min(open, close), fraction of price. Part of the mover guarantee. */
const WICK_CAP = 0.0022;

const TENURE_MS = 4 * DAY_MS;
const SLOT_PAIRS = 4;
const MIN_RATE = 0.105;
const MAX_RATE = 0.14;
/** A symbol's down tenure starts this long after its up tenure starts. */
const DOWN_DELAY_MS = 3 * TENURE_MS + 12 * HOUR_MS;

/** Series ids (the `a` coordinate of `unit`) so that independent quantities never share randoms. */
const SERIES = {
  short: 100,
  mid: 150,
  long: 200,
  wick: 300,
  shape: 301,
  volume: 400,
  activity: 401,
  book: 500,
  openInterest: 600,
  funding: 700,
  ratio: 800,
} as const;

const HOUR_CACHE_LIMIT = 6_000;
const DAY_CACHE_LIMIT = 5_000;

/** Quantiles of the unit exponential distribution at (i + 0.5) / 4096: wick sizes. */
const EXP_QUANTILE = Float64Array.from({ length: 4096 }, (_, i) => -Math.log(1 - (i + 0.5) / 4096));
/** Intraday volume seasonality by minute of the UTC day: busiest around 15:00 UTC. */
const SEASONAL = Float64Array.from({ length: 1440 }, (_, m) => 1 + 0.35 * Math.sin((2 * Math.PI * (m / 60 - 9)) / 24));

/**
 * Complete-bar caches shared by all models with the same seed and catalogue entry while unshocked
 * (tests start many simulators with the same seed in one process). At most SHARED_BARS_LIMIT
 * entries; evicting one only stops sharing it with models created later.
 */
const SHARED_BARS = new Map<string, { hours: Map<number, SimCandle>; days: Map<number, SimCandle> }>();
const SHARED_BARS_LIMIT = 128;

function sharedBarCache(key: string): { hours: Map<number, SimCandle>; days: Map<number, SimCandle> } {
  let entry = SHARED_BARS.get(key);
  if (entry === undefined) {
    entry = { hours: new Map(), days: new Map() };
    if (SHARED_BARS.size >= SHARED_BARS_LIMIT) {
      const oldest = SHARED_BARS.keys().next();
      if (oldest.done !== true) SHARED_BARS.delete(oldest.value);
    }
    SHARED_BARS.set(key, entry);
  }
  return entry;
}

// ---- per-symbol state ----------------------------------------------------------------------------

class SymbolModel {
  readonly spec: InstrumentSpec;
  readonly key: number;
  readonly tick: number;
  /** 1 / tick. */
  readonly perTick: number;
  readonly qtyStep: number;
  readonly logAnchor: number;
  readonly wickScale: number;
  readonly volumePerMinuteUsd: number;
  readonly mover: MoverSchedule | undefined;
  readonly fundingBias: number;
  shocks: Shock[] = [];
  /** Complete hours and days by start time. Shared by every model of this seed while unshocked. */
  hourCache: Map<number, SimCandle>;
  dayCache: Map<number, SimCandle>;
  // Fast octaves: lattice period (minutes), amplitude (log units), series key; and a memo of the
  // last lattice cell per octave, so sequential minutes hash only on cell changes.
  private readonly fastPeriod: Float64Array;
  private readonly fastAmp: Float64Array;
  private readonly fastKey: Uint32Array;
  private readonly memoCell: Float64Array;
  private readonly memoV0: Float64Array;
  private readonly memoV1: Float64Array;
  // Hour-linear parts (mid octaves; slow octaves plus trend): series keys, amplitudes and the
  // values at both ends of the last hour used.
  private readonly midKey: number[];
  private readonly midAmp: number[];
  private readonly longKey: number[];
  private memoHour = Number.NaN;
  private midA = 0;
  private midB = 0;
  private slowA = 0;
  private slowB = 0;
  private memoBaseIndex = Number.NaN;
  private memoBaseValue = 0;
  private memoActivityCell = Number.NaN;
  private memoActivity = 1;
  private readonly wickKey: number;
  private readonly shapeKey: number;
  private readonly volumeKey: number;
  private readonly activityKey: number;
  // The current minute's intra-minute path: vertex fractions and unshocked prices (open, wick, wick, close).
  private pathMinute = Number.NaN;
  private readonly pathT = new Float64Array(4);
  private readonly pathP = new Float64Array(4);

  constructor(spec: InstrumentSpec, seed: number, mover: MoverSchedule | undefined) {
    this.spec = spec;
    this.key = symbolKey(seed, spec.id);
    this.tick = Number(spec.tickSize);
    this.perTick = 1 / this.tick;
    this.qtyStep = Number(spec.qtyStep);
    this.mover = mover;
    // Start each symbol somewhere within ±8 % of its anchor so seeds differ visibly.
    this.logAnchor = Math.log(spec.anchorPrice) + 0.08 * signedUnit(this.key, 1, 0);
    // Fast octaves scale fully with volScale, slower ones by its square root (keeps the clip mild).
    const n = FAST_PERIODS.length;
    this.fastPeriod = Float64Array.from(FAST_PERIODS);
    this.fastAmp = Float64Array.from(FAST_AMPLITUDES, (a) => a * spec.volScale);
    this.fastKey = Uint32Array.from(FAST_PERIODS, (_, j) => seriesKeyOf(this.key, SERIES.short + j));
    this.memoCell = new Float64Array(n).fill(Number.NaN);
    this.memoV0 = new Float64Array(n);
    this.memoV1 = new Float64Array(n);
    this.midKey = MID_PERIODS.map((_, j) => seriesKeyOf(this.key, SERIES.mid + j));
    this.midAmp = MID_AMPLITUDES.map((a) => a * Math.sqrt(spec.volScale));
    this.longKey = LONG_PERIODS.map((_, j) => seriesKeyOf(this.key, SERIES.long + j));
    this.wickKey = seriesKeyOf(this.key, SERIES.wick);
    this.shapeKey = seriesKeyOf(this.key, SERIES.shape);
    this.volumeKey = seriesKeyOf(this.key, SERIES.volume);
    this.activityKey = seriesKeyOf(this.key, SERIES.activity);
    this.wickScale = WICK_SCALE * spec.volScale;
    this.volumePerMinuteUsd = spec.dailyTurnover / 1440;
    this.fundingBias = 0.8 * unit(this.key, 2, 0);
    const shared = sharedBarCache(JSON.stringify([seed, spec, mover ?? null]));
    this.hourCache = shared.hours;
    this.dayCache = shared.days;
  }

  /** Trend component at time t, log units. */
  trendLevel(t: number): number {
    const m = this.mover;
    if (m === undefined) return 0;
    const tau = mod(t - m.upStart, m.cycle);
    const up = clamp(tau, 0, TENURE_MS);
    const down = clamp(tau - DOWN_DELAY_MS, 0, TENURE_MS);
    return (m.rate * (up - down)) / DAY_MS;
  }

  /** Trend slope at time t, log units per day: +rate (up tenure), -rate (down tenure) or 0. */
  trendSlope(t: number): number {
    const m = this.mover;
    if (m === undefined) return 0;
    const tau = mod(t - m.upStart, m.cycle);
    if (tau < TENURE_MS) return m.rate;
    if (tau >= DOWN_DELAY_MS && tau < DOWN_DELAY_MS + TENURE_MS) return -m.rate;
    return 0;
  }

  /** Value noise in [-1, 1) with lattice `period` (minutes) at minute index k, evaluated directly. */
  private static lattice(seriesKey: number, period: number, k: number): number {
    const cell = Math.floor(k / period);
    const v0 = hashAt(seriesKey, cell) / 2147483648 - 1;
    const v1 = hashAt(seriesKey, cell + 1) / 2147483648 - 1;
    return v0 + ((v1 - v0) * (k - cell * period)) / period;
  }

  /**
   * The hour-linear parts at an hour boundary (minute index kh): the mid octaves (log units) and
   * the level exp(anchor + slow octaves + trend) (USDT).
   */
  private hourParts(kh: number): [number, number] {
    let mid = 0;
    for (let j = 0; j < MID_PERIODS.length; j++) {
      mid += this.midAmp[j]! * SymbolModel.lattice(this.midKey[j]!, MID_PERIODS[j]!, kh);
    }
    let slow = this.trendLevel(kh * MINUTE_MS);
    for (let j = 0; j < LONG_PERIODS.length; j++) {
      slow += LONG_AMPLITUDES[j]! * SymbolModel.lattice(this.longKey[j]!, LONG_PERIODS[j]!, kh);
    }
    return [mid, Math.exp(this.logAnchor + slow)];
  }

  /**
   * Unshocked price (USDT, float) at the start of minute index k: level(k) * exp(clip(fast + mid)),
   * where level = exp(anchor + slow octaves + trend) is interpolated linearly within the hour and
   * clip(x) = B x / sqrt(B^2 + x^2) is a soft clip to ±B (B = NOISE_BOUND). Hot path: only
   * arithmetic and sqrt per minute (correctly rounded, so results are the same on every platform).
   */
  basePrice(k: number): number {
    if (k === this.memoBaseIndex) return this.memoBaseValue;
    const h0 = Math.floor(k / 60) * 60;
    if (h0 !== this.memoHour) {
      if (h0 === this.memoHour + 60) {
        this.midA = this.midB;
        this.slowA = this.slowB;
      } else {
        [this.midA, this.slowA] = this.hourParts(h0);
      }
      [this.midB, this.slowB] = this.hourParts(h0 + 60);
      this.memoHour = h0;
    }
    const f = (k - h0) / 60;
    let raw = this.midA + (this.midB - this.midA) * f;
    const period = this.fastPeriod;
    const memoCell = this.memoCell;
    const memoV0 = this.memoV0;
    const memoV1 = this.memoV1;
    for (let o = 0; o < period.length; o++) {
      const p = period[o]!;
      const cell = Math.floor(k / p);
      const memo = memoCell[o]!;
      if (memo !== cell) {
        const sk = this.fastKey[o]!;
        memoV0[o] = cell === memo + 1 ? memoV1[o]! : hashAt(sk, cell) / 2147483648 - 1;
        memoV1[o] = hashAt(sk, cell + 1) / 2147483648 - 1;
        memoCell[o] = cell;
      }
      const v0 = memoV0[o]!;
      raw += this.fastAmp[o]! * (p === 1 ? v0 : v0 + ((memoV1[o]! - v0) * (k - cell * p)) / p);
    }
    const level = this.slowA + (this.slowB - this.slowA) * f;
    const x = (NOISE_BOUND * raw) / Math.sqrt(NOISE_BOUND * NOISE_BOUND + raw * raw);
    // exp(x) for |x| < 0.016 to ~1e-14 relative.
    const value = level * (1 + x * (1 + x * (0.5 + x * (1 / 6 + x * (1 / 24 + x / 120)))));
    this.memoBaseIndex = k;
    this.memoBaseValue = value;
    return value;
  }

  /** Product of shock factors with `at <= t` (inclusive) or `at < t` (exclusive). */
  shockFactor(t: number, inclusive: boolean): number {
    let f = 1;
    for (const s of this.shocks) {
      if (s.at < t || (inclusive && s.at === t)) f *= s.factor;
    }
    return f;
  }

  toTicks(price: number): number {
    const ticks = Math.round(price * this.perTick);
    return ticks < 1 ? 1 : ticks;
  }

  /**
   * Loads minute k's unshocked intra-minute path into pathT/pathP: open, the two wick extremes
   * in a random order, close. Wicks are exponentially distributed beyond max/min(open, close).
   */
  private loadPath(k: number): void {
    if (this.pathMinute === k) return;
    const open = this.basePrice(k);
    const close = this.basePrice(k + 1);
    const w = hashAt(this.wickKey, k);
    const s = hashAt(this.shapeKey, k);
    const wHi = Math.min(EXP_QUANTILE[w >>> 20]! * this.wickScale, WICK_CAP);
    const wLo = Math.min(EXP_QUANTILE[(w >>> 8) & 0xfff]! * this.wickScale, WICK_CAP);
    const hi = (open > close ? open : close) * (1 + wHi);
    const lo = (open < close ? open : close) * (1 - wLo);
    const highFirst = (s & 1) === 1;
    this.pathT[0] = 0;
    this.pathP[0] = open;
    this.pathT[1] = 0.08 + 0.4 * (((s >>> 1) & 0x7fff) / 32768);
    this.pathP[1] = highFirst ? hi : lo;
    this.pathT[2] = 0.52 + 0.4 * ((s >>> 16) / 65536);
    this.pathP[2] = highFirst ? lo : hi;
    this.pathT[3] = 1;
    this.pathP[3] = close;
    this.pathMinute = k;
  }

  /** The loaded path at fraction f (0..1) of the minute. */
  private pathAt(f: number): number {
    for (let i = 1; i < 4; i++) {
      const t1 = this.pathT[i] ?? 1;
      if (f <= t1) {
        const t0 = this.pathT[i - 1] ?? 0;
        const p0 = this.pathP[i - 1] ?? 0;
        const p1 = this.pathP[i] ?? 0;
        return p0 + ((p1 - p0) * (f - t0)) / (t1 - t0);
      }
    }
    return this.pathP[3] ?? 0;
  }

  /** Full-minute volume in quantity steps (>= 1), for the loaded path of minute k. */
  private minuteVolume(k: number): number {
    const open = this.pathP[0] ?? 1;
    const close = this.pathP[3] ?? 1;
    const seasonal = SEASONAL[mod(k, 1440)]!;
    const moverBoost = this.mover === undefined ? 1 : 1 + (1.5 * Math.abs(this.trendSlope(k * MINUTE_MS))) / this.mover.rate;
    const activityCell = Math.floor(k / 90);
    if (activityCell !== this.memoActivityCell) {
      this.memoActivityCell = activityCell;
      this.memoActivity = Math.exp(0.45 * (hashAt(this.activityKey, activityCell) / 2147483648 - 1));
    }
    const v = hashAt(this.volumeKey, k);
    const jitter = 0.3 + 1.4 * ((v >>> 16) / 65536) * (0.5 + (v & 0xffff) / 65536);
    const move = 1 + (60 * Math.abs(close - open)) / open;
    const usd = this.volumePerMinuteUsd * seasonal * moverBoost * this.memoActivity * jitter * move;
    return Math.max(1, Math.round(usd / open / this.qtyStep));
  }

  /**
   * Minute k as a candle: complete when `upTo` is undefined, otherwise covering [start, upTo]
   * (upTo in ms, start <= upTo < start + 1 min; upTo === start is the opening instant). A shock
   * inside the covered span splits the path, so high and low include both sides of the gap; a
   * shock exactly at `upTo` is included in the close (it applies "from now on").
   */
  minuteCandle(k: number, upTo?: number): SimCandle {
    const start = k * MINUTE_MS;
    const end = start + MINUTE_MS;
    const full = upTo === undefined;
    const f = full ? 1 : Math.max(0, (upTo - start) / MINUTE_MS);
    this.loadPath(k);
    const shocked = this.shocks.length > 0;
    const factorOpen = shocked ? this.shockFactor(start, true) : 1;
    const open = this.toTicks((this.pathP[0] ?? 0) * factorOpen);
    let high = open;
    let low = open;
    // The two wick vertices, when inside the covered span.
    for (let i = 1; i < 3; i++) {
      const t = this.pathT[i] ?? 1;
      if (t < f) {
        const v = this.toTicks((this.pathP[i] ?? 0) * (shocked ? this.shockFactor(start + t * MINUTE_MS, true) : 1));
        if (v > high) high = v;
        if (v < low) low = v;
      }
    }
    // Shock gaps inside the covered span: both sides count.
    if (shocked) {
      for (const s of this.shocks) {
        const inside = full ? s.at > start && s.at < end : s.at > start && s.at <= (upTo ?? start);
        if (!inside) continue;
        const p = this.pathAt((s.at - start) / MINUTE_MS);
        for (const v of [this.toTicks(p * this.shockFactor(s.at, false)), this.toTicks(p * this.shockFactor(s.at, true))]) {
          if (v > high) high = v;
          if (v < low) low = v;
        }
      }
    }
    // A complete minute closes on the left limit: a shock exactly at its end opens the next one.
    const factorClose = shocked ? (full ? this.shockFactor(end, false) : this.shockFactor(upTo ?? start, true)) : 1;
    const close = this.toTicks((full ? (this.pathP[3] ?? 0) : this.pathAt(f)) * factorClose);
    if (close > high) high = close;
    if (close < low) low = close;
    const fullVolume = this.minuteVolume(k);
    const volume = full ? fullVolume : Math.max(1, Math.round(fullVolume * f));
    // Turnover: volume times the minute's mean vertex price (scaled like the close), in cents.
    const meanPrice = (((this.pathP[0] ?? 0) + (this.pathP[1] ?? 0) + (this.pathP[2] ?? 0) + (this.pathP[3] ?? 0)) / 4) * factorClose;
    const turnover = Math.round(volume * this.qtyStep * meanPrice * 100);
    return { start, open, high, low, close, volume, turnover };
  }

  /** The aggregate of `count` complete minutes from minute index k0 (allocation-free when unshocked). */
  fullMinutes(k0: number, count: number): SimCandle {
    if (this.shocks.length > 0) {
      let acc = this.minuteCandle(k0);
      for (let k = k0 + 1; k < k0 + count; k++) acc = merge(acc, this.minuteCandle(k));
      return acc;
    }
    let open = 0;
    let high = 0;
    let low = Number.POSITIVE_INFINITY;
    let close = 0;
    let volume = 0;
    let turnover = 0;
    const pp = this.pathP;
    for (let k = k0; k < k0 + count; k++) {
      this.loadPath(k);
      const o = this.toTicks(pp[0]!);
      const a = this.toTicks(pp[1]!);
      const b = this.toTicks(pp[2]!);
      const c = this.toTicks(pp[3]!);
      if (k === k0) open = o;
      if (o > high) high = o;
      if (a > high) high = a;
      if (b > high) high = b;
      if (c > high) high = c;
      if (o < low) low = o;
      if (a < low) low = a;
      if (b < low) low = b;
      if (c < low) low = c;
      close = c;
      const v = this.minuteVolume(k);
      volume += v;
      turnover += Math.round(v * this.qtyStep * ((pp[0]! + pp[1]! + pp[2]! + pp[3]!) / 4) * 100);
    }
    return { start: k0 * MINUTE_MS, open, high, low, close, volume, turnover };
  }

  /** Price in ticks at any instant (a shock at exactly `t` included). */
  priceAt(t: number): number {
    const k = Math.floor(t / MINUTE_MS);
    this.loadPath(k);
    const price = this.pathAt((t - k * MINUTE_MS) / MINUTE_MS);
    return this.toTicks(price * this.shockFactor(t, true));
  }

  /** After a shock: this model's bars differ from the shared ones, so it gets private caches. */
  detachCaches(): void {
    this.hourCache = new Map();
    this.dayCache = new Map();
  }
}

// ---- the model -----------------------------------------------------------------------------------

export class MarketModel {
  readonly seed: number;
  private readonly models = new Map<string, SymbolModel>();

  constructor(seed = 42, instruments: readonly InstrumentSpec[] = INSTRUMENTS) {
    this.seed = seed;
    const schedules = buildSchedules(seed, instruments);
    for (const spec of instruments) {
      this.models.set(spec.id, new SymbolModel(spec, seed, schedules.get(spec.id)));
    }
  }

  symbols(): string[] {
    return [...this.models.keys()];
  }

  spec(symbol: string): InstrumentSpec | undefined {
    return this.models.get(symbol)?.spec;
  }

  has(symbol: string): boolean {
    return this.models.has(symbol);
  }

  private model(symbol: string): SymbolModel {
    const m = this.models.get(symbol);
    if (m === undefined) throw new Error(`unknown symbol ${symbol}`);
    return m;
  }

  /** From `at` (epoch ms) on, multiply `symbol`'s price path by (1 + pct/100). */
  shock(symbol: string, at: number, pct: number): void {
    const m = this.model(symbol);
    const factor = 1 + pct / 100;
    if (!(factor > 0) || !Number.isFinite(factor)) throw new Error('shock pct must be > -100');
    m.shocks = [...m.shocks, { at, factor }].sort((a, b) => a.at - b.at);
    m.detachCaches();
  }

  shocks(): Array<{ symbol: string; at: number; pct: number }> {
    const out: Array<{ symbol: string; at: number; pct: number }> = [];
    for (const m of this.models.values()) {
      for (const s of m.shocks) out.push({ symbol: m.spec.id, at: s.at, pct: (s.factor - 1) * 100 });
    }
    return out;
  }

  /** Current trend role of every symbol. */
  roles(now: number): TrendRole[] {
    return [...this.models.values()].map((m) => ({ symbol: m.spec.id, slopePerDay: m.trendSlope(now) }));
  }

  /** Price in ticks at instant t. */
  priceAt(symbol: string, t: number): number {
    return this.model(symbol).priceAt(t);
  }

  /**
   * The aggregate of the minutes whose start is in [from, to) and not after `now` (the minute
   * containing `now` counts up to `now`). `from` and `to` must be minute-aligned.
   */
  aggregate(symbol: string, from: number, to: number, now: number): SimCandle | undefined {
    return this.aggregateModel(this.model(symbol), from, to, now);
  }

  private aggregateModel(m: SymbolModel, from: number, to: number, now: number): SimCandle | undefined {
    const lastStart = Math.min(to - MINUTE_MS, Math.floor(now / MINUTE_MS) * MINUTE_MS);
    let acc: SimCandle | undefined;
    let cursor = from;
    while (cursor <= lastStart) {
      let piece: SimCandle;
      if (cursor % DAY_MS === 0 && cursor + DAY_MS <= to && cursor + DAY_MS <= now) {
        piece = this.fullBar(m, m.dayCache, DAY_CACHE_LIMIT, cursor, DAY_MS);
        cursor += DAY_MS;
      } else if (cursor % HOUR_MS === 0 && cursor + HOUR_MS <= to && cursor + HOUR_MS <= now) {
        piece = this.fullBar(m, m.hourCache, HOUR_CACHE_LIMIT, cursor, HOUR_MS);
        cursor += HOUR_MS;
      } else if (cursor + MINUTE_MS <= now) {
        piece = m.minuteCandle(cursor / MINUTE_MS);
        cursor += MINUTE_MS;
      } else {
        piece = m.minuteCandle(cursor / MINUTE_MS, now);
        cursor += MINUTE_MS;
      }
      acc = acc === undefined ? piece : merge(acc, piece);
    }
    return acc;
  }

  /** A complete hour or day, memoised (complete bars do not depend on `now`). */
  private fullBar(m: SymbolModel, cache: Map<number, SimCandle>, limit: number, start: number, span: number): SimCandle {
    const hit = cache.get(start);
    if (hit !== undefined) return hit;
    let bar: SimCandle | undefined;
    if (span === DAY_MS) {
      for (let h = start; h < start + DAY_MS; h += HOUR_MS) {
        const piece = this.fullBar(m, m.hourCache, HOUR_CACHE_LIMIT, h, HOUR_MS);
        bar = bar === undefined ? piece : merge(bar, piece);
      }
    } else {
      bar = m.fullMinutes(start / MINUTE_MS, span / MINUTE_MS);
    }
    if (bar === undefined) throw new Error('empty bar');
    if (cache.size >= limit) evictOldest(cache, Math.floor(limit / 4));
    cache.set(start, bar);
    return bar;
  }

  /**
   * Klines as Bybit serves them: bars of `interval` whose start is in the requested range and not
   * after now, at most `limit`; with `start`, the first `limit` bars from the bar containing it,
   * otherwise the last `limit` bars up to `end` (default now). Returned newest first; the first one
   * is still forming when the range reaches now.
   */
  klines(symbol: string, query: KlineQuery, now: number): SimCandle[] {
    const m = this.model(symbol);
    const endBound = Math.min(query.end ?? now, now);
    const starts: number[] = [];
    if (query.start !== undefined) {
      let s = barStart(query.interval, query.start);
      while (s <= endBound && starts.length < query.limit) {
        starts.push(s);
        s = barEnd(query.interval, s);
      }
      starts.reverse();
    } else {
      let s = barStart(query.interval, endBound);
      while (starts.length < query.limit) {
        starts.push(s);
        s = barStart(query.interval, s - 1);
      }
    }
    const out: SimCandle[] = [];
    for (const s of starts) {
      const bar = this.aggregateModel(m, s, barEnd(query.interval, s), now);
      if (bar !== undefined) out.push(bar);
    }
    return out;
  }

  /** 24h statistics, best bid/ask and reference prices at `now`. */
  ticker(symbol: string, now: number): TickerStats {
    const m = this.model(symbol);
    const minuteStart = Math.floor(now / MINUTE_MS) * MINUTE_MS;
    const windowStart = Math.floor((now - DAY_MS) / MINUTE_MS) * MINUTE_MS;
    const window = this.aggregateModel(m, windowStart, minuteStart + MINUTE_MS, now);
    if (window === undefined) throw new Error('empty ticker window');
    const last = window.close;
    const book = this.orderBook(symbol, now, 1);
    const bid = book.bids[0] ?? { price: last, size: 1 };
    const ask = book.asks[0] ?? { price: last + 1, size: 1 };
    // Mark price sits at the mid; the index (spot basket) a hair off it, by the funding sign.
    const mark = Math.round((bid.price + ask.price) / 2);
    const funding = this.fundingRate(symbol, nextFundingTime(now));
    const index = Math.max(1, Math.round(last * (1 - funding * 0.5)));
    return {
      last,
      prevPrice24h: m.priceAt(now - DAY_MS),
      prevPrice1h: m.priceAt(now - HOUR_MS),
      high24h: window.high,
      low24h: window.low,
      volume24h: window.volume,
      turnover24h: window.turnover,
      bid1: bid.price,
      ask1: ask.price,
      bid1Size: bid.size,
      ask1Size: ask.size,
      mark,
      index,
    };
  }

  /**
   * Order book around the last price: best bid <= last <= best ask with a spread of 1-2 ticks,
   * levels mostly a tick apart, sizes growing with distance. Deterministic per second.
   */
  orderBook(symbol: string, now: number, depth: number): OrderBookSnapshot {
    const m = this.model(symbol);
    const last = this.lastPrice(m, now);
    const second = Math.floor(now / 1000);
    // Randoms per (second, slot); slot < 4096 covers 1000 levels a side.
    const r = (slot: number): number => unit(m.key, SERIES.book, second * 4096 + slot);
    let bidTop = last - (r(0) < 0.5 ? 0 : 1);
    if (bidTop < 1) bidTop = 1;
    const spread = r(1) < 0.8 ? 1 : 2;
    const askTop = Math.max(bidTop + spread, last);
    // Size scale: about $40k of depth per level near the top for a $1bn/day market, in steps.
    const priceUsd = last * m.tick;
    const unitSize = Math.max(1, (m.spec.dailyTurnover / 1e9) * 40_000) / priceUsd / m.qtyStep;
    const minSteps = Math.max(1, Math.round(Number(m.spec.minOrderQty) / m.qtyStep));
    const side = (top: number, dir: 1 | -1, salt: number): BookSide[] => {
      const out: BookSide[] = [];
      let price = top;
      for (let i = 0; i < depth && price >= 1; i++) {
        const u = r(10 + salt + i * 4);
        const size = Math.max(minSteps, Math.round(unitSize * (1 + 0.12 * i) * (0.25 + 1.5 * r(11 + salt + i * 4) ** 2)));
        out.push({ price, size });
        price += dir * (u < 0.72 ? 1 : u < 0.92 ? 2 : 3);
      }
      return out;
    };
    return { bids: side(bidTop, -1, 0), asks: side(askTop, 1, 2) };
  }

  private lastPrice(m: SymbolModel, now: number): number {
    const k = Math.floor(now / MINUTE_MS);
    return m.minuteCandle(k, now).close;
  }

  /** Open interest (base-coin units, float) at instant t: smooth, rises while a symbol trends. */
  openInterest(symbol: string, t: number): number {
    const m = this.model(symbol);
    const hours = t / HOUR_MS;
    let x = 0;
    const periods = [3, 12, 48, 192, 768];
    const amps = [0.015, 0.04, 0.07, 0.1, 0.14];
    for (let j = 0; j < periods.length; j++) {
      x += (amps[j] ?? 0) * smoothNoise(m.key, SERIES.openInterest + j, hours / (periods[j] ?? 1));
    }
    if (m.mover !== undefined) x += (0.35 * Math.abs(m.trendLevel(t))) / (m.mover.rate * (TENURE_MS / DAY_MS));
    return (m.spec.openInterestValue / m.spec.anchorPrice) * Math.exp(x);
  }

  /** Funding rate (fraction, e.g. 0.0001 = 0.01 %) settled at `settlement` (a multiple of 8h). */
  fundingRate(symbol: string, settlement: number): number {
    const m = this.model(symbol);
    const n = Math.round(settlement / FUNDING_INTERVAL_MS);
    const slope = m.trendSlope(settlement - 1);
    const x = m.fundingBias + 0.6 * signedUnit(m.key, SERIES.funding, n) + (slope > 0 ? 0.8 : slope < 0 ? -1.3 : 0);
    const magnitude = 0.0001 + 0.0004 * Math.min(1, Math.abs(x) / 2);
    return Math.round((x >= 0 ? 1 : -1) * magnitude * 1e8) / 1e8;
  }

  /** Share of accounts long at instant t, 0.40..0.60 in steps of 0.0001; leans with the trend. */
  buyRatio(symbol: string, t: number): number {
    const m = this.model(symbol);
    const hours = t / HOUR_MS;
    const x = 0.04 * smoothNoise(m.key, SERIES.ratio, hours / 10) + 0.03 * smoothNoise(m.key, SERIES.ratio + 1, hours / 60);
    const slope = m.trendSlope(t);
    const bias = slope > 0 ? 0.03 : slope < 0 ? -0.03 : 0;
    return Math.round(clamp(0.5 + x + bias, 0.4, 0.6) * 1e4) / 1e4;
  }

  /** Price in ticks → decimal string. */
  formatPrice(symbol: string, ticks: number): string {
    const spec = this.model(symbol).spec;
    return formatScaled(ticks, spec.tickSize);
  }

  /** Quantity in steps → decimal string. */
  formatQty(symbol: string, steps: number): string {
    return formatScaled(steps, this.model(symbol).spec.qtyStep);
  }
}

// ---- helpers -------------------------------------------------------------------------------------

/** First moment of the next funding settlement strictly after `now` (00:00, 08:00, 16:00 UTC). */
export function nextFundingTime(now: number): number {
  return Math.floor(now / FUNDING_INTERVAL_MS) * FUNDING_INTERVAL_MS + FUNDING_INTERVAL_MS;
}

/** Start of the bar of `interval` that contains t. */
export function barStart(interval: KlineInterval, t: number): number {
  switch (interval) {
    case 'D':
      return Math.floor(t / DAY_MS) * DAY_MS;
    case 'W':
      return Math.floor((t - WEEK_ORIGIN_MS) / WEEK_MS) * WEEK_MS + WEEK_ORIGIN_MS;
    case 'M': {
      const d = new Date(t);
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    }
    default: {
      const span = Number(interval) * MINUTE_MS;
      return Math.floor(t / span) * span;
    }
  }
}

/** End (exclusive) of the bar of `interval` that starts at `start`. */
export function barEnd(interval: KlineInterval, start: number): number {
  switch (interval) {
    case 'D':
      return start + DAY_MS;
    case 'W':
      return start + WEEK_MS;
    case 'M': {
      const d = new Date(start);
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    }
    default:
      return start + Number(interval) * MINUTE_MS;
  }
}

function merge(a: SimCandle, b: SimCandle): SimCandle {
  return {
    start: a.start,
    open: a.open,
    high: a.high > b.high ? a.high : b.high,
    low: a.low < b.low ? a.low : b.low,
    close: b.close,
    volume: a.volume + b.volume,
    turnover: a.turnover + b.turnover,
  };
}

function evictOldest(cache: Map<number, SimCandle>, count: number): void {
  let n = 0;
  for (const key of cache.keys()) {
    if (n++ >= count) break;
    cache.delete(key);
  }
}

/** Floored modulo (non-negative for n > 0); avoids the slow floating-point `%`. */
function mod(a: number, n: number): number {
  return a - Math.floor(a / n) * n;
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** Cosine-interpolated value noise in [-1, 1] at real position x (lattice spacing 1). */
function smoothNoise(key: number, series: number, x: number): number {
  const cell = Math.floor(x);
  const f = x - cell;
  const w = (1 - Math.cos(Math.PI * f)) / 2;
  const v0 = signedUnit(key, series, cell);
  const v1 = signedUnit(key, series, cell + 1);
  return v0 + (v1 - v0) * w;
}

/** An integer count of `step`s as a decimal string with the step's decimals ("0.010" × 15241 → "152.410"). */
export function formatScaled(count: number, step: string): string {
  const decimals = decimalsOf(step);
  const stepInt = Math.round(Number(step) * 10 ** decimals);
  return formatFixed(count * stepInt, decimals);
}

/** An integer n as n / 10^decimals, exactly. */
export function formatFixed(n: number, decimals: number): string {
  const neg = n < 0;
  let digits = String(Math.abs(Math.round(n)));
  if (decimals === 0) return (neg ? '-' : '') + digits;
  digits = digits.padStart(decimals + 1, '0');
  const text = `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`;
  return neg && /[1-9]/.test(digits) ? `-${text}` : text;
}

/**
 * Assigns the trend schedule: a seeded shuffle of the non-calm symbols into SLOT_PAIRS pools of
 * equal size; pool k's up slot changes occupant at phase + k days + i tenures, its down slot 12 h
 * later, and member i goes down DOWN_DELAY after it went up.
 */
function buildSchedules(seed: number, instruments: readonly InstrumentSpec[]): Map<string, MoverSchedule> {
  const rng = mulberry32(seed ^ hashString('movers'));
  const candidates = instruments.filter((s) => s.calm !== true).map((s) => s.id);
  for (let i = candidates.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const a = candidates[i];
    const b = candidates[j];
    if (a !== undefined && b !== undefined) {
      candidates[i] = b;
      candidates[j] = a;
    }
  }
  const poolSize = Math.floor(candidates.length / SLOT_PAIRS);
  const out = new Map<string, MoverSchedule>();
  // The down tenure (plus its 24h decay) must end before the same member's next up tenure.
  if (poolSize < 5) return out;
  const phase = Math.floor(rng() * (TENURE_MS / HOUR_MS)) * HOUR_MS;
  const cycle = poolSize * TENURE_MS;
  for (let k = 0; k < SLOT_PAIRS; k++) {
    for (let i = 0; i < poolSize; i++) {
      const id = candidates[k * poolSize + i];
      if (id === undefined) continue;
      out.set(id, {
        rate: MIN_RATE + (MAX_RATE - MIN_RATE) * rng(),
        upStart: phase + k * DAY_MS + i * TENURE_MS,
        cycle,
      });
    }
  }
  return out;
}
