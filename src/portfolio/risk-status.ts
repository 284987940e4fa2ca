/** get_risk_status: the risk manager's limits, how much of each is in use, the breaker, the
 * cooldowns and the latest rejections with their codes, so an agent can see why it may not trade. */
import type { Deps } from '../deps.js';
import { recentRejections } from '../signals/store.js';
import type { RequestBudgetInfo } from '../market/types.js';
import { DEFAULT_PORTFOLIO, requirePortfolio } from '../trading/portfolios.js';
import { evaluatePortfolio, staleWarnings } from '../trading/evaluate.js';
import { readHalt } from '../trading/halt.js';
import { loadSnapshot } from '../trading/ledger.js';
import { pct, usd } from '../shared/money.js';
import { dailyBreaker, riskLimits } from '../trading/risk.js';
import { STOP_OUTS, realizedFromDay } from '../trading/risk-state.js';

export interface RiskStatus {
  portfolio: string;
  asOf: string;
  halted: boolean;
  haltReason: string | null;
  limits: {
    minConfidence: number;
    minRiskReward: number;
    maxEntryDeviationPct: number;
    stopAtrRange: [number, number];
    riskPerTradePct: number;
    maxPositionSizePct: number;
    maxTotalExposurePct: number;
    maxOpenPositions: number;
    dailyLossLimitPct: number;
    cooldownMinutes: number;
    leverage: number;
    fillMode: 'realistic' | 'instant';
    takerFeeRate: number;
    maxSlippagePct: number;
  };
  usage: {
    equity: number;
    cash: number;
    openPositions: number;
    exposure: number;
    exposurePct: number | null;
    /** Notional still allowed under the exposure cap. */
    exposureRoom: number;
    realizedToday: number;
    dailyLossLimit: number;
  };
  breakerTripped: boolean;
  cooldowns: Array<{ symbol: string; until: string }>;
  recentRejections: Array<{ id: number; at: string; symbol: string; code: string | null }>;
  /** Present when some positions could not be marked now (their last known mark is used). */
  warnings?: string[];
  /** The exchange request budget, its use and any back-off in force (null: no exchange behind the market). */
  budget: RequestBudgetInfo | null;
}

export async function getRiskStatus(deps: Deps, options: { portfolio?: string | undefined } = {}): Promise<RiskStatus> {
  const portfolio = await requirePortfolio(deps, options.portfolio ?? DEFAULT_PORTFOLIO);
  const evaluation = await evaluatePortfolio(deps, portfolio);
  const now = evaluation.at;
  const limits = riskLimits(deps.config);
  const snap = await loadSnapshot(deps.db, portfolio.id, evaluation.marks);
  const warnings = staleWarnings(evaluation.stale);
  const realizedToday = await realizedFromDay(deps.db, portfolio.id, now);
  const breaker = dailyBreaker(snap.balance, realizedToday, limits.dailyLossLimitPct);
  const halt = await readHalt(deps.db);
  const cooldownMs = limits.cooldownMinutes * 60_000;
  const stopOuts =
    cooldownMs > 0
      ? await deps.db
          .selectFrom('paper_positions')
          .select((eb) => ['symbol', eb.fn.max('closed_at').as('at')])
          .where('portfolio_id', '=', portfolio.id)
          .where('exit_reason', 'in', [...STOP_OUTS])
          .where('closed_at', '>', now - cooldownMs)
          .groupBy('symbol')
          .execute()
      : [];
  const rejections = await recentRejections(deps.db, portfolio.id, 5);
  const exposureCap = snap.equity.times(limits.maxTotalExposurePct).div(100);
  return {
    portfolio: portfolio.name,
    asOf: new Date(now).toISOString(),
    halted: halt.halted,
    haltReason: halt.reason,
    limits: {
      minConfidence: limits.minConfidence,
      minRiskReward: limits.minRiskReward,
      maxEntryDeviationPct: limits.maxEntryDeviationPct,
      stopAtrRange: [limits.minStopAtr, limits.maxStopAtr],
      riskPerTradePct: limits.riskPerTradePct,
      maxPositionSizePct: limits.maxPositionSizePct,
      maxTotalExposurePct: limits.maxTotalExposurePct,
      maxOpenPositions: limits.maxOpenPositions,
      dailyLossLimitPct: limits.dailyLossLimitPct,
      cooldownMinutes: limits.cooldownMinutes,
      leverage: limits.leverage,
      fillMode: deps.config.FILL_MODE,
      takerFeeRate: limits.feeRate,
      maxSlippagePct: deps.config.MAX_SLIPPAGE_PCT,
    },
    usage: {
      equity: usd(snap.equity),
      cash: usd(snap.cash),
      openPositions: snap.positions.length,
      exposure: usd(snap.exposure),
      exposurePct: pct(snap.exposure, snap.equity),
      exposureRoom: usd(exposureCap.minus(snap.exposure).clampedTo(0, Infinity)),
      realizedToday: usd(realizedToday),
      dailyLossLimit: usd(breaker.limit),
    },
    breakerTripped: breaker.tripped,
    cooldowns: stopOuts.filter((s) => s.at !== null).map((s) => ({ symbol: s.symbol, until: new Date(s.at! + cooldownMs).toISOString() })),
    recentRejections: rejections.map((r) => ({ id: r.id, at: new Date(r.created_at).toISOString(), symbol: r.symbol, code: r.reason_code })),
    ...(warnings.length ? { warnings } : {}),
    budget: deps.market.requestBudget(),
  };
}
