/**
 * submit_trading_signal: store every signal, then let fixed code decide whether and how much to
 * trade, and fill it on the paper portfolio.
 *
 * Idempotency: a client `signal_id` is unique in the database (unique index). A replayed id
 * answers the stored outcome and never trades again; the same id with different levels is a
 * CONFLICT. A signal that failed on a market error is stored as `failed` and may be retried with
 * the same id. Submissions to one portfolio are serialized (see trading/serialize.ts).
 */
import type { Kysely } from 'kysely';
import { atr } from '../analysis/indicators.js';
import type { DB } from '../db/schema.js';
import type { Deps } from '../deps.js';
import { AppError, isAppError, type ErrorCode } from '../errors.js';
import type { MarketInfo } from '../market/types.js';
import { DEFAULT_PORTFOLIO, requirePortfolio } from '../trading/portfolios.js';
import { evaluateLocked } from '../trading/evaluate.js';
import { bookLiquidity, slippagePct, tickerLiquidity } from '../trading/fills.js';
import { bookOpen } from '../trading/ledger.js';
import { num, str, toDec, usd, type Dec } from '../shared/money.js';
import { decide, riskLimits, type Clamp, type Decision, type MarketView, type Numbers, type SignalLevels } from '../trading/risk.js';
import { loadRiskState } from '../trading/risk-state.js';
import { withPortfolioLock } from '../trading/serialize.js';
import { writeTransaction } from '../shared/transaction.js';
import type { Direction } from '../trading/triggers.js';

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

export type FillReport = {
  positionId: number;
  side: 'buy' | 'sell';
  mode: 'realistic' | 'instant';
  price: number;
  quantity: number;
  notional: number;
  fee: number;
  margin: number;
  leverage: number;
  /** Cost against the mid price, % (spread and depth). */
  slippagePct: number;
  liquidationPrice: number | null;
};

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
  const early = await replayed(deps.db, input, levels);
  if (early) return early;
  const info = await deps.market.resolveSymbol(input.symbol);

  return withPortfolioLock(deps.db, portfolio.id, async () => {
    const prior = await replayed(deps.db, input, levels);
    if (prior) return prior;
    try {
      const evaluation = await evaluateLocked(deps, portfolio.id);
      const limits = riskLimits(deps.config);
      const now = deps.clock.now();
      const pre = decide(limits, levels, (await loadRiskState(deps.db, portfolio.id, info.symbol, evaluation.marks, now)).state, info.symbol, null);
      const market = pre.kind === 'continue' ? await marketView(deps, info, levels.direction) : null;
      return await writeTransaction(deps.db, async (tx) => {
        let decision: Decision = pre;
        if (market) {
          // Decide again on the state read inside the transaction: another process may have traded.
          const { state } = await loadRiskState(tx, portfolio.id, info.symbol, evaluation.marks, now);
          decision = decide(limits, levels, state, info.symbol, market);
        }
        return store(tx, deps, { input, levels, info, portfolio: { id: portfolio.id, name: portfolio.name }, decision, now, market });
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        const winner = await replayed(deps.db, input, levels);
        if (winner) return winner;
      }
      if (isAppError(error) && MARKET_ERRORS.has(error.code)) await storeFailed(deps, input, info, portfolio.id, error);
      throw error;
    }
  });
}

function isUniqueViolation(error: unknown): boolean {
  return error instanceof Error && /UNIQUE constraint failed: movers_signals\.signal_id/.test(error.message);
}

/** The stored outcome of a replayed signal_id, or undefined when it is new (or failed before). */
async function replayed(db: Kysely<DB>, input: SignalInput, levels: SignalLevels): Promise<SignalOutcome | undefined> {
  if (!input.signal_id) return undefined;
  const row = await db.selectFrom('movers_signals').selectAll().where('signal_id', '=', input.signal_id).executeTakeFirst();
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

async function marketView(deps: Deps, info: MarketInfo, direction: Direction): Promise<MarketView> {
  const side = direction === 'long' ? 'buy' : 'sell';
  const realistic = deps.config.FILL_MODE === 'realistic';
  const [liquidity, atr1h] = await Promise.all([
    realistic
      ? deps.market.orderBook(info.symbol).then((book) => bookLiquidity(book, side, deps.config.MAX_SLIPPAGE_PCT))
      : deps.market.ticker(info.symbol).then((t) => tickerLiquidity(t, side)),
    hourlyAtr(deps, info.symbol),
  ]);
  const dec = (x: number | null): Dec | null => (x === null ? null : toDec(x));
  return {
    symbol: info.symbol,
    active: info.active,
    qtyStep: dec(info.qtyStep),
    minQty: dec(info.minQty),
    minNotional: dec(info.minNotional),
    atr: atr1h,
    liquidity,
  };
}

/** ATR(14) of the last closed 1h candles; null when the market is too young to have them. */
async function hourlyAtr(deps: Deps, symbol: string): Promise<number | null> {
  const series = await deps.market.candles(symbol, '1h', { limit: 50 });
  if (series.candles.length < 15) return null;
  const c = series.candles;
  const values = atr(
    c.map((x) => x.high),
    c.map((x) => x.low),
    c.map((x) => x.close),
    14,
  );
  const last = values[values.length - 1];
  return last !== undefined && Number.isFinite(last) ? last : null;
}

interface StoreArgs {
  input: SignalInput;
  levels: SignalLevels;
  info: MarketInfo;
  portfolio: { id: number; name: string };
  decision: Decision;
  now: number;
  market: MarketView | null;
}

async function store(tx: Kysely<DB>, deps: Deps, a: StoreArgs): Promise<SignalOutcome> {
  const { decision, levels, input } = a;
  if (decision.kind === 'continue') throw new AppError('INTERNAL', 'The risk decision was left incomplete');
  const status: SignalStatus = decision.kind === 'execute' ? 'executed' : decision.kind;
  const code = decision.kind === 'execute' ? (decision.clamps[0]?.code ?? null) : decision.code;
  const values = {
    created_at: a.now,
    symbol: a.info.symbol,
    direction: levels.direction,
    confidence: levels.confidence,
    entry_price: str(levels.entry),
    stop_loss: str(levels.stop),
    take_profit: str(levels.target),
    analysis: input.analysis,
    signal_id: input.signal_id ?? null,
    portfolio_id: a.portfolio.id,
    status,
    reason_code: code,
    reason: decision.message,
    timeframe: input.timeframe ?? null,
    technical_score: input.technical_score ?? null,
    sentiment_score: input.sentiment_score ?? null,
  };
  const failed = input.signal_id
    ? await tx.selectFrom('movers_signals').select('id').where('signal_id', '=', input.signal_id).where('status', '=', 'failed').executeTakeFirst()
    : undefined;
  let id: number;
  if (failed) {
    await tx.updateTable('movers_signals').set(values).where('id', '=', failed.id).execute();
    id = failed.id;
  } else {
    id = (await tx.insertInto('movers_signals').values(values).returning('id').executeTakeFirstOrThrow()).id;
  }

  let fill: FillReport | null = null;
  if (decision.kind === 'execute') {
    const positionId = await bookOpen(tx, {
      portfolioId: a.portfolio.id,
      signalRowId: id,
      symbol: a.info.symbol,
      direction: levels.direction,
      execution: decision.execution,
      fee: decision.fee,
      margin: decision.margin,
      leverage: decision.leverage,
      liquidationPrice: decision.liquidationPrice,
      stop: levels.stop,
      target: levels.target,
      at: a.now,
    });
    const liq = a.market!.liquidity;
    fill = {
      positionId,
      side: liq.side,
      mode: liq.mode,
      price: num(decision.execution.price),
      quantity: decision.execution.quantity.toNumber(),
      notional: usd(decision.execution.notional),
      fee: usd(decision.fee),
      margin: usd(decision.margin),
      leverage: decision.leverage.toNumber(),
      slippagePct: slippagePct(liq.side, decision.execution.price, liq.mid),
      liquidationPrice: decision.liquidationPrice ? num(decision.liquidationPrice) : null,
    };
  }
  const outcome: SignalOutcome = {
    id,
    signalId: input.signal_id ?? null,
    portfolio: a.portfolio.name,
    status,
    replayed: false,
    code,
    reason: decision.message,
    symbol: a.info.symbol,
    direction: levels.direction,
    confidence: levels.confidence,
    fill,
    clamps: decision.kind === 'execute' ? decision.clamps : [],
    numbers: decision.numbers,
    at: new Date(a.now).toISOString(),
  };
  await tx
    .updateTable('movers_signals')
    .set({ decision: JSON.stringify(outcome), position_id: fill?.positionId ?? null })
    .where('id', '=', id)
    .execute();
  deps.log.info('signal decided', { signal: id, symbol: a.info.symbol, status, code });
  return outcome;
}

/** A market failure: the signal is kept (status failed, the error code as reason) and may be retried. */
async function storeFailed(deps: Deps, input: SignalInput, info: MarketInfo, portfolioId: number, error: AppError): Promise<void> {
  const values = {
    created_at: deps.clock.now(),
    symbol: info.symbol,
    direction: input.direction,
    confidence: input.confidence,
    entry_price: str(toDec(input.entry_price)),
    stop_loss: str(toDec(input.stop_loss)),
    take_profit: str(toDec(input.take_profit)),
    analysis: input.analysis,
    signal_id: input.signal_id ?? null,
    portfolio_id: portfolioId,
    status: 'failed' as const,
    reason_code: error.code,
    reason: 'market data unavailable when the signal was decided; not traded',
    timeframe: input.timeframe ?? null,
    technical_score: input.technical_score ?? null,
    sentiment_score: input.sentiment_score ?? null,
  };
  await deps.db
    .insertInto('movers_signals')
    .values(values)
    .onConflict((oc) =>
      oc.column('signal_id').doUpdateSet({ reason_code: error.code, created_at: values.created_at }).where('movers_signals.status', '=', 'failed'),
    )
    .execute();
}
