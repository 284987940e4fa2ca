/**
 * One analysis of one coin outside a scan cycle (`cctrader analyze`, each tick of `cctrader monitor`),
 * under the same spend caps as the scanner: the daily cap over everything recorded today, and the
 * per-analysis budget (MAX_BUDGET_USD, cut to the room left); and under the same Claude request
 * windows: past the critical threshold a caller that can wait (`monitor`) waits for the window to
 * reset, one that cannot (`analyze`) is refused with RATE_LIMITED and when it resets.
 */
import type { Deps } from '../deps.js';
import { SpendGuard } from '../usage/spend-caps.js';
import { waitForRequestWindows, type WindowWait } from '../usage/windows.js';
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
  /** Wait for a full request window to reset instead of being refused. */
  waitForWindow?: WindowWait | undefined;
}

export interface SymbolAnalysis {
  /** The resolved symbol, e.g. BTC/USDT:USDT. */
  symbol: string;
  result: AnalysisResult | null;
  /** Set when a spend cap kept the analysis from starting. */
  refused: { code: 'BUDGET_EXCEEDED' | 'RATE_LIMITED'; reason: string; until: string | null } | null;
  /** Set when a Claude request window was past its warning threshold as the analysis started. */
  warning?: string | null;
}

export async function analyseSymbol(deps: Deps, analyst: Analyst, request: SymbolAnalysisRequest): Promise<SymbolAnalysis> {
  const info = await deps.market.resolveSymbol(request.symbol);
  let budgetUsd = deps.config.MAX_BUDGET_USD;
  let release: ((spend: AnalysisResult['spend'] | null) => void) | undefined;
  let warning: string | null = null;
  if (analyst.spends) {
    if (request.waitForWindow && !(await waitForRequestWindows(deps, request.waitForWindow))) {
      return {
        symbol: info.symbol,
        result: null,
        refused: { code: 'RATE_LIMITED', reason: 'stopped while waiting for a Claude request window to reset', until: null },
      };
    }
    const reservation = await new SpendGuard(deps, deps.clock.now()).reserve();
    if (!reservation.ok) {
      const code = reservation.scope === 'requests' ? 'RATE_LIMITED' : 'BUDGET_EXCEEDED';
      return {
        symbol: info.symbol,
        result: null,
        refused: { code, reason: reservation.message, until: reservation.until === null ? null : new Date(reservation.until).toISOString() },
      };
    }
    warning = reservation.warning;
    if (warning) deps.log.warn('request window past the warning threshold', { message: warning });
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
    return { symbol: info.symbol, result, refused: null, warning };
  } finally {
    release?.(result?.spend ?? null);
  }
}
