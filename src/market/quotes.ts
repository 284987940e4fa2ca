/** Market-data features behind get_current_price and fetch_market_data. */
import { AppError } from '../errors.js';
import { marketLabel } from './symbols.js';
import type { Candle, MarketData, Timeframe } from './types.js';

/** Round for presentation only (never inside computations). */
export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Significant-digit rounding for prices of any magnitude (BTC 97000.1, PEPE 0.00001234). */
export function sig(value: number, digits = 8): number {
  if (!Number.isFinite(value) || value === 0) return 0;
  return Number(value.toPrecision(digits));
}

export function iso(ms: number | null): string | null {
  return ms === null || !Number.isFinite(ms) ? null : new Date(ms).toISOString();
}

export interface PriceQuote {
  symbol: string;
  market: 'perpetual' | 'spot';
  last: number;
  bid: number | null;
  ask: number | null;
  spread: number | null;
  spreadPct: number | null;
  change24hPct: number | null;
  high24h: number | null;
  low24h: number | null;
  volume24h: number | null;
  turnover24hUsd: number | null;
  fundingRatePct: number | null;
  nextFundingTime: string | null;
  asOf: string;
}

export async function getPriceQuote(deps: { market: MarketData }, symbol: string): Promise<PriceQuote> {
  const t = await deps.market.ticker(symbol);
  let fundingRate = t.fundingRate;
  let nextFunding = t.nextFundingTime;
  if (t.market === 'swap' && fundingRate === null) {
    const fr = await deps.market.fundingRate(t.symbol);
    fundingRate = fr?.rate ?? null;
    nextFunding = fr?.nextFundingTime ?? null;
  }
  const spread = t.bid !== null && t.ask !== null ? t.ask - t.bid : null;
  const mid = t.bid !== null && t.ask !== null ? (t.ask + t.bid) / 2 : t.last;
  return {
    symbol: t.symbol,
    market: marketLabel(t.market),
    last: t.last,
    bid: t.bid,
    ask: t.ask,
    spread: spread === null ? null : sig(spread),
    spreadPct: spread === null ? null : round((spread / mid) * 100, 4),
    change24hPct: t.change24hPct === null ? null : round(t.change24hPct, 3),
    high24h: t.high24h,
    low24h: t.low24h,
    volume24h: t.baseVolume24h === null ? null : sig(t.baseVolume24h, 8),
    turnover24hUsd: t.quoteVolume24h === null ? null : Math.round(t.quoteVolume24h),
    fundingRatePct: fundingRate === null ? null : round(fundingRate * 100, 5),
    nextFundingTime: iso(nextFunding),
    asOf: new Date(t.timestamp).toISOString(),
  };
}

export interface CompactCandle {
  t: string;
  o: number;
  h: number;
  l: number;
  c: number;
  v: number;
}

export interface CandleReport {
  symbol: string;
  market: 'perpetual' | 'spot';
  timeframe: Timeframe;
  asOf: string;
  summary: {
    candles: number;
    from: string;
    open: number;
    high: number;
    low: number;
    close: number;
    changePct: number;
    rangePct: number;
    avgVolume: number;
    lastVolumeVsAvg: number | null;
  };
  candles: CompactCandle[];
  forming: CompactCandle | null;
}

function compact(c: Candle): CompactCandle {
  return { t: new Date(c.time).toISOString(), o: c.open, h: c.high, l: c.low, c: c.close, v: sig(c.volume, 8) };
}

/** A summary over `lookback` closed candles plus the latest `show` of them and the forming one. */
export async function getCandleReport(
  deps: { market: MarketData },
  symbol: string,
  timeframe: Timeframe,
  lookback: number,
  show: number,
): Promise<CandleReport> {
  const series = await deps.market.candles(symbol, timeframe, { limit: lookback, includeForming: true });
  const forming = series.forming ? series.candles.at(-1)! : null;
  const closed = series.forming ? series.candles.slice(0, -1) : series.candles;
  if (closed.length === 0) {
    throw new AppError('INSUFFICIENT_DATA', `No closed ${timeframe} candles for ${series.symbol} yet`, {
      hint: 'try a shorter timeframe',
      details: { needed: 1, got: 0 },
    });
  }
  const first = closed[0]!;
  const last = closed.at(-1)!;
  let high = -Infinity;
  let low = Infinity;
  let volume = 0;
  for (const c of closed) {
    if (c.high > high) high = c.high;
    if (c.low < low) low = c.low;
    volume += c.volume;
  }
  const avgVolume = volume / closed.length;
  return {
    symbol: series.symbol,
    market: marketLabel(series.market),
    timeframe,
    asOf: new Date(last.time).toISOString(),
    summary: {
      candles: closed.length,
      from: new Date(first.time).toISOString(),
      open: first.open,
      high,
      low,
      close: last.close,
      changePct: round(((last.close - first.open) / first.open) * 100, 3),
      rangePct: round(((high - low) / low) * 100, 3),
      avgVolume: sig(avgVolume, 8),
      lastVolumeVsAvg: avgVolume > 0 ? round(last.volume / avgVolume, 3) : null,
    },
    candles: closed.slice(-show).map(compact),
    forming: forming ? compact(forming) : null,
  };
}
