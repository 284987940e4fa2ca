/**
 * Could a trade follow? The check a scanner runs before it pays for an analysis: the portfolio
 * gates of the risk rules (halt, daily-loss breaker, cooldown, one position per symbol, the
 * open-position limit, counting the analyses still in flight as taking a slot each), then room
 * under the exposure cap and cash for at least the market's minimum order. It reads stored state
 * only (positions at their last known marks): no exchange call.
 */
import type { Deps } from '../deps.js';
import type { MarketInfo } from '../market/types.js';
import { loadRiskState } from './risk-state.js';
import { Dec, ZERO, toDec, usd } from '../shared/money.js';
import { portfolioGates, riskLimits, type Numbers, type RejectCode } from './risk.js';

export interface EntryBlock {
  code: RejectCode;
  message: string;
  numbers: Numbers;
}

export interface EntryCheckRequest {
  portfolioId: number;
  market: MarketInfo;
  /** A recent price of the market (the scan's last price), to value its minimum order. */
  price: number;
  /** Analyses in flight on this portfolio that may still open a position. */
  inFlight?: number;
}

export async function entryBlock(deps: Pick<Deps, 'db' | 'config' | 'clock'>, request: EntryCheckRequest): Promise<EntryBlock | null> {
  const limits = riskLimits(deps.config);
  const { state } = await loadRiskState(deps.db, request.portfolioId, request.market.symbol, new Map(), deps.clock.now());
  // In-flight analyses hold a slot each, so a free slot is not promised to two of them.
  const pending = Array.from({ length: request.inFlight ?? 0 }, () => ({ symbol: '', notional: ZERO }));
  const gate = portfolioGates(limits, { ...state, open: [...state.open, ...pending] }, request.market.symbol);
  if (gate) return { code: gate.code, message: gate.message, numbers: gate.numbers };

  const price = toDec(request.price);
  const minNotional = Dec.max(toDec(request.market.minNotional ?? 0), toDec(request.market.minQty ?? 0).times(price));
  const exposure = state.open.reduce((a, p) => a.plus(p.notional), ZERO);
  const exposureRoom = state.equity.times(limits.maxTotalExposurePct).div(100).minus(exposure);
  const numbers: Numbers = { equity: usd(state.equity), cash: usd(state.cash), exposure: usd(exposure), minOrder: usd(minNotional) };
  if (exposureRoom.lte(0) || exposureRoom.lt(minNotional)) {
    return {
      code: 'EXPOSURE_CAP',
      message: 'no room under the exposure cap for even the smallest order',
      numbers: { ...numbers, exposureRoom: usd(Dec.max(exposureRoom, ZERO)), maxTotalExposurePct: limits.maxTotalExposurePct },
    };
  }
  const cashCap = state.cash.div(new Dec(1).div(toDec(limits.leverage)).plus(toDec(limits.feeRate)));
  if (cashCap.lte(0) || cashCap.lt(minNotional)) {
    return { code: 'INSUFFICIENT_CASH', message: 'not enough cash for margin and fees of even the smallest order', numbers };
  }
  return null;
}
