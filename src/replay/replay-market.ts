/**
 * The market as it was at the replay clock's time t: the MarketData port over stored history, so
 * the same desk code (scanner, analysts, risk rules, fills, stops) runs in replay unchanged.
 *
 * Point-in-time, by construction and checked:
 * - a candle is seen only once it has closed by t (its open time + its length <= t); the forming
 *   candle is built from the 1-minute candles closed by t;
 * - quotes at t come from the 1-minute candles: last = the close of the last closed minute; bid and
 *   ask sit around it at REPLAY_SPREAD_BPS; the 24h change, range, volume and turnover are over the
 *   closed minutes of the 24 hours before t;
 * - funding: the last rate settled at or before t (the rate announced for the next settlement is
 *   later information); open interest and long/short ratios: the points at or before t;
 * - the order book is a model (see `orderBook`), so fills pay spread, depth, slippage and fees.
 * Asking for data after t (`candlesSince` from a later time) is a bug: it fails loudly with
 * LOOK_AHEAD instead of answering.
 */
import type { Clock } from '../shared/clock.js';
import { AppError } from '../errors.js';
import { SymbolIndex } from '../market/symbols.js';
import {
  TIMEFRAME_MS,
  type Candle,
  type CandleRequest,
  type CandleSeries,
  type FundingRate,
  type LongShortRatio,
  type MarketData,
  type MarketInfo,
  type OpenInterestPoint,
  type OrderBook,
  type RequestBudgetInfo,
  type Ticker,
  type Timeframe,
} from '../market/types.js';
import { lastAtOrBefore, type Series, type SymbolHistory } from './history-data.js';

const MINUTE = 60_000;
const DAY = 86_400_000;

/** The order-book model: levels per side, their spacing, and the share of a minute's volume each holds. */
export const BOOK_MODEL = { levels: 25, levelBps: 1, volumeShare: 0.05, volumeMinutes: 60 } as const;

export interface ReplayMarketOptions {
  exchangeId: string;
  /** Bid-ask spread around the last price, basis points (REPLAY_SPREAD_BPS). */
  spreadBps: number;
}

export class ReplayMarketData implements MarketData {
  readonly exchangeId: string;
  readonly marketType = 'swap' as const;
  private readonly index: SymbolIndex;
  private readonly tickerCache = new Map<string, Ticker>();
  private tickerCacheAt = Number.NaN;

  constructor(
    private readonly data: ReadonlyMap<string, SymbolHistory>,
    private readonly clock: Clock,
    private readonly options: ReplayMarketOptions,
  ) {
    this.exchangeId = options.exchangeId;
    this.index = new SymbolIndex(
      [...data.values()].map((h) => h.info),
      'swap',
    );
  }

  private history(symbol: string): SymbolHistory {
    const h = this.data.get(this.index.resolve(symbol).symbol);
    if (!h) throw new AppError('NOT_FOUND', `${symbol} is not among this replay's symbols`);
    return h;
  }

  /** Refuse a read of data after t: the replay would see the future. */
  private notAfterNow(ms: number, what: string): void {
    const now = this.clock.now();
    if (ms > now) throw new AppError('INTERNAL', `LOOK_AHEAD: ${what} from ${new Date(ms).toISOString()} asked at replay time ${new Date(now).toISOString()}`);
  }

  async resolveSymbol(input: string): Promise<MarketInfo> {
    const info = this.index.resolve(input);
    if (!this.data.has(info.symbol)) throw new AppError('NOT_FOUND', `${input} is not among this replay's symbols`);
    return info;
  }

  async markets(): Promise<MarketInfo[]> {
    return this.index.all();
  }

  async tickers(): Promise<Ticker[]> {
    const out: Ticker[] = [];
    for (const h of this.data.values()) {
      const t = this.quote(h);
      if (t) out.push(t);
    }
    if (out.length === 0)
      throw new AppError('INSUFFICIENT_DATA', `No market history at ${new Date(this.clock.now()).toISOString()}`, {
        hint: 'run `cctrader history fetch` for the window',
      });
    return out;
  }

  async ticker(symbol: string): Promise<Ticker> {
    const h = this.history(symbol);
    const t = this.quote(h);
    if (!t)
      throw new AppError('INSUFFICIENT_DATA', `No ${h.info.symbol} history at ${new Date(this.clock.now()).toISOString()}`, {
        hint: 'the history has a gap here, or the market had not opened yet',
      });
    return t;
  }

  /** The ticker at t from the 1-minute candles (memoised per t). */
  private quote(h: SymbolHistory): Ticker | null {
    const now = this.clock.now();
    if (now !== this.tickerCacheAt) {
      this.tickerCache.clear();
      this.tickerCacheAt = now;
    }
    const hit = this.tickerCache.get(h.info.symbol);
    if (hit) return hit;
    const m = h.m1;
    const last = lastAtOrBefore(m.time, now - MINUTE);
    if (last < 0) return null;
    const first = lastAtOrBefore(m.time, now - DAY - 1) + 1;
    let high = -Infinity;
    let low = Infinity;
    for (let k = first; k <= last; k++) {
      if (m.high[k]! > high) high = m.high[k]!;
      if (m.low[k]! < low) low = m.low[k]!;
    }
    const close = m.close[last]!;
    const open24 = m.open[first]!;
    const { bid, ask } = this.spread(h.info, close);
    const funding = this.fundingAt(h, now);
    const oi = h.openInterest[lastAtOrBefore(h.openInterestTimes, now)];
    const ticker: Ticker = {
      symbol: h.info.symbol,
      market: 'swap',
      last: close,
      bid,
      ask,
      high24h: high,
      low24h: low,
      change24hPct: ((close - open24) / open24) * 100,
      baseVolume24h: m.volumePrefix[last + 1]! - m.volumePrefix[first]!,
      quoteVolume24h: m.turnoverPrefix[last + 1]! - m.turnoverPrefix[first]!,
      fundingRate: funding?.rate ?? null,
      nextFundingTime: funding?.nextFundingTime ?? null,
      openInterestValue: oi ? (oi.value ?? oi.amount * close) : null,
      timestamp: now,
    };
    this.tickerCache.set(h.info.symbol, ticker);
    return ticker;
  }

  /** Best bid and ask around `price`, REPLAY_SPREAD_BPS apart, on the tick grid, at least a tick apart. */
  private spread(info: MarketInfo, price: number): { bid: number; ask: number } {
    const tick = info.tickSize ?? price * 1e-6;
    const half = (price * this.options.spreadBps) / 20_000;
    const bid = roundTick(Math.floor((price - half) / tick) * tick, tick);
    let ask = roundTick(Math.ceil((price + half) / tick) * tick, tick);
    if (ask <= bid) ask = roundTick(bid + tick, tick);
    return { bid, ask };
  }

  async candles(symbol: string, timeframe: Timeframe, request: CandleRequest): Promise<CandleSeries> {
    const h = this.history(symbol);
    const now = this.clock.now();
    const step = TIMEFRAME_MS[timeframe];
    const limit = Math.max(1, Math.trunc(request.limit));
    const closed = this.closedCandles(h, timeframe, now - limit * step - step, now).slice(-limit);
    const forming = request.includeForming ? this.forming(h, timeframe, now) : null;
    return {
      symbol: h.info.symbol,
      market: 'swap',
      timeframe,
      candles: forming ? [...closed, forming] : closed,
      forming: forming !== null,
    };
  }

  async candlesSince(symbol: string, timeframe: Timeframe, since: number): Promise<CandleSeries> {
    this.notAfterNow(since, `${timeframe} candles`);
    const h = this.history(symbol);
    const step = TIMEFRAME_MS[timeframe];
    const candles = this.closedCandles(h, timeframe, Math.floor(since / step) * step, this.clock.now());
    return { symbol: h.info.symbol, market: 'swap', timeframe, candles, forming: false };
  }

  /** Candles of `timeframe` opening at or after `from` and closed by `now`, ascending. */
  private closedCandles(h: SymbolHistory, timeframe: Timeframe, from: number, now: number): Candle[] {
    const step = TIMEFRAME_MS[timeframe];
    const native = h.native.get(timeframe);
    if (native) {
      const end = lastAtOrBefore(native.time, now - step);
      const start = lastAtOrBefore(native.time, from - 1) + 1;
      return sliceSeries(native, start, end);
    }
    // 1m and 5m: from the 1-minute candles.
    const m = h.m1;
    const end = lastAtOrBefore(m.time, now - MINUTE);
    const start = lastAtOrBefore(m.time, from - 1) + 1;
    const minutes = sliceSeries(m, start, end);
    return step === MINUTE ? minutes : aggregate(minutes, step).filter((c) => c.time + step <= now);
  }

  /** The candle of `timeframe` still forming at `now`, from the minutes closed since it opened. */
  private forming(h: SymbolHistory, timeframe: Timeframe, now: number): Candle | null {
    const step = TIMEFRAME_MS[timeframe];
    const start = Math.floor(now / step) * step;
    const m = h.m1;
    const last = lastAtOrBefore(m.time, now - MINUTE);
    if (last < 0) return null;
    const first = lastAtOrBefore(m.time, start - 1) + 1;
    if (first > last) {
      // Just opened: the price it opened at, no volume yet.
      const price = m.close[last]!;
      return { time: start, open: price, high: price, low: price, close: price, volume: 0 };
    }
    return aggregate(sliceSeries(m, first, last), step)[0] ?? null;
  }

  /**
   * The order book at t, modelled: `BOOK_MODEL.levels` levels per side from the best bid and ask,
   * `levelBps` basis points (at least a tick) apart, each holding `volumeShare` of the average
   * 1-minute volume of the last `volumeMinutes` minutes (at least the market's minimum quantity).
   */
  async orderBook(symbol: string, depth: number = BOOK_MODEL.levels): Promise<OrderBook> {
    const h = this.history(symbol);
    const t = await this.ticker(h.info.symbol);
    const now = this.clock.now();
    const m = h.m1;
    const last = lastAtOrBefore(m.time, now - MINUTE);
    const first = Math.max(0, last - BOOK_MODEL.volumeMinutes + 1);
    const avg = (m.volumePrefix[last + 1]! - m.volumePrefix[first]!) / Math.max(1, last - first + 1);
    const size = Math.max(h.info.minQty ?? 0, avg * BOOK_MODEL.volumeShare);
    const tick = h.info.tickSize ?? t.last * 1e-6;
    const gap = Math.max(tick, (t.last * BOOK_MODEL.levelBps) / 10_000);
    const levels = Math.max(1, Math.min(depth, BOOK_MODEL.levels));
    const bids: Array<[number, number]> = [];
    const asks: Array<[number, number]> = [];
    for (let i = 0; i < levels; i++) {
      const bid = roundTick(t.bid! - i * gap, tick);
      if (bid > 0) bids.push([bid, size]);
      asks.push([roundTick(t.ask! + i * gap, tick), size]);
    }
    return { symbol: h.info.symbol, bids, asks, timestamp: now };
  }

  /** The last funding rate settled at or before t, and the next settlement after t. */
  private fundingAt(h: SymbolHistory, now: number): FundingRate | null {
    const times = h.fundingTimes;
    const i = lastAtOrBefore(times, now);
    if (i < 0) return null;
    const interval = i > 0 ? times[i]! - times[i - 1]! : 8 * 3_600_000;
    return {
      symbol: h.info.symbol,
      rate: h.funding[i]!.rate,
      nextFundingTime: times[i]! + interval * Math.max(1, Math.ceil((now - times[i]! + 1) / interval)),
      intervalHours: interval / 3_600_000,
    };
  }

  async fundingRate(symbol: string): Promise<FundingRate | null> {
    const h = this.history(symbol);
    return this.fundingAt(h, this.clock.now());
  }

  async openInterest(symbol: string, hours: number): Promise<OpenInterestPoint[]> {
    const h = this.history(symbol);
    const i = lastAtOrBefore(h.openInterestTimes, this.clock.now());
    return h.openInterest.slice(Math.max(0, i + 1 - Math.max(1, Math.trunc(hours))), i + 1);
  }

  async longShortRatio(symbol: string): Promise<LongShortRatio | null> {
    const h = this.history(symbol);
    const i = lastAtOrBefore(h.longShortTimes, this.clock.now());
    return i < 0 ? null : h.longShort[i]!;
  }

  requestBudget(): RequestBudgetInfo | null {
    return null;
  }

  async close(): Promise<void> {
    // Nothing to close: the history is in memory.
  }
}

function roundTick(price: number, tick: number): number {
  const decimals = Math.max(0, Math.ceil(-Math.log10(tick)) + 2);
  return Number((Math.round(price / tick) * tick).toFixed(decimals));
}

function sliceSeries(s: Series, start: number, end: number): Candle[] {
  const out: Candle[] = [];
  for (let k = start; k <= end; k++)
    out.push({ time: s.time[k]!, open: s.open[k]!, high: s.high[k]!, low: s.low[k]!, close: s.close[k]!, volume: s.volume[k]! });
  return out;
}

/** Candles grouped into buckets of `step` ms by their open time (ascending in, ascending out). */
function aggregate(candles: readonly Candle[], step: number): Candle[] {
  const out: Candle[] = [];
  for (const c of candles) {
    const time = Math.floor(c.time / step) * step;
    const bar = out.at(-1);
    if (bar && bar.time === time) {
      bar.high = Math.max(bar.high, c.high);
      bar.low = Math.min(bar.low, c.low);
      bar.close = c.close;
      bar.volume += c.volume;
    } else out.push({ time, open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume });
  }
  return out;
}
