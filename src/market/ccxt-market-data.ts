/**
 * The ccxt adapter of the MarketData port. ccxt is imported on first use (it takes about half a
 * second to load, and a stdio server must answer `tools/list` quickly). Every call is translated
 * to our error codes, its answer validated (ccxt lets an empty or garbage body through as
 * undefined fields, which become BAD_RESPONSE here), and retried when the fault is retryable: the
 * validation runs inside the retried call, so an HTML page or a truncated body is retried like a 502.
 */
import type { Exchange, OHLCV, Ticker as CcxtTicker } from 'ccxt';
import { AppError } from '../errors.js';
import type { Logger } from '../log.js';
import { CandleCache } from './candle-cache.js';
import { currentCancellation, detached } from '../shared/cancellation.js';
import { installRequestBudget } from './ccxt-budget.js';
import { translateCcxtError } from './ccxt-errors.js';
import { exchangeLimits, type ExchangeLimits } from './exchange-limits.js';
import { cancelledError, RequestBudget, type BudgetTimer } from './request-budget.js';
import { withRetry, type RetryPolicy } from './retry.js';
import { SymbolIndex } from './symbols.js';
import {
  TIMEFRAME_MS,
  HISTORY_PAGE,
  type Candle,
  type CandleRequest,
  type FundingPoint,
  type HistorySource,
  type CandleSeries,
  type FundingRate,
  type LongShortRatio,
  type MarketData,
  type MarketInfo,
  type MarketType,
  type OpenInterestPoint,
  type OrderBook,
  type RequestBudgetInfo,
  type Ticker,
  type Timeframe,
} from './types.js';

export interface CcxtMarketDataOptions {
  exchangeId: string;
  marketType: MarketType;
  baseUrl?: string | undefined;
  apiKey?: string | undefined;
  secret?: string | undefined;
  testnet?: boolean;
  timeoutMs: number;
  /**
   * Client-side request limiting. With it on, an exchange whose published limit the desk knows
   * (exchange-limits.ts) gets one request budget of `requestsPer5s` shared by every call of this
   * instance, in place of ccxt's per-call spacing; any other exchange keeps ccxt's throttle.
   * Off: no client-side limiting at all.
   */
  enableRateLimit: boolean;
  /** The budget, requests per 5 s in the exchange's units (EXCHANGE_REQUESTS_PER_5S). */
  requestsPer5s?: number;
  /** Time for the budget (real time by default; the desk's clock may be simulated). */
  budgetTimer?: BudgetTimer;
  /** Measurements only: keep ccxt's per-call spacing even where a budget is known (the old default). */
  keepCcxtThrottle?: boolean;
  retry: RetryPolicy;
  tickerTtlMs: number;
  log: Logger;
  /** Clock for ticker freshness. */
  now?: () => number;
}

/** Most candles one kline request returns on Bybit. */
const MAX_PAGE = 1000;

export class CcxtMarketData implements MarketData, HistorySource {
  readonly exchangeId: string;
  readonly marketType: MarketType;
  private exchangePromise: Promise<Exchange> | undefined;
  private indexPromise: Promise<SymbolIndex> | undefined;
  private readonly candleCache = new CandleCache();
  private readonly tickerCache = new Map<string, { at: number; ticker: Ticker }>();
  private readonly now: () => number;
  private readonly limits: ExchangeLimits | null;
  private readonly budget: RequestBudget | null;

  constructor(private readonly options: CcxtMarketDataOptions) {
    this.exchangeId = options.exchangeId;
    this.marketType = options.marketType;
    this.now = options.now ?? Date.now;
    this.limits = exchangeLimits(options.exchangeId);
    this.budget =
      options.enableRateLimit && this.limits && !options.keepCcxtThrottle
        ? new RequestBudget({
            capacity: options.requestsPer5s ?? Math.floor(this.limits.publishedPer5s * 0.8),
            windowMs: 5_000,
            ...(options.budgetTimer ? { timer: options.budgetTimer } : {}),
          })
        : null;
  }

  requestBudget(): RequestBudgetInfo {
    const budget = this.budget;
    if (!budget) {
      return {
        limiter: this.options.enableRateLimit ? 'ccxt' : 'off',
        capacityPer5s: null,
        exchangeLimitPer5s: this.limits?.publishedPer5s ?? null,
        refillPerSec: null,
        available: null,
        usedLastMinute: null,
        waiting: 0,
        backoff: null,
      };
    }
    const s = budget.status();
    return {
      limiter: 'budget',
      capacityPer5s: s.capacity,
      exchangeLimitPer5s: this.limits?.publishedPer5s ?? null,
      refillPerSec: s.refillPerSec,
      available: round2(s.available),
      usedLastMinute: round2(s.usedLastMinute),
      waiting: s.waiting,
      backoff: s.backoff ? { until: new Date(s.backoff.until).toISOString(), reason: s.backoff.reason } : null,
    };
  }

  private exchange(): Promise<Exchange> {
    this.exchangePromise ??= this.createExchange().catch((error: unknown) => {
      this.exchangePromise = undefined;
      throw error;
    });
    return this.exchangePromise;
  }

  private async createExchange(): Promise<Exchange> {
    const ccxt = (await import('ccxt')).default as unknown as Record<string, new (config: object) => Exchange>;
    const Ctor = ccxt[this.options.exchangeId];
    if (typeof Ctor !== 'function') {
      throw new AppError('CONFIG', `EXCHANGE_ID ${this.options.exchangeId} is not a ccxt exchange`, {
        hint: 'set EXCHANGE_ID to a ccxt exchange id such as bybit',
      });
    }
    const exchange = new Ctor({
      apiKey: this.options.apiKey,
      secret: this.options.secret,
      enableRateLimit: this.options.enableRateLimit,
      timeout: this.options.timeoutMs,
      options: {
        defaultType: this.options.marketType,
        // Bybit: load only the categories we use (3 requests instead of 11).
        fetchMarkets: { types: this.options.marketType === 'spot' ? ['spot'] : ['linear'] },
      },
    });
    if (this.options.testnet) exchange.setSandboxMode(true);
    // Market data is public: never let currency loading make a signed call.
    (exchange.has as Record<string, unknown>)['fetchCurrencies'] = false;
    if (this.options.baseUrl) {
      const base = this.options.baseUrl.replace(/\/+$/, '');
      const api = exchange.urls['api'] as Record<string, string>;
      for (const key of Object.keys(api)) api[key] = base;
    }
    if (this.budget && this.limits) {
      installRequestBudget(exchange, this.budget, this.limits, {
        // inFlight: requests already handed to the HTTP client; they cannot be recalled.
        onBackoff: ({ reason, until, status, inFlight }) =>
          this.options.log.warn('exchange rate limit: backing off', { reason, status, until: new Date(until).toISOString(), inFlight }),
      });
    }
    for (const method of ['fetchTickers', 'fetchTicker', 'fetchOHLCV'] as const) {
      if (!exchange.has[method]) {
        throw new AppError('CONFIG', `Exchange ${this.options.exchangeId} cannot ${method}`, {
          hint: 'choose an EXCHANGE_ID whose ccxt class supports tickers and OHLCV',
        });
      }
    }
    return exchange;
  }

  /** Run one exchange call with translation and bounded retries. */
  private call<T>(what: string, fn: (ex: Exchange) => Promise<T>): Promise<T> {
    return withRetry(
      {
        ...this.options.retry,
        onRetry: (error, attempt, delayMs) => this.options.log.warn('exchange call retried', { what, code: error.code, attempt, delayMs }),
      },
      async () => {
        // A cancelled call starts no further exchange call, nor a retry of one.
        if (currentCancellation()?.aborted) throw cancelledError();
        const ex = await this.exchange();
        try {
          return await fn(ex);
        } catch (error) {
          const translated = translateCcxtError(error, what);
          this.options.log.debug('exchange call failed', { what, code: translated.code, cause: String(error).slice(0, 300) });
          // The answer that started a back-off, or a request refused during one: say until when.
          if (translated.code === 'RATE_LIMITED') throw this.budget?.refusal() ?? translated;
          throw translated;
        }
      },
    );
  }

  private index(): Promise<SymbolIndex> {
    // Shared by every call: a cancelled call never cancels the market list another call waits for.
    this.indexPromise ??= detached(() => this.loadIndex()).catch((error: unknown) => {
      // ccxt caches a failed loadMarkets and rethrows it forever; we reload on the next call.
      this.indexPromise = undefined;
      throw error;
    });
    return this.indexPromise;
  }

  private async loadIndex(): Promise<SymbolIndex> {
    // Always a real reload: we only get here without a usable index, and ccxt caches a failed
    // load and rethrows it to every later loadMarkets() call that does not force a reload.
    return this.call('loading markets', async (ex) => {
      const markets = Object.values(await ex.loadMarkets(true));
      const infos: MarketInfo[] = [];
      for (const m of markets) {
        if (!m || typeof m.symbol !== 'string') continue;
        const type: MarketType | null = m.swap && m.linear ? 'swap' : m.spot ? 'spot' : null;
        if (!type) continue;
        infos.push({
          symbol: m.symbol,
          id: String(m.id),
          base: String(m.base),
          quote: String(m.quote),
          type,
          active: m.active !== false,
          tickSize: finiteOrNull(m.precision?.price),
          qtyStep: finiteOrNull(m.precision?.amount),
          minQty: finiteOrNull(m.limits?.amount?.min),
          minNotional: finiteOrNull(m.limits?.cost?.min),
          contractSize: finiteOrNull(m.contractSize) ?? 1,
        });
      }
      const index = new SymbolIndex(infos, this.marketType);
      if (index.size === 0) {
        throw new AppError('BAD_RESPONSE', `The exchange listed no ${this.marketType} markets`, { retryable: true, hint: 'retry shortly' });
      }
      return index;
    });
  }

  async resolveSymbol(input: string): Promise<MarketInfo> {
    return (await this.index()).resolve(input);
  }

  async markets(): Promise<MarketInfo[]> {
    return (await this.index()).all();
  }

  async tickers(): Promise<Ticker[]> {
    const index = await this.index();
    return this.call('fetching tickers', async (ex) => {
      const raw = await ex.fetchTickers(undefined, { type: this.marketType });
      const out: Ticker[] = [];
      const at = this.now();
      for (const t of Object.values(raw)) {
        if (!t || typeof t.symbol !== 'string') continue;
        let info: MarketInfo;
        try {
          info = index.resolve(t.symbol);
        } catch {
          continue;
        }
        const ticker = this.toTicker(info, t, at);
        if (ticker) {
          out.push(ticker);
          this.tickerCache.set(info.symbol, { at, ticker });
        }
      }
      if (out.length === 0) {
        throw new AppError('BAD_RESPONSE', 'The exchange returned no usable tickers', { retryable: true, hint: 'retry shortly' });
      }
      return out;
    });
  }

  async ticker(symbol: string): Promise<Ticker> {
    const info = await this.resolveSymbol(symbol);
    const cached = this.tickerCache.get(info.symbol);
    if (cached && this.now() - cached.at < this.options.tickerTtlMs) return cached.ticker;
    return this.call(`fetching the ${info.symbol} ticker`, async (ex) => {
      const raw = await ex.fetchTicker(info.symbol);
      const at = this.now();
      const ticker = this.toTicker(info, raw, at);
      if (!ticker) {
        throw new AppError('BAD_RESPONSE', `The exchange returned no price for ${info.symbol}`, { retryable: true, hint: 'retry shortly' });
      }
      this.tickerCache.set(info.symbol, { at, ticker });
      return ticker;
    });
  }

  private toTicker(info: MarketInfo, t: CcxtTicker, at: number): Ticker | null {
    const last = finiteOrNull(t.last ?? t.close);
    if (last === null || last <= 0) return null;
    const raw = (t.info ?? {}) as Record<string, unknown>;
    const swap = info.type === 'swap';
    return {
      symbol: info.symbol,
      market: info.type,
      last,
      bid: positiveOrNull(t.bid),
      ask: positiveOrNull(t.ask),
      high24h: positiveOrNull(t.high),
      low24h: positiveOrNull(t.low),
      change24hPct: finiteOrNull(t.percentage),
      baseVolume24h: finiteOrNull(t.baseVolume),
      quoteVolume24h: finiteOrNull(t.quoteVolume),
      fundingRate: swap ? finiteOrNull(numberish(raw['fundingRate'])) : null,
      nextFundingTime: swap ? positiveOrNull(numberish(raw['nextFundingTime'])) : null,
      openInterestValue: swap ? finiteOrNull(numberish(raw['openInterestValue'])) : null,
      timestamp: finiteOrNull(t.timestamp) ?? at,
    };
  }

  async candles(symbol: string, timeframe: Timeframe, request: CandleRequest): Promise<CandleSeries> {
    const info = await this.resolveSymbol(symbol);
    const limit = Math.max(1, Math.min(MAX_PAGE - 1, Math.trunc(request.limit)));
    const cached = this.candleCache.get(info.symbol, timeframe);
    const step = TIMEFRAME_MS[timeframe];
    let forming: Candle | undefined;
    if (cached && cached.length >= limit) {
      const since = cached[cached.length - 1]!.time + step;
      const rows = await this.fetchCandles(info, timeframe, since, MAX_PAGE);
      const fresh = rows.length && rows[0]!.time === since ? rows : null;
      if (fresh) {
        forming = fresh.at(-1);
        this.candleCache.append(info.symbol, timeframe, fresh.slice(0, -1));
      } else {
        // Gap (long idle) or an exchange that ignored `since`: refetch the full window.
        forming = this.storeFull(info, timeframe, await this.fetchCandles(info, timeframe, undefined, limit + 1, true));
      }
    } else {
      forming = this.storeFull(info, timeframe, await this.fetchCandles(info, timeframe, undefined, limit + 1, true));
    }
    const closed = (this.candleCache.get(info.symbol, timeframe) ?? []).slice(-limit);
    const candles = request.includeForming && forming ? [...closed, forming] : closed;
    return { symbol: info.symbol, market: info.type, timeframe, candles, forming: Boolean(request.includeForming && forming) };
  }

  /** Cache a full window; the newest row of an open-ended request is the forming candle. */
  private storeFull(info: MarketInfo, timeframe: Timeframe, rows: Candle[]): Candle | undefined {
    if (rows.length === 0) {
      throw new AppError('BAD_RESPONSE', `The exchange returned no ${timeframe} candles for ${info.symbol}`, { retryable: true, hint: 'retry shortly' });
    }
    this.candleCache.set(info.symbol, timeframe, rows.slice(0, -1));
    return rows.at(-1);
  }

  async candlesSince(symbol: string, timeframe: Timeframe, since: number): Promise<CandleSeries> {
    const info = await this.resolveSymbol(symbol);
    const step = TIMEFRAME_MS[timeframe];
    const out: Candle[] = [];
    let cursor = Math.floor(since / step) * step;
    // Page forward; the newest row of the last page is the forming candle and is dropped.
    for (let page = 0; page < 20; page++) {
      const rows = await this.fetchCandles(info, timeframe, cursor, MAX_PAGE);
      if (rows.length === 0) break;
      const last = rows.length < MAX_PAGE;
      out.push(...(last ? rows.slice(0, -1) : rows));
      if (last) break;
      cursor = rows[rows.length - 1]!.time + step;
    }
    return { symbol: info.symbol, market: info.type, timeframe, candles: out, forming: false };
  }

  /** One page of candles, validated; `nonEmpty`: no rows is a bad answer (a full window always has some). */
  private async fetchCandles(info: MarketInfo, timeframe: Timeframe, since: number | undefined, limit: number, nonEmpty = false): Promise<Candle[]> {
    return this.call(`fetching ${timeframe} candles of ${info.symbol}`, async (ex) => {
      const rows = validateCandles(await ex.fetchOHLCV(info.symbol, timeframe, since, limit), info.symbol, timeframe);
      if (nonEmpty && rows.length === 0) {
        throw new AppError('BAD_RESPONSE', `The exchange returned no ${timeframe} candles for ${info.symbol}`, { retryable: true, hint: 'retry shortly' });
      }
      return rows;
    });
  }

  async orderBook(symbol: string, depth = 50): Promise<OrderBook> {
    const info = await this.resolveSymbol(symbol);
    const side = (levels: unknown): Array<[number, number]> =>
      (Array.isArray(levels) ? levels : [])
        .map((l) => [Number((l as unknown[])[0]), Number((l as unknown[])[1])] as [number, number])
        .filter(([p, q]) => Number.isFinite(p) && p > 0 && Number.isFinite(q) && q > 0);
    return this.call(`fetching the ${info.symbol} order book`, async (ex) => {
      const book = await ex.fetchOrderBook(info.symbol, depth);
      const bids = side(book.bids);
      const asks = side(book.asks);
      if (bids.length === 0 || asks.length === 0) {
        throw new AppError('BAD_RESPONSE', `The exchange returned an empty order book for ${info.symbol}`, { retryable: true, hint: 'retry shortly' });
      }
      return { symbol: info.symbol, bids, asks, timestamp: finiteOrNull(book.timestamp) ?? this.now() };
    });
  }

  async fundingRate(symbol: string): Promise<FundingRate | null> {
    const info = await this.resolveSymbol(symbol);
    if (info.type !== 'swap') return null;
    const ex = await this.exchange();
    if (!ex.has['fetchFundingRate']) return null;
    const { fr, rate } = await this.call(`fetching the ${info.symbol} funding rate`, async (e) => {
      const fr = await e.fetchFundingRate(info.symbol);
      const rate = finiteOrNull(fr.fundingRate);
      if (rate === null) {
        throw new AppError('BAD_RESPONSE', `The exchange returned no funding rate for ${info.symbol}`, { retryable: true, hint: 'retry shortly' });
      }
      return { fr, rate };
    });
    const interval = typeof fr.interval === 'string' ? Number.parseInt(fr.interval, 10) : NaN;
    return {
      symbol: info.symbol,
      rate,
      nextFundingTime: positiveOrNull(fr.nextFundingTimestamp ?? fr.fundingTimestamp),
      intervalHours: Number.isFinite(interval) ? interval : null,
    };
  }

  async openInterest(symbol: string, hours: number): Promise<OpenInterestPoint[]> {
    const info = await this.resolveSymbol(symbol);
    if (info.type !== 'swap') return [];
    const ex = await this.exchange();
    if (!ex.has['fetchOpenInterestHistory']) return [];
    const limit = Math.max(1, Math.min(200, Math.trunc(hours)));
    const rows = await this.call(`fetching the ${info.symbol} open interest`, (e) => e.fetchOpenInterestHistory(info.symbol, '1h', undefined, limit));
    return rows
      .map((r) => ({
        time: finiteOrNull(r.timestamp) ?? NaN,
        amount: finiteOrNull(r.openInterestAmount) ?? NaN,
        value: finiteOrNull(r.openInterestValue),
      }))
      .filter((p) => Number.isFinite(p.time) && Number.isFinite(p.amount))
      .sort((a, b) => a.time - b.time);
  }

  async longShortRatio(symbol: string): Promise<LongShortRatio | null> {
    const info = await this.resolveSymbol(symbol);
    if (info.type !== 'swap') return null;
    const ex = await this.exchange();
    if (!ex.has['fetchLongShortRatioHistory']) return null;
    // Bybit: GET /v5/market/account-ratio?period=1h&limit=1 -> { buyRatio, sellRatio, timestamp }.
    return this.call(`fetching the ${info.symbol} long/short ratio`, async (e) => {
      const rows = await e.fetchLongShortRatioHistory(info.symbol, '1h', undefined, 1);
      // No rows: the exchange publishes no ratio for this market (yet).
      if (!Array.isArray(rows) || rows.length === 0) return null;
      let latest: LongShortRatio | null = null;
      for (const r of rows) {
        const raw = (r?.info ?? {}) as Record<string, unknown>;
        const buy = numberish(raw['buyRatio']);
        const sell = numberish(raw['sellRatio']);
        const ratio = finiteOrNull(r?.longShortRatio);
        const longShare =
          buy !== undefined && sell !== undefined && buy + sell > 0 ? buy / (buy + sell) : ratio !== null && ratio >= 0 ? ratio / (1 + ratio) : NaN;
        const time = finiteOrNull(r?.timestamp);
        if (time === null || !Number.isFinite(longShare) || longShare <= 0 || longShare >= 1) continue;
        if (!latest || time > latest.time) latest = { time, longShare, ratio: longShare / (1 - longShare) };
      }
      if (!latest) {
        throw new AppError('BAD_RESPONSE', `The exchange returned no usable long/short ratio for ${info.symbol}`, { retryable: true, hint: 'retry shortly' });
      }
      return latest;
    });
  }

  // ---- History (HistorySource): one exchange page per call, through the budget and retries ----

  async candlePage(symbol: string, timeframe: Timeframe, from: number, to: number): Promise<Candle[]> {
    const info = await this.resolveSymbol(symbol);
    const step = TIMEFRAME_MS[timeframe];
    return this.call(`fetching ${timeframe} candle history of ${info.symbol}`, async (ex) => {
      const rows = validateCandles(await ex.fetchOHLCV(info.symbol, timeframe, from, HISTORY_PAGE.candles, { until: to - 1 }), info.symbol, timeframe);
      // Closed candles only (the newest row of a range that reaches now is still forming).
      const closedBy = this.now();
      return rows.filter((c) => c.time >= from && c.time < to && c.time + step <= closedBy);
    });
  }

  async fundingPage(symbol: string, from: number, to: number): Promise<FundingPoint[]> {
    const info = await this.resolveSymbol(symbol);
    if (info.type !== 'swap') return [];
    return this.call(`fetching the funding history of ${info.symbol}`, async (ex) => {
      const rows = await ex.fetchFundingRateHistory(info.symbol, from, HISTORY_PAGE.funding, { until: to - 1 });
      return rows
        .map((r) => ({ time: finiteOrNull(r.timestamp) ?? NaN, rate: finiteOrNull(r.fundingRate) ?? NaN }))
        .filter((p) => Number.isFinite(p.time) && Number.isFinite(p.rate) && p.time >= from && p.time < to)
        .sort((a, b) => a.time - b.time);
    });
  }

  async openInterestPage(symbol: string, from: number, to: number): Promise<OpenInterestPoint[]> {
    const info = await this.resolveSymbol(symbol);
    if (info.type !== 'swap') return [];
    return this.call(`fetching the open-interest history of ${info.symbol}`, async (ex) => {
      const rows = await ex.fetchOpenInterestHistory(info.symbol, '1h', from, HISTORY_PAGE.openInterest, { until: to - 1 });
      return rows
        .map((r) => ({ time: finiteOrNull(r.timestamp) ?? NaN, amount: finiteOrNull(r.openInterestAmount) ?? NaN, value: finiteOrNull(r.openInterestValue) }))
        .filter((p) => Number.isFinite(p.time) && Number.isFinite(p.amount) && p.time >= from && p.time < to)
        .sort((a, b) => a.time - b.time);
    });
  }

  async longShortPage(symbol: string, from: number, to: number): Promise<LongShortRatio[]> {
    const info = await this.resolveSymbol(symbol);
    if (info.type !== 'swap') return [];
    // ccxt passes no time range for Bybit's account-ratio endpoint: its own startTime/endTime are given as params.
    return this.call(`fetching the long/short history of ${info.symbol}`, async (ex) => {
      const rows = await ex.fetchLongShortRatioHistory(info.symbol, '1h', undefined, HISTORY_PAGE.longShort, { startTime: from, endTime: to - 1 });
      const out: LongShortRatio[] = [];
      for (const r of Array.isArray(rows) ? rows : []) {
        const raw = (r?.info ?? {}) as Record<string, unknown>;
        const buy = numberish(raw['buyRatio']);
        const sell = numberish(raw['sellRatio']);
        const time = finiteOrNull(r?.timestamp);
        const longShare = buy !== undefined && sell !== undefined && buy + sell > 0 ? buy / (buy + sell) : NaN;
        if (time === null || time < from || time >= to || !(longShare > 0 && longShare < 1)) continue;
        out.push({ time, longShare, ratio: longShare / (1 - longShare) });
      }
      return out.sort((a, b) => a.time - b.time);
    });
  }

  async close(): Promise<void> {
    // Requests still waiting for the budget are not sent after the client is closed.
    this.budget?.rejectWaiting(new AppError('UPSTREAM_UNAVAILABLE', 'The exchange client was closed before this request could be sent'));
    const pending = this.exchangePromise;
    this.exchangePromise = undefined;
    if (!pending) return;
    try {
      const ex = await pending;
      await ex.close?.();
    } catch {
      // nothing to close
    }
  }
}

function validateCandles(rows: OHLCV[] | undefined, symbol: string, timeframe: Timeframe): Candle[] {
  if (!Array.isArray(rows)) {
    throw new AppError('BAD_RESPONSE', `The exchange returned unreadable ${timeframe} candles for ${symbol}`, { retryable: true, hint: 'retry shortly' });
  }
  const out: Candle[] = [];
  for (const r of rows) {
    const [time, open, high, low, close, volume] = (r ?? []).map((v) => (v === undefined || v === null ? NaN : Number(v)));
    if (![time, open, high, low, close, volume].every((v) => Number.isFinite(v)) || high! < low! || low! <= 0) {
      throw new AppError('BAD_RESPONSE', `The exchange returned a malformed ${timeframe} candle for ${symbol}`, { retryable: true, hint: 'retry shortly' });
    }
    out.push({ time: time!, open: open!, high: high!, low: low!, close: close!, volume: volume! });
  }
  out.sort((a, b) => a.time - b.time);
  return out;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

function numberish(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '') return Number(v);
  return undefined;
}

function finiteOrNull(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function positiveOrNull(v: unknown): number | null {
  const n = finiteOrNull(v);
  return n !== null && n > 0 ? n : null;
}
