/**
 * The replay view's data (get_replay_report, `replay show ID --html`): the replay's equity against
 * buy-and-hold of BTC and of the equal-weight basket of its symbols (as the equity they would have
 * given from the same starting balance, without fees, like the report's benchmarks), and the most
 * traded symbols' candles over the window with their trades. Prices come from the stored history
 * the replay ran on (the live database).
 */
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import { TIMEFRAME_MS, type Timeframe } from '../market/types.js';
import { loadCandles, minuteClosesAt } from '../replay/history-store.js';
import type { ReplayReport } from '../replay/report.js';
import type { ReplayChart, ReplayMarket } from './types.js';

/** Equity points drawn at most (each run of steps keeps its lowest and its last). */
export const MAX_EQUITY_POINTS = 400;
/** Symbols whose trades are drawn on their price. */
export const MAX_MARKETS = 4;
/** Candles per market panel at most: the finest timeframe that fits the window. */
const MAX_CANDLES = 500;
const MARKET_TIMEFRAMES: Timeframe[] = ['15m', '1h', '4h', '1d'];
const MINUTE = 60_000;

const sec = (ms: number): number => Math.floor(ms / 1000);
const r2 = (x: number): number => Math.round(x * 100) / 100;

/** Indices of the points kept: all when few, else per run its lowest and its last. */
export function thinIndices(values: readonly number[], max: number): number[] {
  if (values.length <= max) return values.map((_, i) => i);
  const runs = Math.floor(max / 2);
  const size = Math.ceil(values.length / runs);
  const out: number[] = [];
  for (let start = 0; start < values.length; start += size) {
    const end = Math.min(values.length, start + size) - 1;
    let low = end;
    for (let i = start; i < end; i++) if (values[i]! < values[low]!) low = i;
    if (low !== end) out.push(low);
    out.push(end);
  }
  return out;
}

/** Each symbol's price (the close of the minute before each time), carried forward over gaps. */
async function pricesAt(db: Kysely<DB>, symbol: string, times: readonly number[]): Promise<Array<number | null>> {
  const closes = await minuteClosesAt(
    db,
    symbol,
    times.map((t) => t - MINUTE),
  );
  let last: number | null = null;
  return times.map((t) => (last = closes.get(t - MINUTE) ?? last));
}

async function benchmarkCurves(db: Kysely<DB>, report: ReplayReport, times: number[]): Promise<ReplayChart['benchmarks']> {
  const start = report.performance.startBalance;
  const from = Date.parse(report.window.from);
  // The first time is the window's start: the buy-and-hold entry price.
  const at = [from, ...times];
  const changes = await Promise.all(
    report.symbols.map(async (symbol) => {
      const p = await pricesAt(db, symbol, at);
      const base = p[0];
      return { symbol, pct: p.slice(1).map((x) => (base && x !== null && x !== undefined ? (x / base - 1) * 100 : null)) };
    }),
  );
  const asEquity = (pct: number | null): number | null => (pct === null ? null : r2(start * (1 + pct / 100)));
  const btc = changes.find((c) => c.symbol.startsWith('BTC/'));
  const basket = times.map((_, i) => {
    const known = changes.map((c) => c.pct[i]).filter((x): x is number => x !== null && x !== undefined);
    return known.length ? known.reduce((a, b) => a + b, 0) / known.length : null;
  });
  const out: ReplayChart['benchmarks'] = [];
  if (btc) out.push({ name: 'BTC buy & hold', finalPct: report.benchmarks.btcBuyHoldPct, v: btc.pct.map((x) => asEquity(x ?? null)) });
  if (report.benchmarks.basketSymbols > 0)
    out.push({ name: `Basket buy & hold (${report.benchmarks.basketSymbols})`, finalPct: report.benchmarks.basketBuyHoldPct, v: basket.map(asEquity) });
  return out;
}

async function markets(db: Kysely<DB>, report: ReplayReport): Promise<ReplayMarket[]> {
  const from = Date.parse(report.window.from);
  const to = Date.parse(report.window.to);
  const counts = new Map<string, number>();
  for (const t of report.trades) counts.set(t.symbol, (counts.get(t.symbol) ?? 0) + 1);
  const top = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, MAX_MARKETS);
  const timeframe = MARKET_TIMEFRAMES.find((tf) => (to - from) / TIMEFRAME_MS[tf] <= MAX_CANDLES) ?? '1d';
  const step = TIMEFRAME_MS[timeframe];
  return Promise.all(
    top.map(async ([symbol]) => {
      const candles = await loadCandles(db, symbol, timeframe, Math.floor(from / step) * step, to);
      return {
        symbol,
        timeframe,
        t: candles.map((c) => sec(c.time)),
        o: candles.map((c) => c.open),
        h: candles.map((c) => c.high),
        l: candles.map((c) => c.low),
        c: candles.map((c) => c.close),
        v: candles.map((c) => c.volume),
        trades: report.trades
          .filter((t) => t.symbol === symbol)
          .map((t) => ({
            direction: t.direction,
            openedAt: sec(Date.parse(t.openedAt)),
            entry: t.entryPrice,
            closedAt: t.closedAt === null ? null : sec(Date.parse(t.closedAt)),
            exit: t.exitPrice,
            pnl: t.realizedPnl,
            reason: t.exitReason,
          })),
      };
    }),
  );
}

export async function replayChart(db: Kysely<DB>, report: ReplayReport): Promise<ReplayChart> {
  const curve = report.equityCurve.map((p) => ({ t: Date.parse(p.t), equity: p.equity }));
  const kept = thinIndices(
    curve.map((p) => p.equity),
    MAX_EQUITY_POINTS,
  ).map((i) => curve[i]!);
  const times = kept.map((p) => p.t);
  const perf = report.performance;
  return {
    view: 'replay',
    id: report.id,
    analyst: report.analyst,
    window: report.window,
    startBalance: perf.startBalance,
    performance: { totalReturnPct: perf.totalReturnPct, maxDrawdownPct: perf.maxDrawdownPct, trades: perf.trades, winRate: perf.winRate, sharpe: perf.sharpe },
    equity: { t: times.map(sec), v: kept.map((p) => p.equity) },
    benchmarks: await benchmarkCurves(db, report, times),
    markets: await markets(db, report),
    tradesTotal: report.trades.length,
  };
}
