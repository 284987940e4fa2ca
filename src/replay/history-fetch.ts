/**
 * Downloading the history a replay needs, ahead of time (`cctrader history fetch`) or at the start
 * of a replay: one exchange page per request, through the request budget, each page stored with
 * the range it covers in one transaction. What is already covered is never asked again; a gap the
 * exchange left inside a covered range is reported, not filled in.
 */
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import { AppError } from '../errors.js';
import { HISTORY_PAGE, TIMEFRAME_MS, type HistorySource, type MarketInfo, type Timeframe } from '../market/types.js';
import { runPool } from '../scanner/pool.js';
import { coverage, missingRanges, storeMarkets, storePage, type HistoryKind, type Range } from './history-store.js';

/** Pages downloaded at once (the request budget spaces them out). */
const DOWNLOAD_CONCURRENCY = 8;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const FUNDING_STEP = 8 * HOUR;

/** Candles of every native timeframe a replay reads, with the warm-up its indicators need (200 closed candles, plus a margin). */
export const NATIVE_TIMEFRAMES: readonly Timeframe[] = ['15m', '1h', '4h', '1d'];
export const WARMUP_CANDLES = 210;

/** What a replay of [from, to) needs of one symbol. */
export function historyNeeds(from: number, to: number): Array<{ kind: HistoryKind; range: Range; step: number; pageRows: number }> {
  const needs: Array<{ kind: HistoryKind; range: Range; step: number; pageRows: number }> = [
    // Quotes, 24h tickers, stops and targets: 1-minute candles from a day before the first step.
    { kind: 'candles:1m', range: { from: floorTo(from - DAY - HOUR, 60_000), to }, step: 60_000, pageRows: HISTORY_PAGE.candles },
  ];
  for (const tf of NATIVE_TIMEFRAMES) {
    const step = TIMEFRAME_MS[tf];
    needs.push({ kind: `candles:${tf}`, range: { from: floorTo(from - WARMUP_CANDLES * step, step), to }, step, pageRows: HISTORY_PAGE.candles });
  }
  needs.push({ kind: 'funding', range: { from: floorTo(from - FUNDING_STEP - HOUR, HOUR), to }, step: FUNDING_STEP, pageRows: HISTORY_PAGE.funding });
  needs.push({ kind: 'open_interest', range: { from: floorTo(from - 26 * HOUR, HOUR), to }, step: HOUR, pageRows: HISTORY_PAGE.openInterest });
  needs.push({ kind: 'long_short', range: { from: floorTo(from - 2 * HOUR, HOUR), to }, step: HOUR, pageRows: HISTORY_PAGE.longShort });
  return needs;
}

function floorTo(ms: number, step: number): number {
  return Math.floor(ms / step) * step;
}

export interface HistoryProgress {
  done: number;
  total: number;
  symbol: string;
  kind: HistoryKind;
}

export interface HistoryGap {
  symbol: string;
  kind: HistoryKind;
  /** Candles (or points) the covered range should hold and does not. */
  missing: number;
  /** The first missing open time, ISO. */
  firstMissing: string;
}

export interface HistoryFetchReport {
  from: string;
  to: string;
  symbols: string[];
  /** Exchange requests sent (0 when everything was stored already). */
  requests: number;
  gaps: HistoryGap[];
}

export interface HistoryFetchOptions {
  symbols: readonly MarketInfo[];
  from: number;
  to: number;
  /** Now (the live clock): nothing later is asked, and a candle not yet closed is not stored. */
  now: number;
  onProgress?: (p: HistoryProgress) => void;
  signal?: AbortSignal;
}

/** A page plan: every request the missing ranges need. */
function pagesOf(missing: readonly Range[], step: number, rows: number): Range[] {
  const out: Range[] = [];
  for (const r of missing) {
    for (let cursor = r.from; cursor < r.to;) {
      const end = Math.min(r.to, cursor + rows * step);
      out.push({ from: cursor, to: end });
      cursor = end;
    }
  }
  return out;
}

export async function fetchHistory(db: Kysely<DB>, source: HistorySource, options: HistoryFetchOptions): Promise<HistoryFetchReport> {
  const { from, to, now } = options;
  if (!(from < to)) throw new AppError('INVALID_INPUT', '--from must be before --to');
  if (to > now) throw new AppError('INVALID_INPUT', `--to (${new Date(to).toISOString()}) is in the future`, { hint: 'a replay covers the past only' });
  await storeMarkets(db, options.symbols, now);
  const plan: Array<{ symbol: string; kind: HistoryKind; page: Range }> = [];
  for (const market of options.symbols) {
    for (const need of historyNeeds(from, to)) {
      // Never ask for (or cover) a bucket that has not closed yet.
      const end = Math.min(need.range.to, floorTo(now, need.step));
      const missing = missingRanges(await coverage(db, market.symbol, need.kind), need.range.from, end);
      for (const page of pagesOf(missing, need.step, need.pageRows)) plan.push({ symbol: market.symbol, kind: need.kind, page });
    }
  }
  // Pages in parallel: the request budget, not this loop, sets the pace.
  let done = 0;
  await runPool(plan, DOWNLOAD_CONCURRENCY, async ({ symbol, kind, page }) => {
    if (options.signal?.aborted) throw new AppError('TIMEOUT', 'The history download was stopped', { hint: 'run it again: what was stored is kept' });
    await downloadPage(db, source, symbol, kind, page);
    done += 1;
    options.onProgress?.({ done, total: plan.length, symbol, kind });
  });
  return {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    symbols: options.symbols.map((m) => m.symbol),
    requests: plan.length,
    gaps: await findGaps(db, options.symbols, from, to),
  };
}

async function downloadPage(db: Kysely<DB>, source: HistorySource, symbol: string, kind: HistoryKind, page: Range): Promise<void> {
  if (kind.startsWith('candles:')) {
    const tf = kind.slice('candles:'.length) as Timeframe;
    return storePage(db, symbol, kind, page, { candles: await source.candlePage(symbol, tf, page.from, page.to) });
  }
  if (kind === 'funding') return storePage(db, symbol, kind, page, { funding: await source.fundingPage(symbol, page.from, page.to) });
  if (kind === 'open_interest') return storePage(db, symbol, kind, page, { openInterest: await source.openInterestPage(symbol, page.from, page.to) });
  return storePage(db, symbol, kind, page, { longShort: await source.longShortPage(symbol, page.from, page.to) });
}

/** Missing 1-minute candles inside the replay window (the candles that quotes, stops and targets read). */
async function findGaps(db: Kysely<DB>, markets: readonly MarketInfo[], from: number, to: number): Promise<HistoryGap[]> {
  const gaps: HistoryGap[] = [];
  const start = floorTo(from - DAY, 60_000);
  for (const m of markets) {
    const rows = await db
      .selectFrom('history_candles')
      .select('time')
      .where('symbol', '=', m.symbol)
      .where('timeframe', '=', '1m')
      .where('time', '>=', start)
      .where('time', '<', to)
      .orderBy('time')
      .execute();
    let expected = start;
    let missing = 0;
    let first: number | null = null;
    for (const { time } of rows) {
      if (time > expected) {
        missing += (time - expected) / 60_000;
        first ??= expected;
      }
      expected = time + 60_000;
    }
    const end = floorTo(to, 60_000);
    if (expected < end) {
      missing += (end - expected) / 60_000;
      first ??= expected;
    }
    if (missing > 0) gaps.push({ symbol: m.symbol, kind: 'candles:1m', missing, firstMissing: new Date(first!).toISOString() });
  }
  return gaps;
}
