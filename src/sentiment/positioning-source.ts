/**
 * Positioning: how traders are leaning, read from the exchange. Needs no key and always runs.
 *
 * The score is a weighted mean of components, each on -100..+100 (positive = leaning long /
 * bullish), renormalised over the components the market has (spot markets have no funding, open
 * interest or long/short ratio):
 *
 * | component          | weight | score                                                                  |
 * |--------------------|--------|------------------------------------------------------------------------|
 * | funding            | 0.25   | (rate per 8h - 0.01 % neutral) / 0.04 % x 100: +0.05 %/8h -> +100       |
 * | price 24h          | 0.20   | change % x 10: +/-10 % -> +/-100                                        |
 * | long/short accounts| 0.20   | (long share - 50 %) / 20 % x 100: 70 % long -> +100                     |
 * | open interest 24h  | 0.15   | rising OI confirms the 24h move: sign(move) x OI change % x 10, >= 0    |
 * | open interest 1h   | 0.10   | same over 1h: sign(1h move) x OI change % x 30                          |
 * | volume vs normal   | 0.10   | heavy volume confirms the move: sign(move) x (24h vol / 7-day mean - 1) x 100 |
 *
 * A move smaller than 0.5 % (24h) or 0.2 % (1h) has no sign; falling OI or below-normal volume
 * confirms nothing and scores 0. Each component is clamped to -100..100. Crowding (funding at or
 * above 0.05 %/8h, or 70 % of accounts on one side) is named in the reasons: it is where squeezes start.
 */
import { AppError, isAppError } from '../errors.js';
import type { MarketData, MarketType, OpenInterestPoint } from '../market/types.js';
import { clampScore, weightedMean } from './score.js';
import type { SentimentReading, SentimentSource, SentimentSubject } from './types.js';

/** Bybit's neutral funding: the interest-rate component, 0.01 % per 8 hours. */
export const NEUTRAL_FUNDING_PER_8H = 0.0001;

export const POSITIONING_WEIGHTS = {
  funding: 0.25,
  price24h: 0.2,
  longShort: 0.2,
  oi24h: 0.15,
  oi1h: 0.1,
  volume: 0.1,
} as const;

export interface PositioningInputs {
  market: MarketType;
  /** Funding rate per interval, fraction (0.0001 = 0.01 %). */
  fundingRate: number | null;
  /** Funding interval in hours; 8 when unknown. */
  fundingIntervalHours: number | null;
  change24hPct: number | null;
  /** Price change over the last closed hour, %. */
  change1hPct: number | null;
  oiChange1hPct: number | null;
  oiChange24hPct: number | null;
  /** Share of accounts net long, 0..1. */
  longShare: number | null;
  /** Last 24h volume divided by the mean daily volume of the 6 days before. */
  volumeVsNormal: number | null;
  /** Why a component is missing, e.g. `open interest: unavailable (TIMEOUT)`. */
  missing?: string[];
}

export interface PositioningScore {
  score: number;
  reasons: string[];
  inputs: Record<string, number | null>;
}

const signed = (n: number, digits: number) => `${n >= 0 ? '+' : ''}${n.toFixed(digits)}`;
const clamp = (x: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, x));
const dirOf = (changePct: number | null, threshold: number) => (changePct === null || Math.abs(changePct) < threshold ? 0 : Math.sign(changePct));
const dirWord = (dir: number) => (dir > 0 ? 'price up' : dir < 0 ? 'price down' : 'price flat');
const round = (x: number | null, digits: number) => (x === null ? null : Number(x.toFixed(digits)));

/** Pure: the positioning score and its reasons from the numbers. Throws INSUFFICIENT_DATA when no
 * component can be computed. */
export function scorePositioning(inp: PositioningInputs): PositioningScore {
  const W = POSITIONING_WEIGHTS;
  const parts: Array<{ score: number; weight: number }> = [];
  const reasons: string[] = [];
  const add = (weight: number, raw: number, reason: string) => {
    const s = clampScore(raw);
    parts.push({ score: s, weight });
    reasons.push(`${reason} → ${signed(s, 0)}`);
  };

  const per8h = inp.fundingRate === null ? null : (inp.fundingRate * 8) / (inp.fundingIntervalHours ?? 8);
  if (per8h !== null) {
    const crowd = per8h >= 0.0005 ? ' (crowded long)' : per8h <= -0.0003 ? ' (crowded short)' : '';
    add(W.funding, ((per8h - NEUTRAL_FUNDING_PER_8H) / 0.0004) * 100, `funding ${signed(per8h * 100, 4)}%/8h vs +0.0100% neutral${crowd}`);
  }
  if (inp.change24hPct !== null) add(W.price24h, inp.change24hPct * 10, `price 24h ${signed(inp.change24hPct, 2)}%`);
  if (inp.longShare !== null) {
    const pct = inp.longShare * 100;
    const crowd = pct >= 70 ? ' (crowded long)' : pct <= 30 ? ' (crowded short)' : '';
    add(W.longShort, ((inp.longShare - 0.5) / 0.2) * 100, `long accounts ${pct.toFixed(1)}%${crowd}`);
  }
  const dir24 = dirOf(inp.change24hPct, 0.5);
  if (inp.oiChange24hPct !== null) {
    add(W.oi24h, dir24 * clamp(inp.oiChange24hPct * 10, 0, 100), `open interest 24h ${signed(inp.oiChange24hPct, 2)}% with ${dirWord(dir24)}`);
  }
  if (inp.oiChange1hPct !== null) {
    const dir1 = dirOf(inp.change1hPct, 0.2);
    add(W.oi1h, dir1 * clamp(inp.oiChange1hPct * 30, 0, 100), `open interest 1h ${signed(inp.oiChange1hPct, 2)}% with ${dirWord(dir1)} (1h)`);
  }
  if (inp.volumeVsNormal !== null) {
    add(W.volume, dir24 * clamp((inp.volumeVsNormal - 1) * 100, 0, 100), `volume 24h ${inp.volumeVsNormal.toFixed(2)}x normal with ${dirWord(dir24)}`);
  }
  const mean = weightedMean(parts);
  if (mean === null) {
    throw new AppError('INSUFFICIENT_DATA', 'The exchange gave no positioning data for this market', { retryable: true, hint: 'retry shortly' });
  }
  reasons.push(...(inp.missing ?? []));
  return {
    score: clampScore(mean),
    reasons,
    inputs: {
      fundingPct8h: round(per8h === null ? null : per8h * 100, 5),
      change24hPct: round(inp.change24hPct, 2),
      change1hPct: round(inp.change1hPct, 2),
      oiChange1hPct: round(inp.oiChange1hPct, 2),
      oiChange24hPct: round(inp.oiChange24hPct, 2),
      longSharePct: round(inp.longShare === null ? null : inp.longShare * 100, 1),
      volumeVsNormal: round(inp.volumeVsNormal, 2),
    },
  };
}

const HOUR_MS = 3_600_000;

/** Percent change of open interest (contracts) from `ago` ms before the latest point, if such a
 * point exists within half an hour of that time. */
export function oiChangePct(points: readonly OpenInterestPoint[], ago: number): number | null {
  const last = points.at(-1);
  if (!last || last.amount <= 0) return null;
  const target = last.time - ago;
  let best: OpenInterestPoint | undefined;
  for (const p of points) {
    if (Math.abs(p.time - target) <= HOUR_MS / 2 && (!best || Math.abs(p.time - target) < Math.abs(best.time - target))) best = p;
  }
  if (!best || best.amount <= 0) return null;
  return (last.amount / best.amount - 1) * 100;
}

/** Settled value, or null plus a line saying why it is missing. */
function settled<T>(result: PromiseSettledResult<T>, what: string, missing: string[]): T | null {
  if (result.status === 'fulfilled') return result.value;
  const code = isAppError(result.reason) ? result.reason.code : 'INTERNAL';
  missing.push(`${what}: unavailable (${code})`);
  return null;
}

export class PositioningSource implements SentimentSource {
  readonly id = 'positioning' as const;

  constructor(private readonly market: MarketData) {}

  async read(subject: SentimentSubject): Promise<SentimentReading> {
    const ticker = await this.market.ticker(subject.symbol);
    const swap = ticker.market === 'swap';
    const [funding, oi, ratio, hourly] = await Promise.allSettled([
      swap && ticker.fundingRate === null ? this.market.fundingRate(ticker.symbol) : Promise.resolve(null),
      swap ? this.market.openInterest(ticker.symbol, 25) : Promise.resolve([]),
      swap ? this.market.longShortRatio(ticker.symbol) : Promise.resolve(null),
      // 7 days of closed hourly candles: the last hour's move and the volume baseline.
      this.market.candles(ticker.symbol, '1h', { limit: 168 }),
    ]);
    const missing: string[] = swap ? [] : ['spot market: no funding, open interest or long/short ratio'];
    const fr = settled(funding, 'funding', missing);
    const oiPoints = settled(oi, 'open interest', missing) ?? [];
    const ls = settled(ratio, 'long/short ratio', missing);
    const candles = settled(hourly, 'hourly candles', missing)?.candles ?? [];
    if (swap && ratio.status === 'fulfilled' && ratio.value === null) missing.push('long/short ratio: not published by the exchange');

    const lastHour = candles.at(-1);
    const change1hPct = lastHour && lastHour.open > 0 ? (lastHour.close / lastHour.open - 1) * 100 : null;
    let volumeVsNormal: number | null = null;
    if (candles.length >= 48) {
      const volumes = candles.map((c) => c.volume);
      const last24 = volumes.slice(-24).reduce((a, b) => a + b, 0);
      const before = volumes.slice(0, -24);
      const days = before.length / 24;
      const baseline = before.reduce((a, b) => a + b, 0) / days;
      if (baseline > 0) volumeVsNormal = last24 / baseline;
    }

    const scored = scorePositioning({
      market: ticker.market,
      fundingRate: ticker.fundingRate ?? fr?.rate ?? null,
      fundingIntervalHours: fr?.intervalHours ?? null,
      change24hPct: ticker.change24hPct,
      change1hPct,
      oiChange1hPct: oiChangePct(oiPoints, HOUR_MS),
      oiChange24hPct: oiChangePct(oiPoints, 24 * HOUR_MS),
      longShare: ls?.longShare ?? null,
      volumeVsNormal,
      missing,
    });
    return { score: scored.score, asOf: ticker.timestamp, reasons: scored.reasons, inputs: scored.inputs };
  }
}
