/**
 * The feature behind fetch_sentiment_data: ask every source about one coin at once, report each
 * with its own score and status, and combine the ones that answered.
 *
 * Overall score = weighted mean of the sources with status ok, renormalised over their weights:
 * positioning 0.50, news 0.35, Fear & Greed 0.15. Positioning (the exchange's own numbers) weighs
 * most; news is a search model's reading of web pages; Fear & Greed is market-wide, not about the
 * coin. A failing source is reported with its error code and left out; the call fails only when no
 * source answered.
 *
 * News and Fear & Greed answers are cached for SENTIMENT_CACHE_MINUTES (news per base asset, so
 * BTC/USDT and BTCUSDT share one paid answer); positioning is read fresh every time.
 */
import { noProgress, progressCounter, type Progress } from '../shared/progress.js';
import { randomBytes } from 'node:crypto';
import type { MarketData } from '../market/types.js';
import type { Logger } from '../log.js';
import type { Clock } from '../shared/clock.js';
import { AppError, isAppError, type ErrorCode } from '../errors.js';
import { marketLabel } from '../market/symbols.js';
import { PositioningSource } from './positioning-source.js';
import { labelFor, weightedMean, type SentimentLabel } from './score.js';
import type { SentimentDeps, SentimentReading, SentimentSource, SentimentSourceId, SentimentSubject } from './types.js';
import type { UntrustedEnvelope } from './untrusted.js';

export const SOURCE_WEIGHTS: Record<SentimentSourceId, number> = { positioning: 0.5, news: 0.35, fear_greed: 0.15 };

export interface SourceReport {
  source: SentimentSourceId;
  status: 'ok' | 'unavailable' | 'error';
  score?: number;
  label?: SentimentLabel;
  asOf?: string;
  /** True when this answer was reused from the cache (no upstream call was made). */
  cached?: boolean;
  reasons?: string[];
  inputs?: Record<string, number | null>;
  untrusted?: UntrustedEnvelope;
  /** Error code when status is error. */
  code?: ErrorCode;
  /** Our own account of the failure or of why the source is unavailable. */
  note?: string;
}

export interface SentimentReport {
  symbol: string;
  market: 'perpetual' | 'spot' | null;
  asOf: string;
  overall: { score: number; label: SentimentLabel; basis: SentimentSourceId[] };
  sources: SourceReport[];
}

export interface SentimentRequest {
  symbol: string;
  /** Ask the news source (Perplexity). Default true. */
  includeNews?: boolean;
  /** Called as each source answers. */
  progress?: Progress;
}

type Outcome = { ok: true; reading: SentimentReading; cached: boolean } | { ok: false; error: AppError };

/** What sentiment needs of the desk. */
export interface SentimentContext {
  market: MarketData;
  sentiment: SentimentDeps;
  clock: Clock;
  log: Logger;
}

export async function getSentiment(deps: SentimentContext, request: SentimentRequest): Promise<SentimentReport> {
  const log = deps.log.child({ component: 'sentiment' });
  const { subject, resolveError } = await subjectFor(deps, request.symbol);
  const { news, fearGreed, cache } = deps.sentiment;

  const run = async (source: SentimentSource, cacheKey: string | null): Promise<Outcome> => {
    try {
      if (cacheKey === null) return { ok: true, reading: await source.read(subject), cached: false };
      const { value, cached } = await cache.get(cacheKey, () => source.read(subject));
      return { ok: true, reading: value, cached };
    } catch (error) {
      if (isAppError(error) && error.code !== 'INTERNAL') return { ok: false, error };
      const ref = randomBytes(3).toString('hex');
      log.error('sentiment source failed unexpectedly', { source: source.id, ref, error });
      return { ok: false, error: new AppError('INTERNAL', `Unexpected failure (ref ${ref})`, { hint: 'the server log has the details under this ref' }) };
    }
  };

  const includeNews = request.includeNews ?? true;
  const askNews = Boolean(news && includeNews);
  const asked = [!resolveError, askNews, Boolean(fearGreed)].filter(Boolean).length;
  const step = progressCounter(request.progress ?? noProgress, Math.max(asked, 1));
  const reported = async (id: SentimentSourceId, outcome: Promise<Outcome>): Promise<Outcome> => {
    const o = await outcome;
    if (!o.ok && o.error.code === 'CANCELLED') throw o.error;
    step(`${id}: ${o.ok ? 'ok' : o.error.code}`);
    return o;
  };
  const [positioning, newsOutcome, fearGreedOutcome] = await Promise.all([
    resolveError ? Promise.resolve<Outcome>({ ok: false, error: resolveError }) : reported('positioning', run(new PositioningSource(deps.market), null)),
    news && askNews ? reported('news', run(news, `news:${subject.base}`)) : Promise.resolve(null),
    fearGreed ? reported('fear_greed', run(fearGreed, 'fear_greed')) : Promise.resolve(null),
  ]);

  const sources: SourceReport[] = [
    report('positioning', positioning),
    newsOutcome
      ? report('news', newsOutcome)
      : { source: 'news', status: 'unavailable', note: !includeNews ? 'not requested (include_news=false)' : 'PERPLEXITY_API_KEY is not set' },
    fearGreedOutcome ? report('fear_greed', fearGreedOutcome) : { source: 'fear_greed', status: 'unavailable', note: 'FEAR_GREED_ENABLED is off' },
  ];

  const answered = sources.filter((s) => s.status === 'ok');
  const mean = weightedMean(answered.map((s) => ({ score: s.score!, weight: SOURCE_WEIGHTS[s.source] })));
  if (mean === null) {
    const failures = [positioning, newsOutcome, fearGreedOutcome].filter((o): o is { ok: false; error: AppError } => o !== null && !o.ok);
    const first = failures[0]?.error ?? new AppError('INSUFFICIENT_DATA', 'No sentiment source is available');
    const list = sources.map((s) => `${s.source} ${s.code ?? s.status}`).join(', ');
    throw new AppError(first.code, `No sentiment source answered for ${subject.symbol} (${list})`, {
      hint: first.hint ?? 'retry shortly',
      retryable: first.retryable,
    });
  }
  const score = Math.round(mean);
  return {
    symbol: subject.symbol,
    market: subject.market === null ? null : marketLabel(subject.market),
    asOf: new Date(deps.clock.now()).toISOString(),
    overall: { score, label: labelFor(score), basis: answered.map((s) => s.source) },
    sources,
  };
}

function report(source: SentimentSourceId, outcome: Outcome): SourceReport {
  if (!outcome.ok) return { source, status: 'error', code: outcome.error.code, note: outcome.error.toLine() };
  const r = outcome.reading;
  return {
    source,
    status: 'ok',
    score: r.score,
    label: labelFor(r.score),
    asOf: new Date(r.asOf).toISOString(),
    cached: outcome.cached,
    ...(r.reasons ? { reasons: r.reasons } : {}),
    ...(r.inputs ? { inputs: r.inputs } : {}),
    ...(r.untrusted ? { untrusted: r.untrusted } : {}),
  };
}

/** The coin the request is about. An unknown symbol fails the call; an exchange that cannot be
 * asked only fails positioning, and the other sources still run on the base asset typed. */
async function subjectFor(
  deps: Pick<SentimentContext, 'market' | 'log'>,
  input: string,
): Promise<{ subject: SentimentSubject; resolveError: AppError | null }> {
  try {
    const info = await deps.market.resolveSymbol(input);
    return { subject: { symbol: info.symbol, base: info.base.toUpperCase(), market: info.type }, resolveError: null };
  } catch (error) {
    if (!isAppError(error) || error.code === 'NOT_FOUND' || error.code === 'INVALID_INPUT') throw error;
    const guessed = guessSubject(input);
    if (!guessed) throw error;
    deps.log.warn('sentiment: symbol not resolved, continuing on the typed base asset', { code: error.code, base: guessed.base });
    return { subject: guessed, resolveError: error };
  }
}

/** `btc`, `BTC/USDT`, `BTCUSDT`, `BTC/USDT:USDT` -> base BTC, symbol BTC/USDT. */
export function guessSubject(input: string): SentimentSubject | null {
  const raw = input.trim().toUpperCase().replace(/\s+/g, '');
  if (!/^[A-Z0-9/:._-]{1,40}$/.test(raw)) return null;
  const pair = raw.split(':')[0] ?? raw;
  const [first, quote] = pair.includes('/') ? pair.split('/') : [pair.replace(/[-_.]?(USDT|USDC|USD|PERP)$/, ''), 'USDT'];
  const base = first ?? '';
  if (!/^[A-Z0-9]{1,20}$/.test(base) || !/^[A-Z0-9]{1,10}$/.test(quote ?? '')) return null;
  return { symbol: `${base}/${quote}`, base, market: null };
}
