/**
 * The rules analyst: a deterministic analyst that needs no key and costs nothing. It is the
 * embedded default and the baseline the Claude analyst is measured against. It reads the
 * multi-timeframe technical snapshot (15m, 1h, 4h), the exchange positioning score and the live
 * price, and decides by these rules:
 *
 * 1. Technical score T = 100 × (bullish timeframes − bearish timeframes) / timeframes analysed.
 * 2. Direction from the snapshot's alignment: bullish → long, bearish → short, mixed → no signal
 *    (the timeframes disagree).
 * 3. Confidence = 50 + 0.3 × |T| + 0.2 × P × s + 5 if the 24h move points the same way
 *    − 10 if RSI(14) on 1h is overextended in the trade's direction (≥ 75 for a long, ≤ 25 for a
 *    short), clamped to 0..95 and rounded. P is the positioning score (−100..100, positive = leaning
 *    long; 0 when unavailable), s = +1 for a long and −1 for a short, so positioning that agrees
 *    adds and positioning against the trade subtracts up to 20.
 * 4. Entry = the live last price. Stop = entry ∓ the snapshot's stop distance (1.5 × ATR(14) of the
 *    middle timeframe, 1h). Target = entry ± R × that distance with R = max(2, 1.1 × MIN_RISK_REWARD).
 *    Stop and target are rounded to the market's tick size.
 * 5. The signal is submitted through `submitSignal` (the `submit_trading_signal` path) with timeframe
 *    1h, technical_score T and sentiment_score P; below MIN_CONFIDENCE the risk rules record it
 *    without trading. When trading is halted nothing is submitted.
 */
import type { Bias, Snapshot } from '../analysis/snapshot.js';
import { technicalSnapshot } from '../analysis/service.js';
import type { Deps } from '../deps.js';
import { AppError, isAppError } from '../errors.js';
import { getSentiment, type SourceReport } from '../sentiment/sentiment.js';
import { submitSignal } from '../signals/submit.js';
import { readHalt } from '../trading/halt.js';
import { NO_SPEND } from '../usage/agent-run.js';
import { answerQuestion } from './rules-answer.js';
import { submittedFrom, type AnalysisOutcome, type AnalysisResult, type AnalysisTask, type Analyst } from './analyst.js';

export const RULES = {
  base: 50,
  technicalWeight: 0.3,
  positioningWeight: 0.2,
  continuationBonus: 5,
  overextendedPenalty: 10,
  rsiLongLimit: 75,
  rsiShortLimit: 25,
  maxConfidence: 95,
  minRewardRisk: 2,
  rewardRiskOverMinimum: 1.1,
} as const;

export interface RulesInput {
  snapshot: Pick<Snapshot, 'alignment' | 'reasons' | 'stopDistance' | 'timeframes'>;
  /** Live last price. */
  price: number;
  /** Positioning score −100..100; null when the source did not answer. */
  positioning: number | null;
  /** 24h change, %; null when unknown. */
  change24hPct: number | null;
  tickSize: number | null;
  minRiskReward: number;
}

export type RulesDecision =
  | { kind: 'no_signal'; reason: string }
  | {
      kind: 'signal';
      direction: 'long' | 'short';
      confidence: number;
      entry: number;
      stopLoss: number;
      takeProfit: number;
      technicalScore: number;
      sentimentScore: number;
      rewardRisk: number;
      /** How the numbers came about, for the signal's `analysis`. */
      explanation: string;
    };

function roundToTick(value: number, tick: number | null, mode: 'floor' | 'ceil' | 'round'): number {
  if (!tick || !(tick > 0)) return value;
  const steps = value / tick;
  const n = mode === 'floor' ? Math.floor(steps + 1e-9) : mode === 'ceil' ? Math.ceil(steps - 1e-9) : Math.round(steps);
  const decimals = Math.max(0, Math.ceil(-Math.log10(tick)) + 2);
  return Number((n * tick).toFixed(decimals));
}

const signed = (n: number): string => `${n >= 0 ? '+' : ''}${n}`;

/** The rules, as a pure function of the evidence. */
export function rulesDecision(input: RulesInput): RulesDecision {
  const { snapshot } = input;
  const biases = Object.values(snapshot.timeframes)
    .map((tf) => (tf && 'bias' in tf ? tf.bias : null))
    .filter((b): b is Bias => b !== null);
  if (biases.length === 0) return { kind: 'no_signal', reason: 'no timeframe could be analysed' };
  const bull = biases.filter((b) => b === 'bullish').length;
  const bear = biases.filter((b) => b === 'bearish').length;
  const technical = Math.round((100 * (bull - bear)) / biases.length);
  if (snapshot.alignment === 'mixed') {
    return { kind: 'no_signal', reason: `timeframes disagree: ${snapshot.reasons[0] ?? 'mixed alignment'}` };
  }
  const direction = snapshot.alignment === 'bullish' ? 'long' : 'short';
  const s = direction === 'long' ? 1 : -1;
  const p = input.positioning ?? 0;
  const parts: string[] = [`${RULES.base} base`, `${signed(Math.round(RULES.technicalWeight * Math.abs(technical) * 10) / 10)} technical`];
  let confidence = RULES.base + RULES.technicalWeight * Math.abs(technical) + RULES.positioningWeight * p * s;
  parts.push(`${signed(Math.round(RULES.positioningWeight * p * s * 10) / 10)} positioning`);
  if (input.change24hPct !== null && Math.sign(input.change24hPct) === s) {
    confidence += RULES.continuationBonus;
    parts.push(`+${RULES.continuationBonus} 24h move agrees`);
  }
  const h1 = snapshot.timeframes['1h'];
  const rsi = h1 && 'momentum' in h1 ? h1.momentum.rsi : null;
  if (rsi !== null && ((direction === 'long' && rsi >= RULES.rsiLongLimit) || (direction === 'short' && rsi <= RULES.rsiShortLimit))) {
    confidence -= RULES.overextendedPenalty;
    parts.push(`-${RULES.overextendedPenalty} RSI 1h ${rsi} overextended`);
  }
  confidence = Math.round(Math.max(0, Math.min(RULES.maxConfidence, confidence)));

  const distance = snapshot.stopDistance.price;
  const entry = input.price;
  if (!(distance > 0) || !Number.isFinite(distance) || !(entry > 0)) return { kind: 'no_signal', reason: 'no usable ATR stop distance' };
  const rewardRisk = Math.round(Math.max(RULES.minRewardRisk, RULES.rewardRiskOverMinimum * input.minRiskReward) * 100) / 100;
  const stopLoss = roundToTick(entry - s * distance, input.tickSize, direction === 'long' ? 'floor' : 'ceil');
  const takeProfit = roundToTick(entry + s * rewardRisk * distance, input.tickSize, 'round');
  if (!(stopLoss > 0) || !(takeProfit > 0)) return { kind: 'no_signal', reason: 'the ATR stop or target falls below zero' };

  const explanation = [
    `Rules analyst: alignment ${snapshot.alignment} (${snapshot.reasons[0] ?? ''}); technical ${signed(technical)}, positioning ${input.positioning === null ? 'unavailable (0)' : signed(p)}.`,
    `Confidence ${confidence} = ${parts.join(' ')}.`,
    `Stop ${snapshot.stopDistance.multiple}×ATR(${snapshot.stopDistance.timeframe}) = ${distance} from entry ${entry}; target at ${rewardRisk}× that distance.`,
  ].join(' ');
  return { kind: 'signal', direction, confidence, entry, stopLoss, takeProfit, technicalScore: technical, sentimentScore: p, rewardRisk, explanation };
}

export class RulesAnalyst implements Analyst {
  readonly kind = 'rules' as const;
  readonly spends = false;

  constructor(private readonly deps: Deps) {}

  async analyse(task: AnalysisTask): Promise<AnalysisResult> {
    const started = performance.now();
    const finish = (outcome: AnalysisOutcome, text: string, tools: string[]): AnalysisResult => ({
      ...outcome,
      analyst: 'rules',
      spend: NO_SPEND,
      sessionId: null,
      turns: null,
      durationMs: Math.round(performance.now() - started),
      text,
      tools,
    });
    const tools = ['fetch_technical_snapshot', 'fetch_sentiment_data', 'get_current_price'];
    try {
      const { deps } = this;
      const info = await deps.market.resolveSymbol(task.symbol);
      const [snapshot, positioningSource, ticker] = await Promise.all([
        technicalSnapshot(deps, info.symbol),
        positioningReport(deps, info.symbol),
        deps.market.ticker(info.symbol),
      ]);
      const positioning = positioningSource?.status === 'ok' && positioningSource.score !== undefined ? positioningSource.score : null;
      // A question gets what the rules can say about it first, then the decision.
      const answer = task.question
        ? answerQuestion(task.question, {
            symbol: info.symbol,
            price: ticker.last,
            change24hPct: ticker.change24hPct,
            snapshot,
            positioning: positioningSource,
          }).join('\n') + '\n\n'
        : '';
      const decision = rulesDecision({
        snapshot,
        price: ticker.last,
        positioning,
        change24hPct: task.change24hPct ?? ticker.change24hPct,
        tickSize: info.tickSize,
        minRiskReward: deps.config.MIN_RISK_REWARD,
      });
      if (decision.kind === 'no_signal') return finish({ outcome: 'no_signal', reason: decision.reason }, answer + decision.reason, tools);
      const halt = await readHalt(deps.db);
      if (halt.halted) {
        const reason = `trading is halted${halt.reason ? ` (${halt.reason})` : ''}: the ${decision.direction} signal was not submitted`;
        return finish({ outcome: 'skipped', code: 'HALTED', reason }, answer + decision.explanation, tools);
      }
      const outcome = await submitSignal(deps, {
        symbol: info.symbol,
        direction: decision.direction,
        confidence: decision.confidence,
        entry_price: decision.entry,
        stop_loss: decision.stopLoss,
        take_profit: decision.takeProfit,
        analysis: decision.explanation.slice(0, 4000),
        timeframe: '1h',
        technical_score: decision.technicalScore,
        sentiment_score: decision.sentimentScore,
        portfolio: task.portfolio,
        signal_id: task.signalId,
      });
      const signal = submittedFrom(outcome, {
        direction: decision.direction,
        confidence: decision.confidence,
        entry: decision.entry,
        stopLoss: decision.stopLoss,
        takeProfit: decision.takeProfit,
      });
      return finish({ outcome: 'signal', signal }, answer + decision.explanation, [...tools, 'submit_trading_signal']);
    } catch (error) {
      if (!isAppError(error)) throw error;
      return finish({ outcome: 'error', code: error.code, reason: error.message }, error.toLine(), tools);
    }
  }
}

/** The exchange positioning source's report, or null when it could not be read (news is never asked: free and deterministic). */
async function positioningReport(deps: Deps, symbol: string): Promise<SourceReport | null> {
  try {
    const report = await getSentiment(deps, { symbol, includeNews: false });
    return report.sources.find((s) => s.source === 'positioning') ?? null;
  } catch (error) {
    if (error instanceof AppError) return null;
    throw error;
  }
}
