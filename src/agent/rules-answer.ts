/**
 * What the rules analyst can say about a question. It reads no news and understands no free text:
 * it recognises what the question is about (sentiment, trend, momentum, levels, volatility, price)
 * by its words, answers with the numbers it has for that, and says plainly what it cannot answer.
 * Pure: the evidence in, lines of text out.
 */
import type { Snapshot, TimeframeSnapshot } from '../analysis/snapshot.js';
import type { SourceReport } from '../sentiment/sentiment.js';

export type Topic = 'sentiment' | 'trend' | 'momentum' | 'levels' | 'volatility' | 'price';

const TOPICS: Array<[Topic, RegExp]> = [
  ['sentiment', /\b(sentiment|news|funding|positioning|crowd(ed)?|long\/short|longs?|shorts?|open interest|oi|fear|greed|mood|hype|narrative)\b/i],
  ['trend', /\b(trend(ing)?|ema|adx|direction|bull(ish)?|bear(ish)?|uptrend|downtrend|going)\b/i],
  ['momentum', /\b(rsi|macd|momentum|overbought|oversold|stoch(astic)?|exhaust(ed|ion)?|divergence)\b/i],
  ['levels', /\b(support|resistance|levels?|stop|target|entry|breakout|breakdown)\b/i],
  ['volatility', /\b(volatil(e|ity)|atr|bollinger|squeeze|range|swings?)\b/i],
  ['price', /\b(price|quote|trading at|worth|cost|how much)\b/i],
];

export function topicsOf(question: string): Topic[] {
  return TOPICS.filter(([, re]) => re.test(question)).map(([t]) => t);
}

export interface AnswerEvidence {
  symbol: string;
  price: number;
  change24hPct: number | null;
  snapshot: Snapshot;
  /** The positioning source of the sentiment report (news is never read by the rules analyst). */
  positioning: SourceReport | null;
}

const frames = (s: Snapshot): Array<[string, TimeframeSnapshot]> =>
  Object.entries(s.timeframes).filter((e): e is [string, TimeframeSnapshot] => Boolean(e[1] && 'bias' in e[1]));

function sentimentLines(e: AnswerEvidence): string[] {
  const p = e.positioning;
  const lines =
    p && p.status === 'ok' && p.score !== undefined
      ? [`Sentiment (exchange positioning): ${p.score > 0 ? '+' : ''}${p.score} (${p.label ?? 'n/a'}).`, ...(p.reasons ?? []).map((r) => `- ${r}`)]
      : [`Sentiment: the exchange positioning could not be read${p?.code ? ` (${p.code})` : ''}.`];
  lines.push(
    'News sentiment is not read by the rules analyst: ask the Claude analyst (ANALYST=claude), or call fetch_sentiment_data with PERPLEXITY_API_KEY set.',
  );
  return lines;
}

function trendLines(e: AnswerEvidence): string[] {
  return [
    `Trend: alignment ${e.snapshot.alignment} (${e.snapshot.reasons[0] ?? ''}).`,
    ...frames(e.snapshot).map(
      ([tf, f]) => `- ${tf}: ${f.bias}, trend ${f.trend.direction} ${f.trend.strength} (ADX ${f.trend.adx}), close ${f.close} vs EMA50 ${f.trend.ema.ema50}`,
    ),
  ];
}

function momentumLines(e: AnswerEvidence): string[] {
  return [
    'Momentum:',
    ...frames(e.snapshot).map(
      ([tf, f]) =>
        `- ${tf}: RSI ${f.momentum.rsi}${f.momentum.flat ? ' (flat)' : ''}, MACD histogram ${f.momentum.macd.histogram}, stochastic %K ${f.momentum.stochastic.k}${f.patterns.divergence ? `, ${f.patterns.divergence.type} RSI divergence` : ''}`,
    ),
  ];
}

function levelLines(e: AnswerEvidence): string[] {
  const { support, resistance } = e.snapshot.keyLevels;
  const d = e.snapshot.stopDistance;
  return [
    `Levels: support ${support ? `${support.price} (${support.timeframe}, ${support.distancePct}% below)` : 'none found'}, resistance ${resistance ? `${resistance.price} (${resistance.timeframe}, ${resistance.distancePct}% above)` : 'none found'}.`,
    `A stop ${d.multiple}×ATR(${d.timeframe}) away is ${d.price} (${d.pct}%).`,
  ];
}

function volatilityLines(e: AnswerEvidence): string[] {
  return [
    'Volatility:',
    ...frames(e.snapshot).map(
      ([tf, f]) =>
        `- ${tf}: ATR ${f.volatility.atr} (${f.volatility.atrPct}%), Bollinger %B ${f.volatility.bollinger.percentB}, bandwidth ${f.volatility.bollinger.bandwidth}%`,
    ),
  ];
}

function priceLines(e: AnswerEvidence): string[] {
  return [
    `Price: ${e.symbol} last ${e.price}${e.change24hPct === null ? '' : `, ${e.change24hPct > 0 ? '+' : ''}${Math.round(e.change24hPct * 100) / 100}% in 24h`}.`,
  ];
}

const WRITERS: Record<Topic, (e: AnswerEvidence) => string[]> = {
  sentiment: sentimentLines,
  trend: trendLines,
  momentum: momentumLines,
  levels: levelLines,
  volatility: volatilityLines,
  price: priceLines,
};

/** The rules analyst's answer to `question`: the numbers for each topic it recognises, and what it cannot say. */
export function answerQuestion(question: string, evidence: AnswerEvidence): string[] {
  const topics = topicsOf(question);
  if (topics.length === 0) {
    return [
      'The rules analyst cannot answer free-form questions: it reads the numbers, not the question. Here are the trend and the sentiment it sees; for a written answer use the Claude analyst (ANALYST=claude).',
      ...trendLines(evidence),
      ...sentimentLines(evidence),
    ];
  }
  return topics.flatMap((t) => WRITERS[t](evidence));
}
