/** Named paper portfolios: create, find, list, reset. A portfolio is cash plus its positions. */
import type { Kysely, Selectable } from 'kysely';
import type { DB, PaperPortfoliosTable } from '../db/schema.js';
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import { type Dec, money, str, toDec, usd } from '../shared/money.js';
import { loadSnapshot } from './ledger.js';
import { deleteRollups } from './rollup.js';
import { withPortfolioLock } from './serialize.js';
import { writeTransaction } from '../shared/transaction.js';

export type PortfolioRow = Selectable<PaperPortfoliosTable>;

export const DEFAULT_PORTFOLIO = 'default';
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$/;

export function checkPortfolioName(name: string): string {
  if (!NAME.test(name)) {
    throw new AppError('INVALID_INPUT', 'A portfolio name is 1-40 letters, digits, _ . or -', { hint: 'e.g. default or swing-1' });
  }
  return name;
}

function checkBalance(balance: number): Dec {
  if (!Number.isFinite(balance) || balance <= 0 || balance > 1e9) {
    throw new AppError('INVALID_INPUT', 'A starting balance is a positive amount of USDT up to 1e9', { hint: 'e.g. 10000' });
  }
  return money(toDec(balance));
}

export async function findPortfolio(db: Kysely<DB>, name: string): Promise<PortfolioRow | undefined> {
  return db.selectFrom('paper_portfolios').selectAll().where('name', '=', name).executeTakeFirst();
}

/**
 * The portfolio a trading call is about. `default` is created on first use with
 * PAPER_STARTING_BALANCE; any other name must have been created first.
 */
export async function requirePortfolio(deps: Pick<Deps, 'db' | 'config' | 'clock'>, name: string = DEFAULT_PORTFOLIO): Promise<PortfolioRow> {
  checkPortfolioName(name);
  const found = await findPortfolio(deps.db, name);
  if (found) return found;
  if (name === DEFAULT_PORTFOLIO) {
    await insertPortfolio(deps.db, name, money(toDec(deps.config.PAPER_STARTING_BALANCE)), deps.clock.now(), true);
    return (await findPortfolio(deps.db, name))!;
  }
  throw new AppError('NOT_FOUND', `No portfolio named ${name}`, { hint: `create it with \`cctrader portfolio create ${name}\` or use the default portfolio` });
}

async function insertPortfolio(db: Kysely<DB>, name: string, balance: Dec, now: number, ignoreExisting: boolean): Promise<void> {
  let query = db.insertInto('paper_portfolios').values({ name, starting_balance: str(balance), cash: str(balance), created_at: now, updated_at: now });
  if (ignoreExisting) query = query.onConflict((oc) => oc.column('name').doNothing());
  await query.execute();
}

export interface PortfolioSummary {
  name: string;
  startingBalance: number;
  cash: number;
  /** cash + margin + unrealized P&L, open positions at their last known marks (no exchange call). */
  equity: number;
  openPositions: number;
  createdAt: string;
}

export async function createPortfolio(deps: Pick<Deps, 'db' | 'config' | 'clock'>, name: string, balance?: number): Promise<PortfolioSummary> {
  checkPortfolioName(name);
  const amount = checkBalance(balance ?? deps.config.PAPER_STARTING_BALANCE);
  if (await findPortfolio(deps.db, name)) {
    throw new AppError('CONFLICT', `A portfolio named ${name} already exists`, { hint: 'choose another name, or reset it' });
  }
  await insertPortfolio(deps.db, name, amount, deps.clock.now(), false);
  return summary((await findPortfolio(deps.db, name))!, 0);
}

/** Every portfolio with its cash and its equity at the positions' last known marks. */
export async function listPortfolios(db: Kysely<DB>): Promise<PortfolioSummary[]> {
  const rows = await db.selectFrom('paper_portfolios').selectAll().orderBy('name').execute();
  const out: PortfolioSummary[] = [];
  for (const row of rows) {
    const snap = await loadSnapshot(db, row.id, new Map());
    out.push(summary(row, snap.positions.length, snap.equity));
  }
  return out;
}

function summary(row: Pick<PortfolioRow, 'name' | 'starting_balance' | 'cash' | 'created_at'>, open: number, equity?: Dec): PortfolioSummary {
  const cash = toDec(row.cash);
  return {
    name: row.name,
    startingBalance: usd(toDec(row.starting_balance)),
    cash: usd(cash),
    equity: usd(equity ?? cash),
    openPositions: open,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

/**
 * Start a portfolio over: every position and trade is deleted and cash set to the starting
 * balance (the same one unless a new one is given). Signals stay, as the record of what was proposed.
 */
export async function resetPortfolio(
  deps: Pick<Deps, 'db' | 'clock'>,
  name: string,
  balance?: number,
): Promise<PortfolioSummary & { deletedPositions: number; deletedTrades: number }> {
  checkPortfolioName(name);
  const found = await findPortfolio(deps.db, name);
  if (!found) throw new AppError('NOT_FOUND', `No portfolio named ${name}`, { hint: 'list them with `cctrader portfolio list`' });
  const amount = balance === undefined ? toDec(found.starting_balance) : checkBalance(balance);
  return withPortfolioLock(deps.db, found.id, () =>
    writeTransaction(deps.db, async (tx) => {
      const trades = await tx.deleteFrom('paper_trades').where('portfolio_id', '=', found.id).executeTakeFirst();
      const positions = await tx.deleteFrom('paper_positions').where('portfolio_id', '=', found.id).executeTakeFirst();
      await deleteRollups(tx, found.id);
      await tx
        .updateTable('paper_portfolios')
        .set({ starting_balance: str(amount), cash: str(amount), updated_at: deps.clock.now() })
        .where('id', '=', found.id)
        .execute();
      const row = (await tx.selectFrom('paper_portfolios').selectAll().where('id', '=', found.id).executeTakeFirst())!;
      return { ...summary(row, 0), deletedPositions: Number(positions.numDeletedRows), deletedTrades: Number(trades.numDeletedRows) };
    }),
  );
}
