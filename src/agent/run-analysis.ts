/**
 * One analysis of one coin outside a scan cycle (`cctrader analyze`, each tick of `cctrader monitor`),
 * under the same spend caps as the scanner: the daily cap over everything recorded today, and the
 * per-analysis budget (MAX_BUDGET_USD, cut to the room left).
 */
import type { Deps } from '../deps.js';
import { SpendGuard } from '../usage/spend-caps.js';
import type { AgentOperation } from './types.js';
import type { AnalysisResult, Analyst } from './analyst.js';

export interface SymbolAnalysisRequest {
  symbol: string;
  operation: AgentOperation;
  question?: string | undefined;
  daily?: boolean | undefined;
  signalId?: string | undefined;
  portfolio?: string | undefined;
  abort?: AbortSignal | undefined;
}

export interface SymbolAnalysis {
  /** The resolved symbol, e.g. BTC/USDT:USDT. */
  symbol: string;
  result: AnalysisResult | null;
  /** Set when a spend cap kept the analysis from starting. */
  refused: { code: 'BUDGET_EXCEEDED'; reason: string; until: string | null } | null;
}

export async function analyseSymbol(deps: Deps, analyst: Analyst, request: SymbolAnalysisRequest): Promise<SymbolAnalysis> {
  const info = await deps.market.resolveSymbol(request.symbol);
  let budgetUsd = deps.config.MAX_BUDGET_USD;
  let release: ((spend: AnalysisResult['spend'] | null) => void) | undefined;
  if (analyst.spends) {
    const reservation = await new SpendGuard(deps, deps.clock.now()).reserve();
    if (!reservation.ok) {
      return { symbol: info.symbol, result: null, refused: { code: 'BUDGET_EXCEEDED', reason: reservation.message, until: reservation.until === null ? null : new Date(reservation.until).toISOString() } };
    }
    budgetUsd = reservation.budgetUsd;
    release = reservation.release;
  }
  let result: AnalysisResult | null = null;
  try {
    result = await analyst.analyse({
      kind: 'symbol',
      symbol: info.symbol,
      operation: request.operation,
      question: request.question,
      daily: request.daily,
      signalId: request.signalId,
      portfolio: request.portfolio,
      budgetUsd,
      signal: request.abort,
    });
    return { symbol: info.symbol, result, refused: null };
  } finally {
    release?.(result?.spend ?? null);
  }
}
