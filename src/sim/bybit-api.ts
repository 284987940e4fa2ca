/**
 * Bybit v5 public market endpoints over the market model: request parameters in, the exchange's
 * JSON envelope out (`{ retCode, retMsg, result, retExtInfo, time }`, every number a string, as
 * Bybit prints them). Pure: (model, path, query, now) → response.
 *
 * Parameter errors answer HTTP 200 with retCode 10001 like Bybit; an unknown symbol says
 * "Not supported symbols" (ccxt maps that text to BadSymbol). Out-of-range limits are clamped.
 */

import { decimalsOf } from './instruments.js';
import {
  DAY_MS,
  FUNDING_INTERVAL_MS,
  HOUR_MS,
  MINUTE_MS,
  type MarketModel,
  type SimCandle,
  formatFixed,
  formatScaled,
  isKlineInterval,
  nextFundingTime,
} from './market-model.js';

export interface ApiResponse {
  status: number;
  contentType: string;
  body: string;
  headers?: Record<string, string>;
}

/** Thrown by parameter parsing; becomes a retCode 10001 envelope. */
class ParamError extends Error {}

const CATEGORIES = ['spot', 'linear', 'inverse', 'option'] as const;
type Category = (typeof CATEGORIES)[number];

/** Open-interest `intervalTime` and account-ratio `period` values → bucket length (ms). */
const STAT_INTERVALS: Readonly<Record<string, number>> = {
  '5min': 5 * MINUTE_MS,
  '15min': 15 * MINUTE_MS,
  '30min': 30 * MINUTE_MS,
  '1h': HOUR_MS,
  '4h': 4 * HOUR_MS,
  '1d': DAY_MS,
};

export function envelope(retCode: number, retMsg: string, result: unknown, now: number): string {
  return JSON.stringify({ retCode, retMsg, result, retExtInfo: {}, time: now });
}

function json(body: string, now: number): ApiResponse {
  return { status: 200, contentType: 'application/json; charset=utf-8', body, headers: { Timenow: String(now) } };
}

function ok(result: unknown, now: number): ApiResponse {
  return json(envelope(0, 'OK', result, now), now);
}

function paramsError(message: string, now: number): ApiResponse {
  return json(envelope(10001, message, {}, now), now);
}

/** Answers one GET request, or undefined when the path is not a known endpoint. */
export function handleMarketRequest(model: MarketModel, path: string, query: URLSearchParams, now: number): ApiResponse | undefined {
  const handler = ROUTES[path];
  if (handler === undefined) return undefined;
  try {
    return handler(model, query, now);
  } catch (error) {
    if (error instanceof ParamError) return paramsError(error.message, now);
    throw error;
  }
}

type Handler = (model: MarketModel, query: URLSearchParams, now: number) => ApiResponse;

const ROUTES: Readonly<Record<string, Handler>> = {
  '/v5/market/time': (_model, _query, now) => ok({ timeSecond: String(Math.floor(now / 1000)), timeNano: `${now}000000` }, now),
  '/v5/market/instruments-info': instrumentsInfo,
  '/v5/market/tickers': tickers,
  '/v5/market/kline': (model, query, now) => kline(model, query, now, 'trade'),
  '/v5/market/mark-price-kline': (model, query, now) => kline(model, query, now, 'mark'),
  '/v5/market/index-price-kline': (model, query, now) => kline(model, query, now, 'index'),
  '/v5/market/orderbook': orderbook,
  '/v5/market/open-interest': openInterest,
  '/v5/market/funding/history': fundingHistory,
  '/v5/market/account-ratio': accountRatio,
};

// ---- parameter parsing ---------------------------------------------------------------------------

function category(query: URLSearchParams, fallback?: Category): Category {
  const value = query.get('category') ?? fallback;
  if (value === undefined || value === '') throw new ParamError('params error: category is required');
  if (!(CATEGORIES as readonly string[]).includes(value)) throw new ParamError('Illegal category');
  return value as Category;
}

/** A listed symbol for spot/linear; anything else is "Not supported symbols". */
function symbol(model: MarketModel, query: URLSearchParams, cat: Category): string {
  const value = query.get('symbol');
  if (value === null || value === '') throw new ParamError('params error: symbol is required');
  if ((cat !== 'spot' && cat !== 'linear') || !model.has(value)) throw new ParamError('Not supported symbols');
  return value;
}

function integer(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) throw new ParamError(`params error: ${name} invalid`);
  return value;
}

function limit(query: URLSearchParams, fallback: number, max: number): number {
  const value = integer(query, 'limit') ?? fallback;
  return Math.min(Math.max(value, 1), max);
}

/** Bybit's opaque page cursor; here it carries the end time of the next page. */
function cursorEnd(query: URLSearchParams): number | undefined {
  const raw = query.get('cursor');
  if (raw === null || raw === '') return undefined;
  const match = /^t(\d+)$/.exec(raw);
  if (match === null) throw new ParamError('params error: cursor invalid');
  return Number(match[1]);
}

// ---- endpoints -----------------------------------------------------------------------------------

function instrumentsInfo(model: MarketModel, query: URLSearchParams, now: number): ApiResponse {
  const cat = category(query);
  const status = query.get('status');
  const wanted = query.get('symbol');
  const baseCoin = query.get('baseCoin');
  const listed = cat === 'spot' || cat === 'linear' ? model.symbols() : [];
  const ids = listed.filter(
    (id) =>
      (status === null || status === '' || status === 'Trading') &&
      (wanted === null || wanted === '' || wanted === id) &&
      (baseCoin === null || baseCoin === '' || model.spec(id)?.base === baseCoin),
  );
  if (cat === 'spot') {
    return ok({ category: cat, list: ids.map((id) => spotInstrument(model, id)) }, now);
  }
  return ok({ category: cat, list: ids.map((id) => linearInstrument(model, id)), nextPageCursor: '' }, now);
}

function linearInstrument(model: MarketModel, id: string): Record<string, unknown> {
  const s = requireSpec(model, id);
  const maxPriceTicks = Math.round((s.anchorPrice * 40) / Number(s.tickSize));
  return {
    symbol: s.id,
    contractType: 'LinearPerpetual',
    status: 'Trading',
    baseCoin: s.base,
    quoteCoin: s.quote,
    launchTime: String(s.launchTime),
    deliveryTime: '0',
    deliveryFeeRate: '',
    priceScale: String(decimalsOf(s.tickSize)),
    leverageFilter: { minLeverage: '1', maxLeverage: s.maxLeverage, leverageStep: '0.01' },
    priceFilter: { minPrice: s.tickSize, maxPrice: formatScaled(maxPriceTicks, s.tickSize), tickSize: s.tickSize },
    lotSizeFilter: {
      maxOrderQty: s.maxOrderQty,
      minOrderQty: s.minOrderQty,
      qtyStep: s.qtyStep,
      postOnlyMaxOrderQty: s.maxOrderQty,
      maxMktOrderQty: s.maxMktOrderQty,
      minNotionalValue: '5',
    },
    unifiedMarginTrade: true,
    fundingInterval: 480,
    settleCoin: 'USDT',
    copyTrading: 'both',
    upperFundingRate: '0.005',
    lowerFundingRate: '-0.005',
    isPreListing: false,
    preListingInfo: null,
    riskParameters: { priceLimitRatioX: '0.01', priceLimitRatioY: '0.02' },
    displayName: '',
  };
}

function spotInstrument(model: MarketModel, id: string): Record<string, unknown> {
  const s = requireSpec(model, id);
  return {
    symbol: s.id,
    baseCoin: s.base,
    quoteCoin: s.quote,
    innovation: '0',
    status: 'Trading',
    marginTrading: 'utaOnly',
    stTag: '0',
    lotSizeFilter: {
      basePrecision: s.qtyStep,
      quotePrecision: '0.00000001',
      minOrderQty: s.minOrderQty,
      maxOrderQty: s.maxOrderQty,
      minOrderAmt: '5',
      maxOrderAmt: '2000000',
    },
    priceFilter: { tickSize: s.tickSize },
    riskParameters: { priceLimitRatioX: '0.05', priceLimitRatioY: '0.05' },
  };
}

function requireSpec(model: MarketModel, id: string): NonNullable<ReturnType<MarketModel['spec']>> {
  const s = model.spec(id);
  if (s === undefined) throw new ParamError('Not supported symbols');
  return s;
}

function tickers(model: MarketModel, query: URLSearchParams, now: number): ApiResponse {
  const cat = category(query);
  const wanted = query.get('symbol');
  if (cat === 'inverse' || cat === 'option') {
    if (wanted !== null && wanted !== '') throw new ParamError('Not supported symbols');
    return ok({ category: cat, list: [] }, now);
  }
  const ids = wanted === null || wanted === '' ? model.symbols() : [symbol(model, query, cat)];
  const list = ids.map((id) => (cat === 'linear' ? linearTicker(model, id, now) : spotTicker(model, id, now)));
  return ok({ category: cat, list }, now);
}

/** price24hPcnt as Bybit prints it: a fraction with up to 6 decimals ("0.012345"). */
function changeFraction(last: number, prev: number): string {
  return formatFixed(Math.round((last / prev - 1) * 1e6), 6);
}

function linearTicker(model: MarketModel, id: string, now: number): Record<string, string> {
  const t = model.ticker(id, now);
  const px = (ticks: number): string => model.formatPrice(id, ticks);
  const qty = (steps: number): string => model.formatQty(id, steps);
  const spec = requireSpec(model, id);
  const oi = model.openInterest(id, now);
  const oiDecimals = decimalsOf(spec.qtyStep);
  const markUsd = t.mark * Number(spec.tickSize);
  const nextFunding = nextFundingTime(now);
  return {
    symbol: id,
    lastPrice: px(t.last),
    indexPrice: px(t.index),
    markPrice: px(t.mark),
    prevPrice24h: px(t.prevPrice24h),
    price24hPcnt: changeFraction(t.last, t.prevPrice24h),
    highPrice24h: px(t.high24h),
    lowPrice24h: px(t.low24h),
    prevPrice1h: px(t.prevPrice1h),
    openInterest: oi.toFixed(oiDecimals),
    openInterestValue: (oi * markUsd).toFixed(2),
    turnover24h: formatFixed(t.turnover24h, 2),
    volume24h: qty(t.volume24h),
    fundingRate: model.fundingRate(id, nextFunding).toFixed(8),
    nextFundingTime: String(nextFunding),
    predictedDeliveryPrice: '',
    basisRate: '',
    deliveryFeeRate: '',
    deliveryTime: '0',
    ask1Size: qty(t.ask1Size),
    bid1Price: px(t.bid1),
    ask1Price: px(t.ask1),
    bid1Size: qty(t.bid1Size),
    basis: '',
    preOpenPrice: '',
    preQty: '',
    curPreListingPhase: '',
    fundingIntervalHour: '8',
    fundingCap: '0.005',
  };
}

function spotTicker(model: MarketModel, id: string, now: number): Record<string, string> {
  const t = model.ticker(id, now);
  const px = (ticks: number): string => model.formatPrice(id, ticks);
  const qty = (steps: number): string => model.formatQty(id, steps);
  return {
    symbol: id,
    bid1Price: px(t.bid1),
    bid1Size: qty(t.bid1Size),
    ask1Price: px(t.ask1),
    ask1Size: qty(t.ask1Size),
    lastPrice: px(t.last),
    prevPrice24h: px(t.prevPrice24h),
    price24hPcnt: changeFraction(t.last, t.prevPrice24h),
    highPrice24h: px(t.high24h),
    lowPrice24h: px(t.low24h),
    turnover24h: formatFixed(t.turnover24h, 2),
    volume24h: qty(t.volume24h),
    usdIndexPrice: px(t.index),
  };
}

function kline(model: MarketModel, query: URLSearchParams, now: number, kind: 'trade' | 'mark' | 'index'): ApiResponse {
  const cat = category(query, 'linear');
  if (kind !== 'trade' && cat === 'spot') throw new ParamError('Illegal category');
  const id = symbol(model, query, cat);
  const interval = query.get('interval');
  if (interval === null || interval === '') throw new ParamError('params error: interval is required');
  if (!isKlineInterval(interval)) throw new ParamError('params error: invalid interval');
  const start = integer(query, 'start');
  const end = integer(query, 'end');
  const bars = model.klines(
    id,
    { interval, limit: limit(query, 200, 1000), ...(start === undefined ? {} : { start }), ...(end === undefined ? {} : { end }) },
    now,
  );
  const px = (ticks: number): string => model.formatPrice(id, ticks);
  const row = (c: SimCandle): string[] =>
    kind === 'trade'
      ? [String(c.start), px(c.open), px(c.high), px(c.low), px(c.close), model.formatQty(id, c.volume), formatFixed(c.turnover, 2)]
      : [String(c.start), px(c.open), px(c.high), px(c.low), px(c.close)];
  return ok({ symbol: id, category: cat, list: bars.map(row) }, now);
}

function orderbook(model: MarketModel, query: URLSearchParams, now: number): ApiResponse {
  const cat = category(query);
  const id = symbol(model, query, cat);
  const depth = cat === 'spot' ? limit(query, 1, 200) : limit(query, 25, 500);
  const book = model.orderBook(id, now, depth);
  const side = (levels: Array<{ price: number; size: number }>): string[][] => levels.map((l) => [model.formatPrice(id, l.price), model.formatQty(id, l.size)]);
  const updateId = Math.floor(now / 20);
  return ok({ s: id, b: side(book.bids), a: side(book.asks), ts: now, u: updateId, seq: updateId * 7 + 11, cts: now - 3 }, now);
}

/** Timestamps of a bucketed statistic, newest first: bucket starts <= end, >= start, at most `count`. */
function buckets(step: number, start: number | undefined, end: number, count: number): number[] {
  const out: number[] = [];
  let t = Math.floor(end / step) * step;
  while (out.length < count && (start === undefined || t >= start)) {
    out.push(t);
    t -= step;
  }
  return out;
}

/** The next page's cursor when the page is full and older points remain in range. */
function nextCursor(page: number[], step: number, start: number | undefined, count: number): string {
  const oldest = page[page.length - 1];
  if (page.length < count || oldest === undefined) return '';
  const next = oldest - step;
  return start !== undefined && next < start ? '' : `t${next}`;
}

function statRange(query: URLSearchParams, now: number): { start: number | undefined; end: number } {
  const start = integer(query, 'startTime');
  const end = Math.min(cursorEnd(query) ?? integer(query, 'endTime') ?? now, now);
  return { start, end };
}

function derivativesCategory(query: URLSearchParams): Category {
  const cat = category(query);
  if (cat !== 'linear' && cat !== 'inverse') throw new ParamError('Illegal category');
  return cat;
}

function openInterest(model: MarketModel, query: URLSearchParams, now: number): ApiResponse {
  const cat = derivativesCategory(query);
  const id = symbol(model, query, cat);
  const intervalTime = query.get('intervalTime') ?? '';
  const step = STAT_INTERVALS[intervalTime];
  if (step === undefined) throw new ParamError('params error: intervalTime invalid');
  const count = limit(query, 50, 200);
  const { start, end } = statRange(query, now);
  const times = buckets(step, start, end, count);
  const decimals = decimalsOf(requireSpec(model, id).qtyStep);
  const list = times.map((t) => ({ openInterest: model.openInterest(id, t).toFixed(decimals), timestamp: String(t) }));
  return ok({ symbol: id, category: cat, list, nextPageCursor: nextCursor(times, step, start, count) }, now);
}

function fundingHistory(model: MarketModel, query: URLSearchParams, now: number): ApiResponse {
  const cat = derivativesCategory(query);
  const id = symbol(model, query, cat);
  const count = limit(query, 200, 200);
  const { start, end } = statRange(query, now);
  // Settlements are at multiples of 8h; the latest settled one is at or before `end`.
  const times = buckets(FUNDING_INTERVAL_MS, start, end, count);
  const list = times.map((t) => ({ symbol: id, fundingRate: model.fundingRate(id, t).toFixed(8), fundingRateTimestamp: String(t) }));
  return ok({ category: cat, list }, now);
}

function accountRatio(model: MarketModel, query: URLSearchParams, now: number): ApiResponse {
  const cat = derivativesCategory(query);
  const id = symbol(model, query, cat);
  const period = query.get('period') ?? '';
  const step = STAT_INTERVALS[period];
  if (step === undefined) throw new ParamError('params error: period invalid');
  const count = limit(query, 50, 500);
  const { start, end } = statRange(query, now);
  const times = buckets(step, start, end, count);
  const list = times.map((t) => {
    const buy = Math.round(model.buyRatio(id, t) * 1e4);
    return { symbol: id, buyRatio: formatFixed(buy, 4), sellRatio: formatFixed(1e4 - buy, 4), timestamp: String(t) };
  });
  return ok({ list, nextPageCursor: nextCursor(times, step, start, count) }, now);
}
