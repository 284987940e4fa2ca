/** What the risk manager needs to know about a portfolio, read from the ledger. */
import { sql, type Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import { readHalt } from './halt.js';
import { loadSnapshot, type Snapshot } from './ledger.js';
import { fromUnits, type Dec } from '../shared/money.js';
import { dayOf } from './rollup.js';
import type { RiskState } from './risk.js';

/** Exit reasons that start a cooldown on the symbol. */
export const STOP_OUTS = ['stop_loss', 'liquidation'] as const;

/** Realized P&L (Σ trade pnl) booked from the UTC day containing `since` on, from the daily roll-up. */
export async function realizedFromDay(db: Kysely<DB>, portfolioId: number, since: number): Promise<Dec> {
  const row = await db
    .selectFrom('paper_pnl_daily')
    .select(sql<string | null>`cast(sum(pnl_units) as text)`.as('units'))
    .where('portfolio_id', '=', portfolioId)
    .where('day', '>=', dayOf(since))
    .executeTakeFirst();
  return fromUnits(row?.units);
}

export async function lastStopOut(db: Kysely<DB>, portfolioId: number, symbol: string): Promise<number | null> {
  const row = await db
    .selectFrom('paper_positions')
    .select((eb) => eb.fn.max('closed_at').as('at'))
    .where('portfolio_id', '=', portfolioId)
    .where('symbol', '=', symbol)
    .where('exit_reason', 'in', [...STOP_OUTS])
    .executeTakeFirst();
  return row?.at ?? null;
}

export async function loadRiskState(
  db: Kysely<DB>,
  portfolioId: number,
  symbol: string,
  marks: ReadonlyMap<string, Dec>,
  now: number,
): Promise<{ state: RiskState; snapshot: Snapshot }> {
  const snapshot = await loadSnapshot(db, portfolioId, marks);
  const halt = await readHalt(db);
  const realizedToday = await realizedFromDay(db, portfolioId, now);
  return {
    snapshot,
    state: {
      halted: halt.halted,
      haltReason: halt.reason,
      cash: snapshot.cash,
      equity: snapshot.equity,
      balance: snapshot.balance,
      open: snapshot.positions.map((p) => ({ symbol: p.row.symbol, notional: p.notional })),
      realizedToday,
      lastStopOutAt: await lastStopOut(db, portfolioId, symbol),
      now,
    },
  };
}
