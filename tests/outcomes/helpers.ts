/** Outcome tests: a real migrated SQLite database, a controllable clock, and a market port that
 * serves hand-built 1-minute price paths (aggregated to coarser timeframes the way an exchange
 * does) and records every candle request. */
import { loadConfig } from '../../src/config.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import type { Deps } from '../../src/deps.js';
import { AppError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import type { Candle, CandleSeries, MarketData, Timeframe } from '../../src/market/types.js';
import { TIMEFRAME_MS } from '../../src/market/types.js';

export const MIN = 60_000;
export const HOUR = 3_600_000;
export const T0 = Date.UTC(2025, 0, 15, 12, 0, 0);

export type Bar = [open: number, high: number, low: number, close: number];

/** One 1m candle per bar, the first opening at `start`. */
export function minutes(start: number, bars: Bar[]): Candle[] {
  return bars.map(([open, high, low, close], i) => ({ time: start + i * MIN, open, high, low, close, volume: 1 }));
}

/** `n` quiet minutes around `price` (high +0.5, low −0.5). */
export function flat(n: number, price = 100): Bar[] {
  return Array.from({ length: n }, () => [price, price + 0.5, price - 0.5, price] as Bar);
}

export function aggregate(candles: readonly Candle[], tf: Timeframe): Candle[] {
  const step = TIMEFRAME_MS[tf];
  const out: Candle[] = [];
  for (const c of candles) {
    const t = Math.floor(c.time / step) * step;
    const last = out.at(-1);
    if (last && last.time === t) {
      last.high = Math.max(last.high, c.high);
      last.low = Math.min(last.low, c.low);
      last.close = c.close;
      last.volume += c.volume;
    } else out.push({ ...c, time: t });
  }
  return out;
}

export class FakeCandleMarket {
  readonly calls: Array<{ symbol: string; tf: Timeframe; since: number }> = [];
  readonly paths = new Map<string, Candle[]>();
  /** Make every request fail with this code (a market fault). */
  failWith: 'UPSTREAM_UNAVAILABLE' | null = null;

  constructor(private readonly clock: { now(): number }) {}

  /** No exchange behind it: no request budget. */
  requestBudget(): null {
    return null;
  }

  async candlesSince(symbol: string, tf: Timeframe, since: number): Promise<CandleSeries> {
    this.calls.push({ symbol, tf, since });
    if (this.failWith) throw new AppError(this.failWith, 'the exchange is down');
    const path = this.paths.get(symbol);
    if (!path) throw new AppError('NOT_FOUND', `Unknown symbol ${symbol}`);
    const step = TIMEFRAME_MS[tf];
    const now = this.clock.now();
    const from = Math.floor(since / step) * step;
    // Only minutes that have ended count toward a candle; only candles that have closed are answered.
    const candles = aggregate(
      path.filter((c) => c.time + MIN <= now),
      tf,
    ).filter((c) => c.time >= from && c.time + step <= now);
    return { symbol, market: 'swap', timeframe: tf, candles, forming: false };
  }
}

export interface OutcomeHarness {
  deps: Deps;
  market: FakeCandleMarket;
  clock: { t: number; now(): number };
  database: Database;
  close(): Promise<void>;
}

export async function outcomeHarness(env: Record<string, string> = {}): Promise<OutcomeHarness> {
  const database = openDatabase(':memory:');
  await migrateToLatest(database.db);
  const clock = {
    t: T0,
    now() {
      return this.t;
    },
  };
  const market = new FakeCandleMarket(clock);
  const config = loadConfig({ env: { DB_PATH: ':memory:', ...env } });
  const deps = {
    config,
    log: silentLogger,
    clock,
    db: database.db,
    market: market as unknown as MarketData,
    sentiment: { news: null, fearGreed: null, cache: null },
  } as unknown as Deps;
  return { deps, market, clock, database, close: () => database.close() };
}

export interface SignalRow {
  at: number;
  symbol?: string;
  direction?: 'long' | 'short';
  confidence?: number;
  entry: number;
  stop: number;
  target: number;
  status?: 'recorded' | 'rejected' | 'executed' | 'failed';
  code?: string | null;
  signalId?: string | null;
  positionId?: number | null;
}

export async function insertSignal(deps: Deps, s: SignalRow): Promise<number> {
  const row = await deps.db
    .insertInto('movers_signals')
    .values({
      created_at: s.at,
      symbol: s.symbol ?? 'BTC/USDT:USDT',
      direction: s.direction ?? 'long',
      confidence: s.confidence ?? 70,
      entry_price: String(s.entry),
      stop_loss: String(s.stop),
      take_profit: String(s.target),
      status: s.status ?? 'recorded',
      reason_code: s.code ?? null,
      signal_id: s.signalId ?? null,
      position_id: s.positionId ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function outcomeRow(deps: Deps, id: number) {
  return deps.db.selectFrom('signal_outcomes').selectAll().where('signal_row_id', '=', id).executeTakeFirst();
}
