/**
 * submit_trading_signal: a proposal is validated and stored (every signal is kept, decided or
 * not), and handed to trading's one entry point (trading/execute.ts), where fixed code decides
 * whether and how much to trade and fills it on the paper portfolio.
 *
 * Idempotency: a client `signal_id` is unique in the database (unique index). A replayed id
 * answers the stored outcome and never trades again; the same id with different levels is a
 * CONFLICT. A signal that failed on a market error is stored as `failed` and may be retried with
 * the same id. This module (with signals/store.ts) is the only writer of `movers_signals`.
 */
import type { Deps } from '../deps.js';
import { AppError, isAppError, type ErrorCode } from '../errors.js';
import type { MarketInfo } from '../market/types.js';
import { str, toDec } from '../shared/money.js';
import { executeSignal, type FillReport, type FinalDecision, type SignalRecord } from '../trading/execute.js';
import { DEFAULT_PORTFOLIO, requirePortfolio } from '../trading/portfolios.js';
import type { Clamp, Numbers, SignalLevels } from '../trading/risk.js';
import type { Direction } from '../trading/triggers.js';
import { completeSignal, storeDecidedSignal, storeFailedSignal, storedSignal } from './store.js';

export type { FillReport };

export interface SignalInput {
  symbol: string;
  direction: Direction;
  confidence: number;
  entry_price: number;
  stop_loss: number;
  take_profit: number;
  analysis: string;
  timeframe?: string | undefined;
  technical_score?: number | undefined;
  sentiment_score?: number | undefined;
  portfolio?: string | undefined;
  signal_id?: string | undefined;
}

export type SignalStatus = 'executed' | 'rejected' | 'recorded';

export interface SignalOutcome {
  id: number;
  signalId: string | null;
  portfolio: string;
  status: SignalStatus;
  replayed: boolean;
  /** Rejection code, LOW_CONFIDENCE, or the first clamp of an executed signal; null when executed unclamped. */
  code: string | null;
  reason: string;
  symbol: string;
  direction: Direction;
  confidence: number;
  fill: FillReport | null;
  clamps: Clamp[];
  numbers: Numbers;
  at: string;
}

/** Market failures: the signal is stored as failed and the error is passed on (may be retried). */
const MARKET_ERRORS: ReadonlySet<ErrorCode> = new Set(['RATE_LIMITED', 'UPSTREAM_UNAVAILABLE', 'TIMEOUT', 'BAD_RESPONSE', 'AUTH', 'INSUFFICIENT_DATA']);

function levelsOf(input: SignalInput): SignalLevels {
  return {
    direction: input.direction,
    confidence: input.confidence,
    entry: toDec(input.entry_price),
    stop: toDec(input.stop_loss),
    target: toDec(input.take_profit),
  };
}

export async function submitSignal(deps: Deps, input: SignalInput): Promise<SignalOutcome> {
  const portfolio = await requirePortfolio(deps, input.portfolio ?? DEFAULT_PORTFOLIO);
  const levels = levelsOf(input);
  const early = await replayed(deps, input, levels);
  if (early) return early;
  const info = await deps.market.resolveSymbol(input.symbol);
  try {
    return await executeSignal(
      deps,
      { portfolio: { id: portfolio.id, name: portfolio.name }, market: info, levels },
      recordFor(deps, input, levels, info, portfolio),
    );
  } catch (error) {
    if (isUniqueViolation(error)) {
      const winner = await replayed(deps, input, levels);
      if (winner) return winner;
    }
    if (isAppError(error) && MARKET_ERRORS.has(error.code)) await storeFailedSignal(deps.db, failedValues(deps, input, info, portfolio.id, error));
    throw error;
  }
}

/** How this signal is kept while trading decides it (see trading/execute.ts). */
function recordFor(
  deps: Deps,
  input: SignalInput,
  levels: SignalLevels,
  info: MarketInfo,
  portfolio: { id: number; name: string },
): SignalRecord<SignalOutcome> {
  return {
    earlier: () => replayed(deps, input, levels),
    store: (tx, { decision, at }) => storeDecidedSignal(tx, input.signal_id ?? null, decidedValues(input, levels, info, portfolio.id, decision, at)),
    complete: async (tx, id, { decision, fill, at }) => {
      const outcome = outcomeOf(id, input, levels, info, portfolio.name, decision, fill, at);
      await completeSignal(tx, id, outcome, fill?.positionId ?? null);
      deps.log.info('signal decided', { signal: id, symbol: info.symbol, status: outcome.status, code: outcome.code });
      return outcome;
    },
  };
}

function isUniqueViolation(error: unknown): boolean {
  return error instanceof Error && /UNIQUE constraint failed: movers_signals\.signal_id/.test(error.message);
}

/** The stored outcome of a replayed signal_id, or undefined when it is new (or failed before). */
async function replayed(deps: Pick<Deps, 'db'>, input: SignalInput, levels: SignalLevels): Promise<SignalOutcome | undefined> {
  if (!input.signal_id) return undefined;
  const row = await storedSignal(deps.db, input.signal_id);
  if (!row || row.status === 'failed' || row.decision === null) return undefined;
  const same =
    row.direction === levels.direction &&
    row.confidence === levels.confidence &&
    toDec(row.entry_price).eq(levels.entry) &&
    toDec(row.stop_loss).eq(levels.stop) &&
    toDec(row.take_profit).eq(levels.target);
  if (!same) {
    throw new AppError('CONFLICT', `signal_id ${input.signal_id} was already used for a different signal`, {
      hint: 'use a new signal_id for a new signal; the same id replays the first outcome',
    });
  }
  return { ...(JSON.parse(row.decision) as SignalOutcome), replayed: true };
}

function baseValues(input: SignalInput, levels: SignalLevels, info: MarketInfo, portfolioId: number, at: number) {
  return {
    created_at: at,
    symbol: info.symbol,
    direction: levels.direction,
    confidence: levels.confidence,
    entry_price: str(levels.entry),
    stop_loss: str(levels.stop),
    take_profit: str(levels.target),
    analysis: input.analysis,
    signal_id: input.signal_id ?? null,
    portfolio_id: portfolioId,
    timeframe: input.timeframe ?? null,
    technical_score: input.technical_score ?? null,
    sentiment_score: input.sentiment_score ?? null,
  };
}

const statusOf = (decision: FinalDecision): SignalStatus => (decision.kind === 'execute' ? 'executed' : decision.kind);
const codeOf = (decision: FinalDecision): string | null => (decision.kind === 'execute' ? (decision.clamps[0]?.code ?? null) : decision.code);

function decidedValues(input: SignalInput, levels: SignalLevels, info: MarketInfo, portfolioId: number, decision: FinalDecision, at: number) {
  return { ...baseValues(input, levels, info, portfolioId, at), status: statusOf(decision), reason_code: codeOf(decision), reason: decision.message };
}

function outcomeOf(
  id: number,
  input: SignalInput,
  levels: SignalLevels,
  info: MarketInfo,
  portfolio: string,
  decision: FinalDecision,
  fill: FillReport | null,
  at: number,
): SignalOutcome {
  return {
    id,
    signalId: input.signal_id ?? null,
    portfolio,
    status: statusOf(decision),
    replayed: false,
    code: codeOf(decision),
    reason: decision.message,
    symbol: info.symbol,
    direction: levels.direction,
    confidence: levels.confidence,
    fill,
    clamps: decision.kind === 'execute' ? decision.clamps : [],
    numbers: decision.numbers,
    at: new Date(at).toISOString(),
  };
}

/** A market failure: the signal is kept (status failed, the error code as reason) and may be retried. */
function failedValues(deps: Pick<Deps, 'clock'>, input: SignalInput, info: MarketInfo, portfolioId: number, error: AppError) {
  return {
    ...baseValues(input, levelsOf(input), info, portfolioId, deps.clock.now()),
    status: 'failed' as const,
    reason_code: error.code,
    reason: 'market data unavailable when the signal was decided; not traded',
  };
}
