/** The SentimentSource port and the readings sources return. */
import type { MarketType } from '../market/types.js';
import type { TtlCache } from './cache.js';
import type { UntrustedEnvelope } from './untrusted.js';

export type SentimentSourceId = 'positioning' | 'news' | 'fear_greed';

/** What a source is asked about. */
export interface SentimentSubject {
  /** The resolved market symbol (`BTC/USDT:USDT`), or the cleaned input when the exchange could not resolve it. */
  symbol: string;
  /** Base asset, upper case (`BTC`): what news is about. */
  base: string;
  /** Null when the exchange could not be asked. */
  market: MarketType | null;
}

export interface SentimentReading {
  /** Integer -100 (strongly bearish) .. +100 (strongly bullish). */
  score: number;
  /** When the underlying data was fetched, epoch ms. */
  asOf: number;
  /** Our own account of how the score came about (never third-party text). */
  reasons?: string[];
  /** The numbers the score was computed from. */
  inputs?: Record<string, number | null>;
  /** Third-party text, only ever inside the envelope. */
  untrusted?: UntrustedEnvelope;
}

/** One source of sentiment. Failures are AppErrors with a code (AUTH, RATE_LIMITED, TIMEOUT,
 * UPSTREAM_UNAVAILABLE, BAD_RESPONSE, ...). */
export interface SentimentSource {
  readonly id: SentimentSourceId;
  read(subject: SentimentSubject): Promise<SentimentReading>;
}

/** The optional sources, built by app.ts from the configuration. Positioning needs nothing but
 * the market port and is always built by the feature itself. */
export interface SentimentDeps {
  /** Perplexity news; null when PERPLEXITY_API_KEY is unset. */
  news: SentimentSource | null;
  /** Crypto Fear & Greed; null unless FEAR_GREED_ENABLED. */
  fearGreed: SentimentSource | null;
  /** News and Fear & Greed readings, reused for SENTIMENT_CACHE_MINUTES. */
  cache: TtlCache<SentimentReading>;
}
