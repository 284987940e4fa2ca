/**
 * Daily roll-ups of the trade log, kept in the same transaction as every booking, so that the P&L
 * report reads a few hundred rows instead of every trade (see bench/trading.ts):
 *
 * - paper_pnl_daily (portfolio, UTC day, symbol): Σ pnl, Σ fee, Σ funding of the trades booked
 *   that day, and the round trips closed that day (count, wins, losses, Σ won, Σ lost);
 * - paper_balance_daily (portfolio, UTC day): the realized balance (starting balance + Σ pnl)
 *   at the day's open, high, low and close, and the deepest fall from the day's running peak.
 *
 * They are derived data: `rebuildRollups` recomputes them from the trade log, and a test checks
 * that the incremental and the rebuilt roll-ups agree.
 */
import { sql, type Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import { Dec, ZERO, fromUnits, money, str, toDec, units } from '../shared/money.js';

export const DAY_MS = 86_400_000;

/** Epoch ms of the UTC midnight starting the day that contains `t`. */
export function dayOf(t: number): number {
  return Math.floor(t / DAY_MS) * DAY_MS;
}

interface BalanceDay {
  open: Dec;
  high: Dec;
  low: Dec;
  close: Dec;
  drawdown: Dec;
  drawdownPct: number;
}

/** The day after one more booking of `pnl`. */
export function stepBalance(day: BalanceDay, pnl: Dec): BalanceDay {
  const close = day.close.plus(pnl);
  const high = Dec.max(day.high, close);
  const fall = high.minus(close);
  const fallPct = high.gt(0) ? fall.div(high).times(100).toNumber() : 0;
  return {
    open: day.open,
    high,
    low: Dec.min(day.low, close),
    close,
    drawdown: Dec.max(day.drawdown, fall),
    drawdownPct: Math.max(day.drawdownPct, fallPct),
  };
}

const openDay = (balance: Dec): BalanceDay => ({ open: balance, high: balance, low: balance, close: balance, drawdown: ZERO, drawdownPct: 0 });

const rowOf = (portfolioId: number, day: number, b: BalanceDay) => ({
  portfolio_id: portfolioId,
  day,
  open: str(b.open),
  high: str(b.high),
  low: str(b.low),
  close: str(b.close),
  drawdown: str(b.drawdown),
  drawdown_pct: b.drawdownPct,
});

export interface RolledBooking {
  portfolioId: number;
  symbol: string;
  at: number;
  /** The trade's pnl (negative fee on entry, −payment for funding, gross − fee on close). */
  pnl: Dec;
  fee: Dec;
  funding: boolean;
  /** For a close: the round trip's net realized P&L. */
  roundTripNet?: Dec;
}

/** Add one booking to the roll-ups (inside the booking's transaction). */
export async function rollBooking(tx: Kysely<DB>, b: RolledBooking): Promise<void> {
  const day = dayOf(b.at);
  const net = b.roundTripNet;
  const won = net !== undefined && net.gt(0);
  const lost = net !== undefined && net.lt(0);
  await tx
    .insertInto('paper_pnl_daily')
    .values({
      portfolio_id: b.portfolioId,
      day,
      symbol: b.symbol,
      pnl_units: units(b.pnl),
      fee_units: units(b.fee),
      funding_units: b.funding ? units(b.pnl) : 0,
      closed: net === undefined ? 0 : 1,
      wins: won ? 1 : 0,
      losses: lost ? 1 : 0,
      win_units: won ? units(net) : 0,
      loss_units: lost ? units(net) : 0,
    })
    .onConflict((oc) =>
      oc.columns(['portfolio_id', 'day', 'symbol']).doUpdateSet({
        pnl_units: sql`paper_pnl_daily.pnl_units + excluded.pnl_units`,
        fee_units: sql`paper_pnl_daily.fee_units + excluded.fee_units`,
        funding_units: sql`paper_pnl_daily.funding_units + excluded.funding_units`,
        closed: sql`paper_pnl_daily.closed + excluded.closed`,
        wins: sql`paper_pnl_daily.wins + excluded.wins`,
        losses: sql`paper_pnl_daily.losses + excluded.losses`,
        win_units: sql`paper_pnl_daily.win_units + excluded.win_units`,
        loss_units: sql`paper_pnl_daily.loss_units + excluded.loss_units`,
      }),
    )
    .execute();
  await rollBalance(tx, b.portfolioId, day, money(b.pnl));
}

async function rollBalance(tx: Kysely<DB>, portfolioId: number, day: number, pnl: Dec): Promise<void> {
  const latest = await tx
    .selectFrom('paper_balance_daily')
    .selectAll()
    .where('portfolio_id', '=', portfolioId)
    .where('day', '<=', day)
    .orderBy('day', 'desc')
    .limit(1)
    .executeTakeFirst();
  let current: BalanceDay;
  if (latest && latest.day === day) {
    current = {
      open: toDec(latest.open),
      high: toDec(latest.high),
      low: toDec(latest.low),
      close: toDec(latest.close),
      drawdown: toDec(latest.drawdown),
      drawdownPct: latest.drawdown_pct,
    };
  } else {
    const start = latest
      ? toDec(latest.close)
      : toDec((await tx.selectFrom('paper_portfolios').select('starting_balance').where('id', '=', portfolioId).executeTakeFirstOrThrow()).starting_balance);
    current = openDay(start);
  }
  const next = rowOf(portfolioId, day, stepBalance(current, pnl));
  await tx
    .insertInto('paper_balance_daily')
    .values(next)
    .onConflict((oc) => oc.columns(['portfolio_id', 'day']).doUpdateSet(next))
    .execute();
  // A booking dated before later days (rare: another process's evaluation) shifts their path.
  const later = await tx.selectFrom('paper_balance_daily').selectAll().where('portfolio_id', '=', portfolioId).where('day', '>', day).execute();
  for (const r of later) {
    const shift = (v: string) => str(toDec(v).plus(pnl));
    await tx
      .updateTable('paper_balance_daily')
      .set({ open: shift(r.open), high: shift(r.high), low: shift(r.low), close: shift(r.close) })
      .where('portfolio_id', '=', portfolioId)
      .where('day', '=', r.day)
      .execute();
  }
}

export async function deleteRollups(tx: Kysely<DB>, portfolioId: number): Promise<void> {
  await tx.deleteFrom('paper_pnl_daily').where('portfolio_id', '=', portfolioId).execute();
  await tx.deleteFrom('paper_balance_daily').where('portfolio_id', '=', portfolioId).execute();
}

/** Recompute a portfolio's roll-ups from its trade log and positions (inside a transaction). */
export async function rebuildRollups(tx: Kysely<DB>, portfolioId: number): Promise<void> {
  await deleteRollups(tx, portfolioId);
  await sql`
    insert into paper_pnl_daily (portfolio_id, day, symbol, pnl_units, fee_units, funding_units)
    select portfolio_id, (created_at / 86400000) * 86400000, symbol, sum(pnl_units), sum(fee_units),
           sum(case when trade_type = 'funding' then pnl_units else 0 end)
    from paper_trades where portfolio_id = ${portfolioId}
    group by 2, 3`.execute(tx);
  await sql`
    insert into paper_pnl_daily (portfolio_id, day, symbol, closed, wins, losses, win_units, loss_units)
    select portfolio_id, (closed_at / 86400000) * 86400000, symbol, count(*), sum(realized_units > 0), sum(realized_units < 0),
           sum(max(realized_units, 0)), sum(min(realized_units, 0))
    from paper_positions where portfolio_id = ${portfolioId} and status = 'closed' and realized_units is not null
    group by 2, 3
    on conflict (portfolio_id, day, symbol) do update set
      closed = excluded.closed, wins = excluded.wins, losses = excluded.losses,
      win_units = excluded.win_units, loss_units = excluded.loss_units`.execute(tx);

  const start = toDec(
    (await tx.selectFrom('paper_portfolios').select('starting_balance').where('id', '=', portfolioId).executeTakeFirstOrThrow()).starting_balance,
  );
  const trades = await tx
    .selectFrom('paper_trades')
    .select(['created_at', 'pnl'])
    .where('portfolio_id', '=', portfolioId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  let day: number | null = null;
  let current = openDay(start);
  const rows: ReturnType<typeof rowOf>[] = [];
  for (const t of trades) {
    const d = dayOf(t.created_at);
    if (d !== day) {
      if (day !== null) rows.push(rowOf(portfolioId, day, current));
      current = openDay(current.close);
      day = d;
    }
    current = stepBalance(current, toDec(t.pnl));
  }
  if (day !== null) rows.push(rowOf(portfolioId, day, current));
  for (let i = 0; i < rows.length; i += 500)
    await tx
      .insertInto('paper_balance_daily')
      .values(rows.slice(i, i + 500))
      .execute();
}

/** Per symbol since `fromDay`: net P&L, fees, funding, closed round trips, wins and losses (exact sums of 1e-8 units). */
export async function symbolTotals(db: Kysely<DB>, portfolioId: number, fromDay: number) {
  return db
    .selectFrom('paper_pnl_daily')
    .select([
      'symbol',
      sql<string>`cast(sum(pnl_units) as text)`.as('pnl'),
      sql<string>`cast(sum(fee_units) as text)`.as('fees'),
      sql<string>`cast(sum(funding_units) as text)`.as('funding'),
      sql<number>`sum(closed)`.as('closed'),
      sql<number>`sum(wins)`.as('wins'),
      sql<number>`sum(losses)`.as('losses'),
      sql<string>`cast(sum(win_units) as text)`.as('win'),
      sql<string>`cast(sum(loss_units) as text)`.as('loss'),
    ])
    .where('portfolio_id', '=', portfolioId)
    .where('day', '>=', fromDay)
    .groupBy('symbol')
    .execute();
}

/** Σ trade P&L booked before `fromDay`. */
export async function pnlBefore(db: Kysely<DB>, portfolioId: number, fromDay: number): Promise<Dec> {
  const row = await db
    .selectFrom('paper_pnl_daily')
    .select(sql<string | null>`cast(sum(pnl_units) as text)`.as('units'))
    .where('portfolio_id', '=', portfolioId)
    .where('day', '<', fromDay)
    .executeTakeFirst();
  return fromUnits(row?.units);
}

/** The daily balance rows (open, high, low, close, drawdown) from `fromDay` on. */
export async function balanceDays(db: Kysely<DB>, portfolioId: number, fromDay: number) {
  return db.selectFrom('paper_balance_daily').selectAll().where('portfolio_id', '=', portfolioId).where('day', '>=', fromDay).orderBy('day').execute();
}
