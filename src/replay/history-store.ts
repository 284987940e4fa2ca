/**
 * Stored market history for replays (tables of migration 0008): candles per timeframe, settled
 * funding, hourly open interest and long/short ratios, the market descriptions, and which time
 * ranges were already asked of the exchange (coverage), so that a second download of the same
 * window sends nothing and a gap inside a covered range is a real gap, never invented data.
 */
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import type { Candle, FundingPoint, LongShortRatio, MarketInfo, OpenInterestPoint, Timeframe } from '../market/types.js';
import { writeTransaction } from '../shared/transaction.js';

export type HistoryKind = `candles:${Timeframe}` | 'funding' | 'open_interest' | 'long_short';

/** A half-open time range [from, to), epoch ms. */
export interface Range {
  from: number;
  to: number;
}

/** Ranges merged where they touch or overlap, sorted. */
export function mergeRanges(ranges: readonly Range[]): Range[] {
  const sorted = ranges.filter((r) => r.to > r.from).sort((a, b) => a.from - b.from);
  const out: Range[] = [];
  for (const r of sorted) {
    const last = out.at(-1);
    if (last && r.from <= last.to) last.to = Math.max(last.to, r.to);
    else out.push({ ...r });
  }
  return out;
}

/** The parts of [from, to) that `covered` does not cover. */
export function missingRanges(covered: readonly Range[], from: number, to: number): Range[] {
  const out: Range[] = [];
  let cursor = from;
  for (const r of mergeRanges(covered)) {
    if (r.to <= cursor) continue;
    if (r.from >= to) break;
    if (r.from > cursor) out.push({ from: cursor, to: Math.min(r.from, to) });
    cursor = Math.max(cursor, r.to);
    if (cursor >= to) break;
  }
  if (cursor < to) out.push({ from: cursor, to });
  return out;
}

export async function coverage(db: Kysely<DB>, symbol: string, kind: HistoryKind): Promise<Range[]> {
  const rows = await db.selectFrom('history_coverage').select(['from_ms', 'to_ms']).where('symbol', '=', symbol).where('kind', '=', kind).execute();
  return mergeRanges(rows.map((r) => ({ from: r.from_ms, to: r.to_ms })));
}

const BATCH = 400;

async function insertBatched<T>(rows: readonly T[], insert: (batch: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += BATCH) await insert(rows.slice(i, i + BATCH));
}

/** One downloaded page: its rows and the range it covers, in one transaction. */
export async function storePage(
  db: Kysely<DB>,
  symbol: string,
  kind: HistoryKind,
  range: Range,
  rows: { candles?: readonly Candle[]; funding?: readonly FundingPoint[]; openInterest?: readonly OpenInterestPoint[]; longShort?: readonly LongShortRatio[] },
): Promise<void> {
  await writeTransaction(db, async (tx) => {
    if (rows.candles?.length) {
      const tf = kind.slice('candles:'.length);
      await insertBatched(rows.candles, (b) =>
        tx
          .insertInto('history_candles')
          .values(b.map((c) => ({ symbol, timeframe: tf, time: c.time, open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume })))
          .onConflict((oc) => oc.doNothing())
          .execute(),
      );
    }
    if (rows.funding?.length) {
      await insertBatched(rows.funding, (b) =>
        tx
          .insertInto('history_funding')
          .values(b.map((f) => ({ symbol, time: f.time, rate: f.rate })))
          .onConflict((oc) => oc.doNothing())
          .execute(),
      );
    }
    if (rows.openInterest?.length) {
      await insertBatched(rows.openInterest, (b) =>
        tx
          .insertInto('history_open_interest')
          .values(b.map((p) => ({ symbol, time: p.time, amount: p.amount, value: p.value })))
          .onConflict((oc) => oc.doNothing())
          .execute(),
      );
    }
    if (rows.longShort?.length) {
      await insertBatched(rows.longShort, (b) =>
        tx
          .insertInto('history_long_short')
          .values(b.map((p) => ({ symbol, time: p.time, long_share: p.longShare })))
          .onConflict((oc) => oc.doNothing())
          .execute(),
      );
    }
    // Coverage is kept merged: one row per contiguous range.
    const existing = await tx.selectFrom('history_coverage').select(['from_ms', 'to_ms']).where('symbol', '=', symbol).where('kind', '=', kind).execute();
    const merged = mergeRanges([...existing.map((r) => ({ from: r.from_ms, to: r.to_ms })), range]);
    await tx.deleteFrom('history_coverage').where('symbol', '=', symbol).where('kind', '=', kind).execute();
    await tx
      .insertInto('history_coverage')
      .values(merged.map((r) => ({ symbol, kind, from_ms: r.from, to_ms: r.to })))
      .execute();
  });
}

export async function storeMarkets(db: Kysely<DB>, markets: readonly MarketInfo[], at: number): Promise<void> {
  await writeTransaction(db, async (tx) => {
    for (const m of markets) {
      await tx
        .insertInto('history_markets')
        .values({ symbol: m.symbol, info: JSON.stringify(m), fetched_at: at })
        .onConflict((oc) => oc.column('symbol').doUpdateSet({ info: JSON.stringify(m), fetched_at: at }))
        .execute();
    }
  });
}

export async function loadCandles(db: Kysely<DB>, symbol: string, timeframe: Timeframe, from: number, to: number): Promise<Candle[]> {
  return db
    .selectFrom('history_candles')
    .select(['time', 'open', 'high', 'low', 'close', 'volume'])
    .where('symbol', '=', symbol)
    .where('timeframe', '=', timeframe)
    .where('time', '>=', from)
    .where('time', '<', to)
    .orderBy('time')
    .execute();
}

/** The close of the 1-minute candle opened at each of `times` (epoch ms) that is stored, by open time. */
export async function minuteClosesAt(db: Kysely<DB>, symbol: string, times: readonly number[]): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  // SQLite binds at most 32766 values; a chart asks for a few hundred.
  for (let i = 0; i < times.length; i += 500) {
    const rows = await db
      .selectFrom('history_candles')
      .select(['time', 'close'])
      .where('symbol', '=', symbol)
      .where('timeframe', '=', '1m')
      .where('time', 'in', times.slice(i, i + 500))
      .execute();
    for (const r of rows) out.set(r.time, r.close);
  }
  return out;
}

export async function loadFunding(db: Kysely<DB>, symbol: string, from: number, to: number): Promise<FundingPoint[]> {
  return db
    .selectFrom('history_funding')
    .select(['time', 'rate'])
    .where('symbol', '=', symbol)
    .where('time', '>=', from)
    .where('time', '<', to)
    .orderBy('time')
    .execute();
}

export async function loadOpenInterest(db: Kysely<DB>, symbol: string, from: number, to: number): Promise<OpenInterestPoint[]> {
  return db
    .selectFrom('history_open_interest')
    .select(['time', 'amount', 'value'])
    .where('symbol', '=', symbol)
    .where('time', '>=', from)
    .where('time', '<', to)
    .orderBy('time')
    .execute();
}

export async function loadLongShort(db: Kysely<DB>, symbol: string, from: number, to: number): Promise<LongShortRatio[]> {
  const rows = await db
    .selectFrom('history_long_short')
    .select(['time', 'long_share'])
    .where('symbol', '=', symbol)
    .where('time', '>=', from)
    .where('time', '<', to)
    .orderBy('time')
    .execute();
  return rows.map((r) => ({ time: r.time, longShare: r.long_share, ratio: r.long_share / (1 - r.long_share) }));
}
