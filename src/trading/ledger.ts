/**
 * The paper ledger: every booking that moves cash, inside the caller's write transaction.
 *
 * Model (USDT-margined linear perpetuals, isolated margin; spot is the same with leverage 1):
 * - open:    cash −= margin + fee, margin = notional / leverage, fee = notional × TAKER_FEE_RATE;
 *            trade pnl = −fee.
 * - funding: cash −= payment (from the position's margin when cash is short); trade pnl = −payment.
 * - close:   cash += margin + gross − fee, gross = ±(exit notional − entry notional);
 *            trade pnl = gross − fee. A position can lose at most its margin: a close that would
 *            return less than nothing is booked as a liquidation (pnl = −margin, cash += 0).
 * Hence, exactly: equity = cash + Σ margin + unrealized = starting balance + Σ trade pnl + unrealized,
 * and cash never goes negative.
 */
import type { Kysely, Selectable } from 'kysely';
import type { DB, PaperPositionsTable } from '../db/schema.js';
import { AppError } from '../errors.js';
import type { Execution } from './fills.js';
import { Dec, ZERO, money, str, toDec, units } from '../shared/money.js';
import { rollBooking } from './rollup.js';
import type { Direction } from './triggers.js';

export type PositionRow = Selectable<PaperPositionsTable>;
export type ExitReason = 'stop_loss' | 'take_profit' | 'manual' | 'liquidation';

/** Prices are stored with 12 significant digits (display); notional and money are exact. */
const priceStr = (d: Dec): string => str(d.toSignificantDigits(12));

async function readCash(tx: Kysely<DB>, portfolioId: number): Promise<Dec> {
  const row = await tx.selectFrom('paper_portfolios').select('cash').where('id', '=', portfolioId).executeTakeFirstOrThrow();
  return toDec(row.cash);
}

async function writeCash(tx: Kysely<DB>, portfolioId: number, cash: Dec, at: number): Promise<void> {
  if (cash.lt(0)) throw new AppError('INTERNAL', 'A booking would make cash negative');
  await tx
    .updateTable('paper_portfolios')
    .set({ cash: str(cash), updated_at: at })
    .where('id', '=', portfolioId)
    .execute();
}

export interface OpenBooking {
  portfolioId: number;
  signalRowId: number;
  symbol: string;
  direction: Direction;
  execution: Execution;
  fee: Dec;
  margin: Dec;
  leverage: Dec;
  liquidationPrice: Dec | null;
  stop: Dec;
  target: Dec;
  at: number;
}

export async function bookOpen(tx: Kysely<DB>, b: OpenBooking): Promise<number> {
  const cash = await readCash(tx, b.portfolioId);
  const notional = money(b.execution.notional);
  const inserted = await tx
    .insertInto('paper_positions')
    .values({
      portfolio_id: b.portfolioId,
      symbol: b.symbol,
      direction: b.direction,
      entry_price: priceStr(b.execution.price),
      quantity: str(b.execution.quantity),
      stop_loss: str(b.stop),
      take_profit: str(b.target),
      status: 'open',
      opened_at: b.at,
      signal_id: b.signalRowId,
      leverage: str(b.leverage),
      margin: str(b.margin),
      entry_notional: str(notional),
      entry_fee: str(b.fee),
      liquidation_price: b.liquidationPrice ? priceStr(b.liquidationPrice) : null,
      last_evaluated_at: b.at,
      mark_price: priceStr(b.execution.price),
      mark_at: b.at,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await tx
    .insertInto('paper_trades')
    .values({
      portfolio_id: b.portfolioId,
      position_id: inserted.id,
      symbol: b.symbol,
      trade_type: 'open',
      price: priceStr(b.execution.price),
      quantity: str(b.execution.quantity),
      notional: str(notional),
      fee: str(b.fee),
      pnl: str(b.fee.neg()),
      fee_units: units(b.fee),
      pnl_units: units(b.fee.neg()),
      created_at: b.at,
    })
    .execute();
  await rollBooking(tx, { portfolioId: b.portfolioId, symbol: b.symbol, at: b.at, pnl: b.fee.neg(), fee: b.fee, funding: false });
  await writeCash(tx, b.portfolioId, cash.minus(b.margin).minus(b.fee), b.at);
  return inserted.id;
}

export interface FundingBooking {
  /** Positive: the position pays; negative: it receives. */
  payment: Dec;
  price: Dec;
  rate: number;
  at: number;
}

/** Returns the position row as updated (margin and funding_paid). */
export async function bookFunding(tx: Kysely<DB>, position: PositionRow, f: FundingBooking): Promise<PositionRow> {
  const cash = await readCash(tx, position.portfolio_id);
  let margin = toDec(position.margin);
  let paid = money(f.payment);
  let newCash: Dec;
  if (paid.gt(0)) {
    const fromCash = Dec.min(cash, paid);
    const fromMargin = Dec.min(margin, paid.minus(fromCash));
    paid = fromCash.plus(fromMargin);
    margin = margin.minus(fromMargin);
    newCash = cash.minus(fromCash);
  } else {
    newCash = cash.minus(paid);
  }
  const qty = toDec(position.quantity);
  await tx
    .insertInto('paper_trades')
    .values({
      portfolio_id: position.portfolio_id,
      position_id: position.id,
      symbol: position.symbol,
      trade_type: 'funding',
      price: priceStr(f.price),
      quantity: position.quantity,
      notional: str(money(f.price.times(qty))),
      fee: '0',
      pnl: str(paid.neg()),
      pnl_units: units(paid.neg()),
      created_at: f.at,
    })
    .execute();
  const fundingPaid = toDec(position.funding_paid).plus(paid);
  await tx
    .updateTable('paper_positions')
    .set({ margin: str(margin), funding_paid: str(fundingPaid) })
    .where('id', '=', position.id)
    .execute();
  await rollBooking(tx, { portfolioId: position.portfolio_id, symbol: position.symbol, at: f.at, pnl: paid.neg(), fee: ZERO, funding: true });
  await writeCash(tx, position.portfolio_id, newCash, f.at);
  return { ...position, margin: str(margin), funding_paid: str(fundingPaid) };
}

export interface CloseBooking {
  execution: Execution;
  feeRate: number;
  reason: Exclude<ExitReason, 'liquidation'>;
  at: number;
  evaluatedAt: number;
}

export interface ClosedPosition {
  positionId: number;
  symbol: string;
  direction: Direction;
  reason: ExitReason;
  entryPrice: Dec;
  exitPrice: Dec;
  quantity: Dec;
  fee: Dec;
  /** Net realized P&L of the whole position (entry and exit fees and funding included). */
  realizedPnl: Dec;
  at: number;
}

/** Gross P&L of closing `entryNotional` at `exitNotional`. */
export function grossPnl(direction: Direction, entryNotional: Dec, exitNotional: Dec): Dec {
  return direction === 'long' ? exitNotional.minus(entryNotional) : entryNotional.minus(exitNotional);
}

export async function bookClose(tx: Kysely<DB>, position: PositionRow, c: CloseBooking): Promise<ClosedPosition> {
  const cash = await readCash(tx, position.portfolio_id);
  const margin = toDec(position.margin);
  const exitNotional = money(c.execution.notional);
  const fee = money(exitNotional.times(toDec(c.feeRate)));
  const gross = grossPnl(position.direction, toDec(position.entry_notional), exitNotional);
  let pnl = gross.minus(fee);
  let proceeds = margin.plus(pnl);
  let reason: ExitReason = c.reason;
  if (proceeds.lt(0)) {
    reason = 'liquidation';
    pnl = margin.neg();
    proceeds = ZERO;
  }
  await tx
    .insertInto('paper_trades')
    .values({
      portfolio_id: position.portfolio_id,
      position_id: position.id,
      symbol: position.symbol,
      trade_type: 'close',
      price: priceStr(c.execution.price),
      quantity: position.quantity,
      notional: str(exitNotional),
      fee: str(fee),
      pnl: str(pnl),
      fee_units: units(fee),
      pnl_units: units(pnl),
      created_at: c.at,
    })
    .execute();
  const realized = pnl.minus(toDec(position.entry_fee)).minus(toDec(position.funding_paid));
  const updated = await tx
    .updateTable('paper_positions')
    .set({
      status: 'closed',
      closed_at: c.at,
      exit_price: priceStr(c.execution.price),
      exit_reason: reason,
      realized_pnl: str(realized),
      realized_units: units(realized),
      margin: '0',
      last_evaluated_at: c.evaluatedAt,
    })
    .where('id', '=', position.id)
    .where('status', '=', 'open')
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) !== 1) throw new AppError('CONFLICT', `Position ${position.id} is already closed`);
  await rollBooking(tx, { portfolioId: position.portfolio_id, symbol: position.symbol, at: c.at, pnl, fee, funding: false, roundTripNet: realized });
  await writeCash(tx, position.portfolio_id, cash.plus(proceeds), c.at);
  return {
    positionId: position.id,
    symbol: position.symbol,
    direction: position.direction,
    reason,
    entryPrice: toDec(position.entry_price),
    exitPrice: c.execution.price,
    quantity: toDec(position.quantity),
    fee,
    realizedPnl: realized,
    at: c.at,
  };
}

/**
 * Positions of a portfolio closed (booked) between `from` and `to`, epoch ms inclusive. A close
 * books `last_evaluated_at` at the time of booking (the exit itself may be dated earlier, at the
 * candle that hit the level).
 */
export async function countClosedBetween(db: Kysely<DB>, portfolioId: number, from: number, to: number): Promise<number> {
  const row = await db
    .selectFrom('paper_positions')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('portfolio_id', '=', portfolioId)
    .where('status', '=', 'closed')
    .where('last_evaluated_at', '>=', from)
    .where('last_evaluated_at', '<=', to)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** The open position of a portfolio on a symbol (one per symbol), if any. */
export async function openPositionOn(db: Kysely<DB>, portfolioId: number, symbol: string): Promise<PositionRow | undefined> {
  return db
    .selectFrom('paper_positions')
    .selectAll()
    .where('portfolio_id', '=', portfolioId)
    .where('symbol', '=', symbol)
    .where('status', '=', 'open')
    .executeTakeFirst();
}

export async function openPositions(db: Kysely<DB>, portfolioId: number): Promise<PositionRow[]> {
  return db.selectFrom('paper_positions').selectAll().where('portfolio_id', '=', portfolioId).where('status', '=', 'open').orderBy('id').execute();
}

export interface MarkedPosition {
  row: PositionRow;
  mark: Dec;
  /** When the mark was taken (epoch ms). */
  markAt: number;
  /** True when the exchange could not quote the symbol now: the mark is the last known one. */
  stale: boolean;
  notional: Dec;
  margin: Dec;
  /** Capped at −margin (isolated margin: the position cannot lose more). */
  unrealized: Dec;
}

export interface Snapshot {
  cash: Dec;
  margin: Dec;
  unrealized: Dec;
  /** cash + margin + unrealized. */
  equity: Dec;
  /** cash + margin (realized balance). */
  balance: Dec;
  /** Σ notional at mark of the open positions. */
  exposure: Dec;
  positions: MarkedPosition[];
}

/**
 * Marks the open positions: at `marks` (the prices an evaluation just read), else at the position's
 * stored last known mark (the entry fill when it was never marked since). `stale` lists the
 * positions whose mark could not be refreshed now.
 */
export function markPositions(rows: PositionRow[], marks: ReadonlyMap<string, Dec>, stale: ReadonlySet<number> = new Set()): MarkedPosition[] {
  return rows.map((row) => {
    const mark = marks.get(row.symbol) ?? toDec(row.mark_price ?? row.entry_price);
    const qty = toDec(row.quantity);
    const notional = mark.times(qty);
    const margin = toDec(row.margin);
    const raw = grossPnl(row.direction, toDec(row.entry_notional), notional);
    const markAt = row.mark_at ?? row.opened_at;
    return { row, mark, markAt, stale: stale.has(row.id), notional, margin, unrealized: Dec.max(raw, margin.neg()) };
  });
}

export function snapshotOf(cash: Dec, positions: MarkedPosition[]): Snapshot {
  const margin = positions.reduce((a, p) => a.plus(p.margin), ZERO);
  const unrealized = positions.reduce((a, p) => a.plus(p.unrealized), ZERO);
  const exposure = positions.reduce((a, p) => a.plus(p.notional), ZERO);
  return { cash, margin, unrealized, equity: cash.plus(margin).plus(unrealized), balance: cash.plus(margin), exposure, positions };
}

export async function loadSnapshot(db: Kysely<DB>, portfolioId: number, marks: ReadonlyMap<string, Dec>, stale?: ReadonlySet<number>): Promise<Snapshot> {
  const cash = await readCash(db, portfolioId);
  return snapshotOf(cash, markPositions(await openPositions(db, portfolioId), marks, stale));
}
