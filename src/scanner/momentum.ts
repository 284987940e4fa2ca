/**
 * The momentum scanner: the movers worth analysing now. One bulk tickers call (see
 * market/movers.ts for what is tradable and how movers rank), then the symbols the portfolio
 * cannot trade anyway are set aside before the top N is taken, so N analyses are N chances:
 * - `open_position`: the portfolio already holds it (the risk rules would answer DUPLICATE_SYMBOL);
 * - `cooldown`: stopped out on it less than COOLDOWN_MINUTES ago (COOLDOWN).
 */
import type { Deps } from '../deps.js';
import { noProgress, progressCounter, type Progress } from '../shared/progress.js';
import { rankMovers, type Mover } from '../market/movers.js';
import { DEFAULT_PORTFOLIO, findPortfolio } from '../trading/portfolios.js';
import { STOP_OUTS } from '../trading/risk-state.js';

export type HeldReason = 'open_position' | 'cooldown';

export interface MoverScanOptions {
  thresholdPct?: number;
  limit?: number;
  minTurnoverUsd?: number;
  portfolio?: string;
  /** Keep symbols the portfolio holds or is cooling down on (default false: they are set aside). */
  includeHeld?: boolean;
  /** Called after each step: the market list and all tickers, the ranking, the held symbols. */
  progress?: Progress;
}

export interface ScanResult {
  /** Epoch ms of the scan. */
  at: number;
  scanned: number;
  tradable: number;
  /** Movers at or beyond the threshold, before the held ones were set aside and the list was cut. */
  found: number;
  /** The movers to analyse, best first. */
  items: Mover[];
  /** More movers qualified than `limit`. */
  hasMore: boolean;
  held: Array<{ symbol: string; reason: HeldReason }>;
  thresholdPct: number;
}

export async function scanMovers(deps: Pick<Deps, 'market' | 'db' | 'config' | 'clock'>, options: MoverScanOptions = {}): Promise<ScanResult> {
  const thresholdPct = options.thresholdPct ?? deps.config.MOVERS_THRESHOLD_PCT;
  const limit = options.limit ?? deps.config.MAX_MOVERS;
  const minTurnoverUsd = options.minTurnoverUsd ?? deps.config.MIN_TURNOVER_USD;
  const step = progressCounter(options.progress ?? noProgress, 3);
  const [markets, tickers] = await Promise.all([deps.market.markets(), deps.market.tickers()]);
  step(`${markets.length} markets, ${tickers.length} tickers`);
  const at = deps.clock.now();
  const { tradable, movers } = rankMovers(tickers, markets, { thresholdPct, minTurnoverUsd });
  step(`${movers.length} movers at ${thresholdPct}% or more among ${tradable} tradable`);
  const blocked = options.includeHeld ? new Map<string, HeldReason>() : await heldSymbols(deps, options.portfolio ?? DEFAULT_PORTFOLIO, at);
  step(`${blocked.size} held or cooling down`);
  const held: ScanResult['held'] = [];
  const open: Mover[] = [];
  for (const m of movers) {
    const reason = blocked.get(m.symbol);
    if (reason) held.push({ symbol: m.symbol, reason });
    else open.push(m);
  }
  return { at, scanned: tickers.length, tradable, found: movers.length, items: open.slice(0, limit), hasMore: open.length > limit, held, thresholdPct };
}

/** Symbols with an open position, then symbols in cooldown after a stop-out (a portfolio not yet
 * created holds nothing). */
async function heldSymbols(deps: Pick<Deps, 'db' | 'config'>, portfolioName: string, now: number): Promise<Map<string, HeldReason>> {
  const out = new Map<string, HeldReason>();
  const portfolio = await findPortfolio(deps.db, portfolioName);
  if (!portfolio) return out;
  const open = await deps.db.selectFrom('paper_positions').select('symbol').where('portfolio_id', '=', portfolio.id).where('status', '=', 'open').execute();
  for (const row of open) out.set(row.symbol, 'open_position');
  const cooldownMs = deps.config.COOLDOWN_MINUTES * 60_000;
  if (cooldownMs > 0) {
    const stopped = await deps.db
      .selectFrom('paper_positions')
      .select('symbol')
      .distinct()
      .where('portfolio_id', '=', portfolio.id)
      .where('exit_reason', 'in', [...STOP_OUTS])
      .where('closed_at', '>', now - cooldownMs)
      .execute();
    for (const row of stopped) if (!out.has(row.symbol)) out.set(row.symbol, 'cooldown');
  }
  return out;
}
