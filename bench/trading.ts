/**
 * Paper trading: the P&L report over 100,000 closed round trips (200,000 trade rows; goal
 * < 100 ms: it reads the daily roll-ups, exact integer sums in SQL), and signal-to-fill latency
 * of submit_trading_signal's feature path against the loopback simulator through the real ccxt
 * client. The trade log is written directly and its roll-ups rebuilt (`rebuildRollups`), the same
 * roll-ups the bookings keep.
 *
 * Standalone: `npx tsx bench/trading.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createDeps } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { getPnlReport } from '../src/portfolio/pnl-report.js';
import { createPortfolio } from '../src/trading/portfolios.js';
import { submitSignal } from '../src/signals/submit.js';
import { startSimExchange } from '../src/sim/server.js';
import { closePosition } from '../src/trading/close.js';
import { rebuildRollups } from '../src/trading/rollup.js';
import { writeTransaction } from '../src/shared/transaction.js';
import { percentile, printTable, type BenchResult, timeSorted } from './types.js';

const ROUND_TRIPS = 100_000;
const SYMBOLS = 30;
const YEAR_MS = 365 * 86_400_000;

const ms = (x: number) => `${x.toFixed(2)} ms`;

export async function benchTrading(): Promise<BenchResult[]> {
  const sim = await startSimExchange({ seed: 7 });
  const dir = mkdtempSync(join(tmpdir(), 'cctrader-bench-trading-'));
  const config = loadConfig({
    env: {
      EXCHANGE_BASE_URL: sim.url,
      DB_PATH: join(dir, 'bench.db'),
      LOG_LEVEL: 'silent',
      EXCHANGE_RATE_LIMIT: 'false',
      MAX_STOP_ATR: '0',
      MIN_STOP_ATR: '0',
    },
  });
  const app = await createDeps(config, { writeLog: () => {}, clock: { now: () => sim.clock.now() } });
  try {
    const deps = app.deps;
    const now = deps.clock.now();

    // 100,000 closed round trips over the past year, written directly (bench set-up, not the engine).
    await createPortfolio(deps, 'bench', 1_000_000);
    const pid = (await deps.db.selectFrom('paper_portfolios').select('id').where('name', '=', 'bench').executeTakeFirstOrThrow()).id;
    const sqlite = app.database.sqlite;
    const insertPosition = sqlite.prepare(
      `insert into paper_positions (portfolio_id, symbol, direction, entry_price, quantity, status, opened_at, closed_at, entry_notional, entry_fee, margin, exit_price, exit_reason, realized_pnl, realized_units)
       values (?, ?, 'long', '100', '1', 'closed', ?, ?, '100', '0.055', '0', ?, ?, ?, ?)`,
    );
    const insertTrade = sqlite.prepare(
      `insert into paper_trades (portfolio_id, position_id, symbol, trade_type, price, quantity, notional, fee, pnl, fee_units, pnl_units, created_at)
       values (?, ?, ?, ?, ?, '1', ?, ?, ?, ?, ?, ?)`,
    );
    const seed = sqlite.transaction(() => {
      for (let i = 0; i < ROUND_TRIPS; i++) {
        const symbol = `S${i % SYMBOLS}/USDT:USDT`;
        const opened = now - YEAR_MS + Math.floor((i / ROUND_TRIPS) * YEAR_MS);
        // Deterministic spread of outcomes: exits from 97.00 to 103.99.
        const exit = 97 + ((i * 7919) % 700) / 100;
        const exitFeeUnits = Math.round(exit * 0.00055 * 1e8);
        const grossUnits = Math.round((exit - 100) * 1e8);
        const closeUnits = grossUnits - exitFeeUnits;
        const netUnits = closeUnits - 5_500_000;
        const fmt = (u: number) => (u / 1e8).toFixed(8);
        const { lastInsertRowid } = insertPosition.run(
          pid,
          symbol,
          opened,
          opened + 3_600_000,
          String(exit),
          exit < 100 ? 'stop_loss' : 'take_profit',
          fmt(netUnits),
          netUnits,
        );
        insertTrade.run(pid, lastInsertRowid, symbol, 'open', '100', '100', '0.055', '-0.055', 5_500_000, -5_500_000, opened);
        insertTrade.run(
          pid,
          lastInsertRowid,
          symbol,
          'close',
          String(exit),
          String(exit),
          fmt(exitFeeUnits),
          fmt(closeUnits),
          exitFeeUnits,
          closeUnits,
          opened + 3_600_000,
        );
      }
    });
    const t0 = performance.now();
    seed();
    const seedMs = performance.now() - t0;
    const t1 = performance.now();
    await writeTransaction(deps.db, (tx) => rebuildRollups(tx, pid));
    const rebuildMs = performance.now() - t1;

    const reportAll = () => getPnlReport(deps, { portfolio: 'bench', period: 'all' });
    const reportMonth = () => getPnlReport(deps, { portfolio: 'bench', period: 'monthly' });
    const reportWeek = () => getPnlReport(deps, { portfolio: 'bench', period: 'weekly' });
    const check = await reportAll();
    const log = sqlite.prepare('select cast(sum(pnl_units) as text) as u from paper_trades where portfolio_id = ?').get(pid) as { u: string };
    if (check.trades !== ROUND_TRIPS || Math.abs(check.realizedPnl - Number(log.u) / 1e8) > 1e-4) {
      throw new Error(`report (${check.trades} round trips, ${check.realizedPnl}) disagrees with the trade log (${log.u} units)`);
    }
    await timeSorted(3, reportAll);
    const all = await timeSorted(20, reportAll);
    const month = await timeSorted(20, reportMonth);
    const week = await timeSorted(20, reportWeek);

    // Signal to fill: submit (evaluate, validate, risk, walk the book, book it) then close, repeated.
    await createPortfolio(deps, 'latency', 1_000_000);
    const symbols = ['BTC/USDT', 'ETH/USDT', 'SOL/USDT', 'XRP/USDT'];
    const levels = new Map<string, { entry: number }>();
    for (const s of symbols) levels.set(s, { entry: (await deps.market.ticker(s)).last });
    let k = 0;
    const submitOnce = async () => {
      const symbol = symbols[k++ % symbols.length]!;
      const entry = levels.get(symbol)!.entry;
      const out = await submitSignal(deps, {
        symbol,
        direction: 'long',
        confidence: 80,
        entry_price: entry,
        stop_loss: entry * 0.98,
        take_profit: entry * 1.06,
        analysis: 'bench',
        portfolio: 'latency',
      });
      if (out.status !== 'executed') throw new Error(`signal ${out.status}: ${out.code}`);
      return out;
    };
    const fills: number[] = [];
    for (let i = 0; i < 120; i++) {
      const t = performance.now();
      const out = await submitOnce();
      const dt = performance.now() - t;
      if (i >= 20) fills.push(dt); // warm-up: markets, candles, connections
      await closePosition(deps, { portfolio: 'latency', positionId: out.fill!.positionId });
    }
    fills.sort((a, b) => a - b);

    const p50 = percentile(all, 50);
    return [
      {
        name: `P&L report, all time, ${ROUND_TRIPS.toLocaleString('en-US')} round trips (${(2 * ROUND_TRIPS).toLocaleString('en-US')} trade rows), p50 / p95`,
        goal: '< 100 ms',
        result: `${ms(p50)} / ${ms(percentile(all, 95))}`,
        ok: p50 < 100,
      },
      { name: 'P&L report, monthly window (last 12 months), p50', goal: '< 100 ms', result: ms(percentile(month, 50)), ok: percentile(month, 50) < 100 },
      { name: 'P&L report, weekly window (last 4 weeks), p50', goal: '< 100 ms', result: ms(percentile(week, 50)), ok: percentile(week, 50) < 100 },
      {
        name: 'signal → fill (risk checks, book walk, booking) on the loopback simulator, p50 / p95',
        goal: 'informational',
        result: `${ms(percentile(fills, 50))} / ${ms(percentile(fills, 95))}`,
        ok: null,
      },
      {
        name: 'set-up: writing 100k round trips / rebuilding their roll-ups',
        goal: 'informational',
        result: `${(seedMs / 1000).toFixed(1)} s / ${(rebuildMs / 1000).toFixed(1)} s`,
        ok: null,
      },
    ];
  } finally {
    await app.close();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printTable(await benchTrading(), (s) => process.stdout.write(s));
}
