/**
 * The realized balance of a portfolio trade by trade, for charts: the balance at `from` (the
 * starting balance plus every trade booked before it), then the balance after each trade booked
 * since (fills' fees, funding and closes are all trades). Read-only; exact sums in 1e-8 USDT.
 */
import { sql, type Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import { fromUnits, toDec, usd } from '../shared/money.js';

export interface BalancePoint {
  /** Epoch ms. */
  t: number;
  balance: number;
}

/**
 * At most `maxPoints` points after the first: when there are more trades, each run of trades keeps
 * its lowest and its last balance, so the depth of every drawdown survives the thinning.
 */
export async function realizedBalanceSeries(
  db: Kysely<DB>,
  portfolio: { id: number; starting_balance: string; created_at: number },
  from: number | null,
  maxPoints = 400,
): Promise<BalancePoint[]> {
  const before =
    from === null
      ? null
      : await db
          .selectFrom('paper_trades')
          .select(sql<string | null>`cast(sum(pnl_units) as text)`.as('units'))
          .where('portfolio_id', '=', portfolio.id)
          .where('created_at', '<', from)
          .executeTakeFirst();
  let balance = toDec(portfolio.starting_balance).plus(fromUnits(before?.units));
  const rows = await db
    .selectFrom('paper_trades')
    .select(['created_at', 'pnl_units'])
    .where('portfolio_id', '=', portfolio.id)
    .where('created_at', '>=', from ?? 0)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  const all: BalancePoint[] = [{ t: from ?? portfolio.created_at, balance: usd(balance) }];
  for (const r of rows) {
    balance = balance.plus(fromUnits(r.pnl_units));
    all.push({ t: r.created_at, balance: usd(balance) });
  }
  return thin(all, maxPoints);
}

function thin(points: BalancePoint[], maxPoints: number): BalancePoint[] {
  if (points.length <= maxPoints + 1) return points;
  const runs = Math.floor(maxPoints / 2);
  const size = Math.ceil((points.length - 1) / runs);
  const out: BalancePoint[] = [points[0]!];
  for (let start = 1; start < points.length; start += size) {
    const run = points.slice(start, start + size);
    const last = run.at(-1)!;
    const low = run.reduce((a, p) => (p.balance < a.balance ? p : a), last);
    if (low !== last) out.push(low);
    out.push(last);
  }
  return out;
}
