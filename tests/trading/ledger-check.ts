/** Ledger invariants, checked from the database and the reports through the real code paths. */
import { expect } from 'vitest';
import type { Deps } from '../../src/deps.js';
import { getPnlReport } from '../../src/portfolio/pnl-report.js';
import { findPortfolio } from '../../src/trading/portfolios.js';
import { getPortfolioStatus } from '../../src/portfolio/status.js';
import { evaluatePortfolio } from '../../src/trading/evaluate.js';
import { rebuildRollups } from '../../src/trading/rollup.js';
import { writeTransaction } from '../../src/shared/transaction.js';
import { Dec, UNITS_PER_USDT, ZERO, usd } from '../../src/shared/money.js';

const sum = (values: string[]) => values.reduce((a, v) => a.plus(v), new Dec(0));

/** The roll-ups kept by the bookings equal the ones rebuilt from the trade log. */
export async function checkRollups(deps: Deps, name = 'default'): Promise<void> {
  const portfolio = (await findPortfolio(deps.db, name))!;
  const read = async () => ({
    pnl: await deps.db.selectFrom('paper_pnl_daily').selectAll().where('portfolio_id', '=', portfolio.id).orderBy('day').orderBy('symbol').execute(),
    balance: await deps.db.selectFrom('paper_balance_daily').selectAll().where('portfolio_id', '=', portfolio.id).orderBy('day').execute(),
  });
  const kept = await read();
  await writeTransaction(deps.db, (tx) => rebuildRollups(tx, portfolio.id));
  expect(await read()).toEqual(kept);
}

export async function checkLedger(deps: Deps, name = 'default'): Promise<void> {
  // Settle what is due first, so that the reads below and the reports see one state.
  await evaluatePortfolio(deps, name);
  const portfolio = (await findPortfolio(deps.db, name))!;
  const trades = await deps.db.selectFrom('paper_trades').selectAll().where('portfolio_id', '=', portfolio.id).execute();
  const positions = await deps.db.selectFrom('paper_positions').selectAll().where('portfolio_id', '=', portfolio.id).execute();
  const cash = new Dec(portfolio.cash);

  // The integer mirrors equal the decimal strings, exactly.
  for (const t of trades) {
    expect(new Dec(t.pnl).times(UNITS_PER_USDT).toString(), `trade ${t.id} pnl_units`).toBe(String(t.pnl_units));
    expect(new Dec(t.fee).times(UNITS_PER_USDT).toString(), `trade ${t.id} fee_units`).toBe(String(t.fee_units));
  }
  // Cash never negative; margin never negative.
  expect(cash.gte(0), 'cash >= 0').toBe(true);
  for (const p of positions) expect(new Dec(p.margin).gte(0)).toBe(true);

  // Balance identity, exact: cash + open margin = starting balance + Σ trade pnl.
  const realized = sum(trades.map((t) => t.pnl));
  const openMargin = sum(positions.filter((p) => p.status === 'open').map((p) => p.margin));
  expect(cash.plus(openMargin).toString(), 'cash + margin = start + realized').toBe(new Dec(portfolio.starting_balance).plus(realized).toString());

  // A closed position's realized P&L is the sum of its trades.
  for (const p of positions.filter((x) => x.status === 'closed')) {
    const own = sum(trades.filter((t) => t.position_id === p.id).map((t) => t.pnl));
    expect(new Dec(p.realized_pnl!).toString(), `position ${p.id} realized`).toBe(own.toString());
    expect(String(p.realized_units)).toBe(new Dec(p.realized_pnl!).times(UNITS_PER_USDT).toString());
  }

  // What the model sees: equity = cash + margin + unrealized, and = start + realized + unrealized.
  const status = await getPortfolioStatus(deps, { portfolio: name });
  const close = (a: number, b: number) => expect(Math.abs(a - b), `${a} vs ${b}`).toBeLessThanOrEqual(0.0003);
  close(status.equity, status.cash + status.margin + status.unrealizedPnl);
  close(status.equity, status.startingBalance + status.realizedPnl + status.unrealizedPnl);
  expect(status.realizedPnl).toBe(usd(realized));

  // The P&L report reconciles with the trade log.
  const report = await getPnlReport(deps, { portfolio: name, period: 'all', minTrades: 0 });
  expect(report.realizedPnl).toBe(usd(sum(trades.map((t) => t.pnl))));
  expect(report.feesPaid).toBe(usd(sum(trades.map((t) => t.fee))));
  expect(report.fundingPaid).toBe(usd(sum(trades.filter((t) => t.trade_type === 'funding').map((t) => t.pnl)).neg()));
  close(report.totalPnl, report.realizedPnl + report.unrealizedPnl);
  close(report.equity, status.equity);
  for (const row of report.bySymbol.items) {
    expect(row.realizedPnl, row.symbol).toBe(usd(sum(trades.filter((t) => t.symbol === row.symbol).map((t) => t.pnl))));
  }
  const closedNet = sum(positions.filter((p) => p.status === 'closed').map((p) => p.realized_pnl!));
  expect(report.trades).toBe(positions.filter((p) => p.status === 'closed').length);
  if (report.trades > 0) close(report.expectancy!, usd(closedNet.div(report.trades)));
  else expect(closedNet.eq(ZERO)).toBe(true);
  await checkRollups(deps, name);
}
