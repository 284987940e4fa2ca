/** Market-data vocabulary shared by every feature. Prices and sizes are plain numbers here;
 * the ledger converts them to decimals at the point of booking. Times are epoch milliseconds. */

export type MarketType = 'swap' | 'spot';

export const TIMEFRAMES = ['1m', '5m', '15m', '1h', '4h', '1d'] as const;
export type Timeframe = (typeof TIMEFRAMES)[number];

export const TIMEFRAME_MS: Record<Timeframe, number> = {
  '1m': 60_000,
  '5m': 300_000,
  '15m': 900_000,
  '1h': 3_600_000,
  '4h': 14_400_000,
  '1d': 86_400_000,
};

export interface Candle {
  /** Open time, epoch ms. */
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  /** Base-asset volume. */
  volume: number;
}

export interface MarketInfo {
  /** ccxt unified symbol, e.g. `BTC/USDT:USDT` (perpetual) or `BTC/USDT` (spot). */
  symbol: string;
  /** Exchange id, e.g. `BTCUSDT`. */
  id: string;
  base: string;
  quote: string;
  type: MarketType;
  active: boolean;
  /** Price increment. */
  tickSize: number | null;
  /** Quantity increment. */
  qtyStep: number | null;
  minQty: number | null;
  minNotional: number | null;
  contractSize: number;
}

export interface Ticker {
  symbol: string;
  market: MarketType;
  last: number;
  bid: number | null;
  ask: number | null;
  high24h: number | null;
  low24h: number | null;
  /** 24h change in percent (5 means +5%). */
  change24hPct: number | null;
  baseVolume24h: number | null;
  /** 24h turnover in quote currency (USDT). */
  quoteVolume24h: number | null;
  fundingRate: number | null;
  nextFundingTime: number | null;
  openInterestValue: number | null;
  timestamp: number;
}

export interface CandleSeries {
  symbol: string;
  market: MarketType;
  timeframe: Timeframe;
  /** Ascending by time. Only closed candles unless `forming` is true, in which case the last one is still open. */
  candles: Candle[];
  /** True when the last candle in `candles` is still forming. */
  forming: boolean;
}

export interface OrderBook {
  symbol: string;
  /** [price, base quantity], best first. */
  bids: Array<[number, number]>;
  asks: Array<[number, number]>;
  timestamp: number;
}

export interface FundingRate {
  symbol: string;
  /** Rate per funding interval as a fraction (0.0001 = 0.01%). */
  rate: number;
  nextFundingTime: number | null;
  /** Funding interval in hours, when known. */
  intervalHours: number | null;
}

export interface OpenInterestPoint {
  time: number;
  /** Open interest in base-asset units (contracts for linear USDT perpetuals). */
  amount: number;
  /** Open interest in quote currency, when the exchange says. */
  value: number | null;
}

/** The exchange's long/short account ratio: how many accounts hold a net long vs net short position. */
export interface LongShortRatio {
  /** Start of the 1h period it covers, epoch ms. */
  time: number;
  /** Share of accounts net long, 0..1 (0.6 = 60 % of accounts are long). */
  longShare: number;
  /** Long accounts per short account (longShare / (1 - longShare)). */
  ratio: number;
}

export interface CandleRequest {
  /** How many candles are wanted (closed ones, unless includeForming). */
  limit: number;
  /** Include the still-forming last candle. Default false: analysis works on closed candles. */
  includeForming?: boolean;
}

/**
 * The exchange request budget as the desk reports it (get_risk_status, `cctrader config`).
 * `limiter`: `budget` = the desk's one shared budget at the exchange's published limit with a
 * margin (EXCHANGE_REQUESTS_PER_5S); `ccxt` = ccxt's own per-call spacing (an exchange whose limit
 * the desk does not know); `off` = no client-side limiting (EXCHANGE_RATE_LIMIT=false).
 * Counts are in the exchange's units (one standard market request = 1); null when not `budget`.
 */
export interface RequestBudgetInfo {
  limiter: 'budget' | 'ccxt' | 'off';
  /** The budget: requests per 5 s. */
  capacityPer5s: number | null;
  /** The exchange's published limit per 5 s. */
  exchangeLimitPer5s: number | null;
  /** Average refill, requests per second. */
  refillPerSec: number | null;
  /** Requests that may go out at once now. */
  available: number | null;
  /** Weighted requests sent in the last 60 s. */
  usedLastMinute: number | null;
  /** Requests waiting for the budget now. */
  waiting: number;
  /** While set, no request is sent: calls answer RATE_LIMITED with `until` as their retry time. */
  backoff: { until: string; reason: '403' | '429' | '10006' | '10018' } | null;
}

/**
 * The port every feature uses to read the market. Symbols passed in may be in any accepted
 * form (`BTC/USDT`, `BTCUSDT`, `BTC/USDT:USDT`); answers always carry the resolved symbol.
 * Failures are AppErrors with market codes (NOT_FOUND, RATE_LIMITED, UPSTREAM_UNAVAILABLE,
 * TIMEOUT, AUTH, BAD_RESPONSE).
 */
export interface MarketData {
  readonly exchangeId: string;
  readonly marketType: MarketType;
  resolveSymbol(input: string): Promise<MarketInfo>;
  markets(): Promise<MarketInfo[]>;
  /** All tickers of the configured market type in one call. */
  tickers(): Promise<Ticker[]>;
  ticker(symbol: string): Promise<Ticker>;
  candles(symbol: string, timeframe: Timeframe, request: CandleRequest): Promise<CandleSeries>;
  /** Candles from `since` (inclusive, epoch ms) up to now, closed ones only, ascending. */
  candlesSince(symbol: string, timeframe: Timeframe, since: number): Promise<CandleSeries>;
  orderBook(symbol: string, depth?: number): Promise<OrderBook>;
  /** Null for spot markets. */
  fundingRate(symbol: string): Promise<FundingRate | null>;
  /** Open-interest history at 1h resolution, newest last; empty for spot markets. */
  openInterest(symbol: string, hours: number): Promise<OpenInterestPoint[]>;
  /** Latest 1h long/short account ratio; null for spot markets and exchanges that publish none. */
  longShortRatio(symbol: string): Promise<LongShortRatio | null>;
  /**
   * The exchange request budget and any back-off in force; null for a market with no exchange
   * behind it. During a back-off every call fails at once with RATE_LIMITED (details.retryAt).
   */
  requestBudget(): RequestBudgetInfo | null;
  close(): Promise<void>;
}

/** One settled funding rate. */
export interface FundingPoint {
  /** Settlement time, epoch ms. */
  time: number;
  /** Rate per funding interval as a fraction. */
  rate: number;
}

/**
 * Past market data, one exchange page at a time, for replays (`history fetch`). Every call goes
 * through the same request budget and retries as the live calls. Each returns what the exchange
 * has with a time in [from, to), ascending; an empty page means it has nothing there.
 */
export interface HistorySource {
  /** Closed candles whose open time is in [from, to): at most 1000 (one kline page). */
  candlePage(symbol: string, timeframe: Timeframe, from: number, to: number): Promise<Candle[]>;
  /** Settled funding rates in [from, to): at most 200. */
  fundingPage(symbol: string, from: number, to: number): Promise<FundingPoint[]>;
  /** Hourly open interest in [from, to): at most 200. */
  openInterestPage(symbol: string, from: number, to: number): Promise<OpenInterestPoint[]>;
  /** Hourly long/short account ratios in [from, to): at most 500. */
  longShortPage(symbol: string, from: number, to: number): Promise<LongShortRatio[]>;
}

/** Rows per page of each history endpoint (Bybit's maxima). */
export const HISTORY_PAGE = { candles: 1000, funding: 200, openInterest: 200, longShort: 500 } as const;
