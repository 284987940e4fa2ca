/**
 * The signal validator and the risk manager: fixed code that decides whether a signal trades and
 * how much. Pure: it receives the limits, the signal, the portfolio's state and the market, and
 * answers with a decision carrying a reason code and the numbers behind it. "The model proposes,
 * the risk manager disposes": every clamp and rejection is explained.
 */
import type { Config } from '../config.js';
import type { MarketType } from '../market/types.js';
import type { Execution, Liquidity } from './fills.js';
import { Dec, ZERO, floorToStep, money, num, qty as exactQty, toDec, usd } from '../shared/money.js';
import type { Direction } from './triggers.js';

export const REJECT_CODES = [
  'BAD_LEVELS',
  'SHORT_NOT_SUPPORTED',
  'HALTED',
  'DAILY_LOSS_BREAKER',
  'COOLDOWN',
  'DUPLICATE_SYMBOL',
  'MAX_POSITIONS',
  'MARKET_INACTIVE',
  'ENTRY_TOO_FAR',
  'LOW_RISK_REWARD',
  'STOP_TOO_TIGHT',
  'STOP_TOO_WIDE',
  'STOP_BEYOND_LIQUIDATION',
  'EXPOSURE_CAP',
  'INSUFFICIENT_CASH',
  'NO_LIQUIDITY',
  'SIZE_BELOW_MINIMUM',
] as const;
export type RejectCode = (typeof REJECT_CODES)[number];

/** Caps that cut the risk-based size (the trade still happens, smaller). */
export const CLAMP_CODES = ['POSITION_SIZE_CAP', 'EXPOSURE_CAP', 'INSUFFICIENT_CASH', 'SLIPPAGE_CAP'] as const;
export type ClampCode = (typeof CLAMP_CODES)[number];

export type Numbers = Record<string, number | string | boolean | null>;

export interface RiskLimits {
  minConfidence: number;
  minRiskReward: number;
  maxEntryDeviationPct: number;
  minStopAtr: number;
  maxStopAtr: number;
  riskPerTradePct: number;
  maxPositionSizePct: number;
  maxTotalExposurePct: number;
  maxOpenPositions: number;
  dailyLossLimitPct: number;
  cooldownMinutes: number;
  leverage: number;
  maintenanceMarginPct: number;
  feeRate: number;
  marketType: MarketType;
}

export function riskLimits(config: Config): RiskLimits {
  const spot = config.MARKET_TYPE === 'spot';
  return {
    minConfidence: config.MIN_CONFIDENCE,
    minRiskReward: config.MIN_RISK_REWARD,
    maxEntryDeviationPct: config.MAX_ENTRY_DEVIATION_PCT,
    minStopAtr: config.MIN_STOP_ATR,
    maxStopAtr: config.MAX_STOP_ATR,
    riskPerTradePct: config.RISK_PER_TRADE_PCT,
    maxPositionSizePct: config.MAX_POSITION_SIZE_PCT,
    maxTotalExposurePct: config.MAX_TOTAL_EXPOSURE_PCT,
    maxOpenPositions: config.MAX_OPEN_POSITIONS,
    dailyLossLimitPct: config.DAILY_LOSS_LIMIT_PCT,
    cooldownMinutes: config.COOLDOWN_MINUTES,
    // Spot has no leverage.
    leverage: spot ? 1 : config.LEVERAGE,
    maintenanceMarginPct: config.MAINTENANCE_MARGIN_PCT,
    feeRate: config.TAKER_FEE_RATE,
    marketType: config.MARKET_TYPE,
  };
}

export interface SignalLevels {
  direction: Direction;
  confidence: number;
  entry: Dec;
  stop: Dec;
  target: Dec;
}

export interface RiskState {
  halted: boolean;
  haltReason: string | null;
  cash: Dec;
  /** cash + margin + unrealized P&L. */
  equity: Dec;
  /** cash + margin: the balance without unrealized P&L. */
  balance: Dec;
  /** Open positions with their notional at the latest mark. */
  open: Array<{ symbol: string; notional: Dec }>;
  /** Realized P&L since 00:00 UTC (fees and funding included). */
  realizedToday: Dec;
  /** Close time of the last stop-out on this signal's symbol, if any. */
  lastStopOutAt: number | null;
  now: number;
}

export interface MarketView {
  symbol: string;
  active: boolean;
  qtyStep: Dec | null;
  minQty: Dec | null;
  minNotional: Dec | null;
  /** ATR(14) of 1h candles, when known. */
  atr: number | null;
  liquidity: Liquidity;
}

export type Clamp = {
  code: ClampCode;
  /** Notional before and after the cap, USDT. */
  from: number;
  to: number;
};

export type Decision =
  | { kind: 'recorded'; code: 'LOW_CONFIDENCE'; message: string; numbers: Numbers }
  | { kind: 'rejected'; code: RejectCode; message: string; numbers: Numbers }
  /** The state-only checks passed; the market is needed for the rest. */
  | { kind: 'continue' }
  | {
      kind: 'execute';
      execution: Execution;
      fee: Dec;
      margin: Dec;
      leverage: Dec;
      liquidationPrice: Dec | null;
      clamps: Clamp[];
      message: string;
      numbers: Numbers;
    };

const rejection = (code: RejectCode, message: string, numbers: Numbers = {}): Extract<Decision, { kind: 'rejected' }> => ({
  kind: 'rejected',
  code,
  message,
  numbers,
});

const round2 = (d: Dec): number => d.toDecimalPlaces(2).toNumber();

/**
 * The daily-loss circuit breaker: tripped once realized P&L since 00:00 UTC (fees and funding
 * included) is at or below −limitPct % of the day-start balance (balance − realized today).
 */
export function dailyBreaker(balance: Dec, realizedToday: Dec, limitPct: number): { tripped: boolean; limit: Dec } {
  const limit = balance.minus(realizedToday).times(limitPct).div(100).neg();
  return { tripped: realizedToday.lte(limit), limit };
}

/** Liquidation price of an isolated linear position (no fees): long e·(1 − 1/L + mmr), short e·(1 + 1/L − mmr). */
export function liquidationPrice(direction: Direction, entry: Dec, leverage: Dec, mmrPct: number): Dec {
  const mmr = toDec(mmrPct).div(100);
  const inv = new Dec(1).div(leverage);
  return direction === 'long' ? entry.times(new Dec(1).minus(inv).plus(mmr)) : entry.times(new Dec(1).plus(inv).minus(mmr));
}

/**
 * The gates that need no signal and no market: the halt switch, the daily-loss breaker, the
 * cooldown after a stop-out on the symbol, one position per symbol, and the open-position limit.
 * A rejection with its code, or null when a new entry on `symbol` may go ahead.
 */
export function portfolioGates(limits: RiskLimits, state: RiskState, symbol: string): Extract<Decision, { kind: 'rejected' }> | null {
  if (state.halted) return rejection('HALTED', `trading is halted${state.haltReason ? `: ${state.haltReason}` : ''}; resume with \`cctrader resume\``);
  const breaker = dailyBreaker(state.balance, state.realizedToday, limits.dailyLossLimitPct);
  if (breaker.tripped) {
    return rejection('DAILY_LOSS_BREAKER', 'the daily loss limit is reached: no new entries until 00:00 UTC', {
      realizedToday: usd(state.realizedToday),
      limit: usd(breaker.limit),
      dailyLossLimitPct: limits.dailyLossLimitPct,
    });
  }
  if (state.lastStopOutAt !== null && limits.cooldownMinutes > 0) {
    const until = state.lastStopOutAt + limits.cooldownMinutes * 60_000;
    if (state.now < until) {
      return rejection('COOLDOWN', `${symbol} was stopped out recently; no new entry on it until the cooldown ends`, {
        stoppedOutAt: new Date(state.lastStopOutAt).toISOString(),
        until: new Date(until).toISOString(),
        cooldownMinutes: limits.cooldownMinutes,
      });
    }
  }
  if (state.open.some((p) => p.symbol === symbol)) return rejection('DUPLICATE_SYMBOL', `a position on ${symbol} is already open (one per symbol)`);
  if (state.open.length >= limits.maxOpenPositions) {
    return rejection('MAX_POSITIONS', 'the maximum number of open positions is reached', {
      open: state.open.length,
      maxOpenPositions: limits.maxOpenPositions,
    });
  }
  return null;
}

type Rejection = Extract<Decision, { kind: 'rejected' }>;

/** A named check of the decision pipeline: a rejection (or a recorded signal) with its reason code, or null to go on. */
type SignalGate = (limits: RiskLimits, signal: SignalLevels) => Decision | null;

/** 1. Confidence: below the bar the signal is recorded, not traded. */
const confidenceGate: SignalGate = (limits, signal) =>
  signal.confidence < limits.minConfidence
    ? {
        kind: 'recorded',
        code: 'LOW_CONFIDENCE',
        message: `confidence ${signal.confidence} is below MIN_CONFIDENCE ${limits.minConfidence}: recorded, not traded`,
        numbers: { confidence: signal.confidence, minConfidence: limits.minConfidence },
      }
    : null;

/** 2. The signal's own levels, and a short on spot. */
const levelsGate: SignalGate = (limits, { direction, entry, stop, target }) => {
  const long = direction === 'long';
  const sane = long ? stop.lt(entry) && entry.lt(target) : target.lt(entry) && entry.lt(stop);
  if (!sane) {
    return rejection('BAD_LEVELS', long ? 'a long needs stop_loss < entry_price < take_profit' : 'a short needs take_profit < entry_price < stop_loss', {
      entry: num(entry),
      stopLoss: num(stop),
      takeProfit: num(target),
    });
  }
  return !long && limits.marketType === 'spot' ? rejection('SHORT_NOT_SUPPORTED', 'spot markets cannot be shorted (MARKET_TYPE=spot)') : null;
};

/** What the market gates know: the signal against the price it would fill near (`ref`), not entry_price. */
interface MarketCheck {
  limits: RiskLimits;
  signal: SignalLevels;
  market: MarketView;
  symbol: string;
  ref: Dec;
  stopDistance: Dec;
}

type MarketGate = (c: MarketCheck) => Rejection | null;

const activeGate: MarketGate = (c) => (c.market.active ? null : rejection('MARKET_INACTIVE', `${c.symbol} is not trading on the exchange`));

const entryDeviationGate: MarketGate = ({ limits, signal, ref }) => {
  const deviationPct = ref.minus(signal.entry).abs().div(signal.entry).times(100);
  if (deviationPct.lte(limits.maxEntryDeviationPct)) return null;
  return rejection('ENTRY_TOO_FAR', `entry_price is ${round2(deviationPct)}% from the live price`, {
    entry: num(signal.entry),
    live: num(ref),
    deviationPct: round2(deviationPct),
    maxEntryDeviationPct: limits.maxEntryDeviationPct,
  });
};

const liveLevelsGate: MarketGate = ({ signal: { direction, stop, target }, ref }) => {
  const sane = direction === 'long' ? stop.lt(ref) && ref.lt(target) : target.lt(ref) && ref.lt(stop);
  return sane
    ? null
    : rejection('BAD_LEVELS', 'the live price is already beyond the stop or the target', { live: num(ref), stopLoss: num(stop), takeProfit: num(target) });
};

const riskRewardGate: MarketGate = ({ limits, signal, ref, stopDistance }) => {
  const rr = signal.target.minus(ref).abs().div(stopDistance);
  if (rr.gte(limits.minRiskReward)) return null;
  return rejection('LOW_RISK_REWARD', `reward-to-risk from the live price is ${rr.toDecimalPlaces(2).toNumber()}`, {
    riskReward: rr.toDecimalPlaces(2).toNumber(),
    minRiskReward: limits.minRiskReward,
    live: num(ref),
  });
};

const stopAtrGate: MarketGate = ({ limits, market, ref, stopDistance }) => {
  if (market.atr === null || !(market.atr > 0)) return null;
  const atrMultiple = stopDistance.div(toDec(market.atr));
  const numbers = {
    stopDistance: num(stopDistance),
    stopPct: round2(stopDistance.div(ref).times(100)),
    atr1h: num(toDec(market.atr)),
    atrMultiple: round2(atrMultiple),
  };
  if (limits.minStopAtr > 0 && atrMultiple.lt(limits.minStopAtr)) {
    return rejection('STOP_TOO_TIGHT', `the stop is ${round2(atrMultiple)} ATR away: normal noise would hit it`, { ...numbers, minStopAtr: limits.minStopAtr });
  }
  if (limits.maxStopAtr > 0 && atrMultiple.gt(limits.maxStopAtr)) {
    return rejection('STOP_TOO_WIDE', `the stop is ${round2(atrMultiple)} ATR away`, { ...numbers, maxStopAtr: limits.maxStopAtr });
  }
  return null;
};

const liquidationGate: MarketGate = ({ limits, signal: { direction, stop }, ref }) => {
  if (limits.marketType !== 'swap') return null;
  const liqPrice = liquidationPrice(direction, ref, toDec(limits.leverage), limits.maintenanceMarginPct);
  if (direction === 'long' ? stop.gt(liqPrice) : stop.lt(liqPrice)) return null;
  return rejection('STOP_BEYOND_LIQUIDATION', 'the stop is beyond the liquidation price at this leverage', {
    stopLoss: num(stop),
    liquidationPrice: num(liqPrice),
    leverage: limits.leverage,
  });
};

/** The pipeline, in order. Each gate's code says why a signal stops there. */
const SIGNAL_GATES: readonly SignalGate[] = [confidenceGate, levelsGate];
const MARKET_GATES: readonly MarketGate[] = [activeGate, entryDeviationGate, liveLevelsGate, riskRewardGate, stopAtrGate, liquidationGate];

/**
 * Decide: the signal gates, the portfolio gates, then (with `market`) the market gates and the
 * size. Without `market`, `continue` means the checks that need no market data passed.
 */
export function decide(limits: RiskLimits, signal: SignalLevels, state: RiskState, symbol: string, market: MarketView | null): Decision {
  for (const gate of SIGNAL_GATES) {
    const stop = gate(limits, signal);
    if (stop) return stop;
  }
  const blocked = portfolioGates(limits, state, symbol);
  if (blocked) return blocked;
  if (!market) return { kind: 'continue' };
  const ref = market.liquidity.best;
  const check: MarketCheck = { limits, signal, market, symbol, ref, stopDistance: ref.minus(signal.stop).abs() };
  for (const gate of MARKET_GATES) {
    const stop = gate(check);
    if (stop) return stop;
  }
  return size(check, state);
}

/** The size before the caps: equity × RISK_PER_TRADE_PCT over the loss per unit (stop distance plus fees). */
function riskSizing(c: MarketCheck, state: RiskState) {
  const { limits, signal, ref, stopDistance, market } = c;
  const fee = toDec(limits.feeRate);
  const leverage = toDec(limits.leverage);
  const riskBudget = state.equity.times(limits.riskPerTradePct).div(100);
  const riskNotional = riskBudget.div(stopDistance.plus(ref.plus(signal.stop).times(fee))).times(ref);
  const exposure = state.open.reduce((a, p) => a.plus(p.notional), ZERO);
  const positionCap = state.equity.times(limits.maxPositionSizePct).div(100);
  const exposureRoom = state.equity.times(limits.maxTotalExposurePct).div(100).minus(exposure);
  // Margin and entry fee come out of cash: notional × (1/L + fee) ≤ cash.
  const cashCap = state.cash.div(new Dec(1).div(leverage).plus(fee));
  const numbers: Numbers = {
    equity: usd(state.equity),
    cash: usd(state.cash),
    live: num(ref),
    stopPct: round2(stopDistance.div(ref).times(100)),
    riskReward: signal.target.minus(ref).abs().div(stopDistance).toDecimalPlaces(2).toNumber(),
    riskBudget: usd(riskBudget),
    riskNotional: usd(riskNotional),
    exposureBefore: usd(exposure),
    atr1h: market.atr,
  };
  const caps: Array<[ClampCode, Dec]> = [
    ['POSITION_SIZE_CAP', positionCap],
    ['EXPOSURE_CAP', exposureRoom],
    ['INSUFFICIENT_CASH', cashCap],
  ];
  return { fee, leverage, riskNotional, exposure, positionCap, exposureRoom, cashCap, numbers, caps };
}

/** The quantity after the caps and the book: clamped, stepped, and checked against the exchange minimums. */
function quantity(c: MarketCheck, sizing: ReturnType<typeof riskSizing>): { qty: Dec; execution: Execution; clamps: Clamp[] } | Rejection {
  const { market } = c;
  const liq = market.liquidity;
  let notional = sizing.riskNotional;
  const clamps: Clamp[] = [];
  for (const [code, cap] of sizing.caps) {
    if (cap.lt(notional)) {
      clamps.push({ code, from: usd(notional), to: usd(cap) });
      notional = cap;
    }
  }
  let qty = liq.qtyForNotional(notional);
  if (liq.maxEntryQty && qty.gte(liq.maxEntryQty)) {
    // The book within MAX_SLIPPAGE_PCT ran out before the notional was reached.
    qty = liq.maxEntryQty;
    const reachable = liq.enter(qty).notional;
    if (reachable.lt(notional)) clamps.push({ code: 'SLIPPAGE_CAP', from: usd(notional), to: usd(reachable) });
  }
  qty = floorToStep(qty, market.qtyStep);
  const numbers = sizing.numbers;
  if (qty.lte(0)) {
    const noBook = liq.maxEntryQty !== null && liq.maxEntryQty.lte(0);
    return noBook
      ? rejection('NO_LIQUIDITY', 'nothing to take within MAX_SLIPPAGE_PCT of the best price', numbers)
      : rejection('SIZE_BELOW_MINIMUM', 'the allowed size rounds down to zero', { ...numbers, qtyStep: market.qtyStep ? exactQty(market.qtyStep) : null });
  }
  const execution = liq.enter(qty);
  const { minQty, minNotional } = market;
  if ((minQty && qty.lt(minQty)) || (minNotional && execution.notional.lt(minNotional))) {
    return rejection('SIZE_BELOW_MINIMUM', 'the allowed size is below the exchange minimum order', {
      ...numbers,
      quantity: exactQty(qty),
      notional: usd(execution.notional),
      minQty: minQty ? exactQty(minQty) : null,
      minNotional: minNotional ? num(minNotional) : null,
    });
  }
  return { qty, execution, clamps };
}

/** 5. Size: risk per trade over the stop distance (fees included), then the caps, the book and the minimums. */
function size(c: MarketCheck, state: RiskState): Decision {
  const { limits, signal } = c;
  const s = riskSizing(c, state);
  if (s.exposureRoom.lte(0)) {
    return rejection('EXPOSURE_CAP', 'no room left under the exposure cap', { ...s.numbers, maxTotalExposurePct: limits.maxTotalExposurePct });
  }
  if (s.positionCap.lte(0) || s.cashCap.lte(0)) return rejection('INSUFFICIENT_CASH', 'no cash left for margin and fees', s.numbers);
  const q = quantity(c, s);
  if ('kind' in q) return q;
  const bookedNotional = money(q.execution.notional);
  const entryFee = money(bookedNotional.times(s.fee));
  const margin = money(bookedNotional.div(s.leverage));
  // The caps were applied to the estimate; the booked amounts must respect them too.
  if (margin.plus(entryFee).gt(state.cash)) {
    return rejection('INSUFFICIENT_CASH', 'margin and fee exceed the cash', { ...s.numbers, margin: usd(margin), fee: usd(entryFee) });
  }
  const exposureCap = state.equity.times(limits.maxTotalExposurePct).div(100);
  if (s.exposure.plus(bookedNotional).gt(exposureCap)) {
    return rejection('EXPOSURE_CAP', 'the fill would exceed the exposure cap', { ...s.numbers, notional: usd(bookedNotional) });
  }
  return {
    kind: 'execute',
    execution: { ...q.execution, notional: bookedNotional },
    fee: entryFee,
    margin,
    leverage: s.leverage,
    liquidationPrice: limits.marketType === 'swap' ? liquidationPrice(signal.direction, q.execution.price, s.leverage, limits.maintenanceMarginPct) : null,
    clamps: q.clamps,
    message: q.clamps.length ? `executed, size cut by ${q.clamps.map((x) => x.code).join(', ')}` : 'executed at the risk-based size',
    numbers: { ...s.numbers, exposureAfter: usd(s.exposure.plus(bookedNotional)), exposureCap: usd(exposureCap) },
  };
}
