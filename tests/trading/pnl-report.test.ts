/** The P&L report's statistics over a ledger written through the booking functions, at chosen times. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderEquityCurve } from '../../src/cli/commands/pnl-report.js';
import { getPnlReport } from '../../src/portfolio/pnl-report.js';
import { createPortfolio } from '../../src/trading/portfolios.js';
import { bookClose, bookOpen } from '../../src/trading/ledger.js';
import { Dec, money } from '../../src/shared/money.js';
import { dayOf } from '../../src/trading/rollup.js';
import { writeTransaction } from '../../src/shared/transaction.js';
import { startTestDesk, type TestDesk } from '../helpers/desk.js';
import { checkRollups } from './ledger-check.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2025, 5, 30, 12);
const d = (x: number) => new Dec(String(x));
let desk: TestDesk;

/** One long round trip of `qty` from `entry` to `exit`, opened at `at` and closed an hour later. */
async function roundTrip(portfolioId: number, symbol: string, entry: number, exit: number, qty: number, at: number): Promise<void> {
  const deps = desk.app.deps;
  const notional = money(d(entry).times(qty));
  await writeTransaction(deps.db, async (tx) => {
    const id = await bookOpen(tx, {
      portfolioId,
      signalRowId: 0,
      symbol,
      direction: 'long',
      execution: { quantity: d(qty), notional, price: d(entry), beyondDepth: false },
      fee: money(notional.times('0.001')),
      margin: notional,
      leverage: d(1),
      liquidationPrice: null,
      stop: d(entry * 0.5),
      target: d(entry * 2),
      at,
    });
    const position = (await tx.selectFrom('paper_positions').selectAll().where('id', '=', id).executeTakeFirst())!;
    await bookClose(tx, position, {
      execution: { quantity: d(qty), notional: d(exit).times(qty), price: d(exit), beyondDepth: false },
      feeRate: 0.001,
      reason: exit > entry ? 'take_profit' : 'stop_loss',
      at: at + 3_600_000,
      evaluatedAt: at + 3_600_000,
    });
  });
}

beforeAll(async () => {
  desk = await startTestDesk({ sim: { now: NOW }, env: { LOG_LEVEL: 'warn' } });
  const p = await createPortfolio(desk.app.deps, 'stats', 1000);
  const id = (await desk.app.deps.db.selectFrom('paper_portfolios').select('id').where('name', '=', p.name).executeTakeFirstOrThrow()).id;
  // Fee 0.1 % per side. Net per round trip: +99.7 (100 → 200: 100 - 0.1 - 0.2), -50.15, -50.15, +19.78 (20 - 0.1 - 0.12)
  await roundTrip(id, 'AAA/USDT:USDT', 100, 200, 1, NOW - 300 * DAY);
  await roundTrip(id, 'BBB/USDT:USDT', 100, 50, 1, NOW - 20 * DAY);
  await roundTrip(id, 'BBB/USDT:USDT', 100, 50, 1, NOW - 3 * DAY);
  await roundTrip(id, 'AAA/USDT:USDT', 10, 12, 10, NOW - 2 * DAY);
});
afterAll(async () => {
  await desk.close();
});

describe('P&L report statistics', () => {
  it('all time: totals, win rate, profit factor, expectancy, drawdown', async () => {
    const r = await getPnlReport(desk.app.deps, { portfolio: 'stats', period: 'all', offline: true });
    expect(r).toMatchObject({ trades: 4, wins: 2, losses: 2, winRate: 50, realizedPnl: 19.18, feesPaid: 0.82, unrealizedPnl: 0, equity: 1019.18 });
    // (99.7 + 19.78) / (50.15 × 2)
    expect(r.profitFactor).toBe(Number((119.48 / 100.3).toFixed(2)));
    expect(r.expectancy).toBe(4.795);
    // Trade by trade: peak 1099.7 after the first close, trough 999.3 after the fourth entry fee: 100.4 (9.13 %).
    expect(r.maxDrawdown).toBe(100.4);
    expect(r.maxDrawdownPct).toBe(9.13);
    expect(r.bySymbol.items.map((s) => [s.symbol, s.realizedPnl, s.trades, s.winRate])).toEqual([
      ['AAA/USDT:USDT', 119.48, 2, 100],
      ['BBB/USDT:USDT', -100.3, 2, 0],
    ]);
    expect(r.equityCurve[0]).toEqual({ t: new Date(dayOf(NOW - 300 * DAY)).toISOString(), equity: 1000 });
    expect(r.equityCurve.length).toBeLessThanOrEqual(30);
    expect(r.equityCurve.at(-1)).toEqual({ t: new Date(NOW).toISOString(), equity: 1019.18 });
  });

  it('keeps roll-ups equal to a rebuild from the trade log', async () => {
    await checkRollups(desk.app.deps, 'stats');
  });

  it('periods are the original windows (UTC days, today included), from the balance at their start', async () => {
    const daily = await getPnlReport(desk.app.deps, { portfolio: 'stats', period: 'daily', offline: true });
    expect(daily).toMatchObject({ periodLabel: 'Last 7 Days', trades: 2, realizedPnl: Number((-50.15 + 19.78).toFixed(4)), startBalance: 1049.55 });
    expect(daily.totalPnlPct).toBe(Number(((-30.37 / 1049.55) * 100).toFixed(2)));
    const weekly = await getPnlReport(desk.app.deps, { portfolio: 'stats', period: 'weekly', offline: true });
    expect(weekly.trades).toBe(3);
    const monthly = await getPnlReport(desk.app.deps, { portfolio: 'stats', period: 'monthly', offline: true });
    expect(monthly.trades).toBe(4);
  });

  it('min_trades leaves out thin symbols from the table, not from the totals', async () => {
    const r = await getPnlReport(desk.app.deps, { portfolio: 'stats', period: 'daily', minTrades: 2, offline: true });
    expect(r.bySymbol.items).toEqual([]);
    expect(r.trades).toBe(2);
  });

  it('draws the equity curve in the terminal', async () => {
    const r = await getPnlReport(desk.app.deps, { portfolio: 'stats', period: 'all', offline: true });
    const chart = renderEquityCurve(r.equityCurve, 6);
    const lines = chart.split('\n');
    expect(lines).toHaveLength(8);
    const values = r.equityCurve.map((p) => p.equity);
    expect(lines[0]).toMatch(new RegExp(`^ *\\$${Math.round(Math.max(...values)).toLocaleString('en-US')} ┤`));
    expect(lines[5]).toMatch(new RegExp(`^ *\\$${Math.round(Math.min(...values)).toLocaleString('en-US')} ┤`));
    // One column (two characters) per point; the highest point fills the top row.
    expect(lines[0]!.split('┤')[1]).toHaveLength(values.length * 2);
    expect(lines[0]!.split('┤')[1]!.trim().length).toBeGreaterThan(0);
    expect(lines.at(-1)).toContain(r.equityCurve[0]!.t.slice(0, 10));
    expect(renderEquityCurve([{ t: 'x', equity: 1 }])).toBe('');
  });
});
