/**
 * LLM spend next to what it earned: the token ledger (`token_usage`) joined to the signals, the
 * scanner's analyses and the paper positions they opened. Money is decimal.js throughout.
 *
 * Definitions (README "Reading the cost numbers"):
 * - spent = every row of the token ledger in the window (all providers: Anthropic, Perplexity; every
 *   operation: scanner, analysis, monitor, sentiment). The ledger keeps TOKEN_HISTORY_DAYS; when the
 *   scanner's own records add up to more (older rows purged), those are used instead.
 * - an analysis's cost = what the scanner recorded for it (scan_cycle_movers.cost_usd: the model
 *   run's own share) plus the Perplexity rows for the same coin recorded while it ran. Analyses that
 *   ended without a signal cost money too and are counted.
 * - per analyst: `claude` and `rules` = the cost of their scanner analyses; `manual` = the rest of the
 *   ledger (analyze/monitor runs, sentiment lookups outside a cycle). Spend by an MCP client's own
 *   model (Claude Desktop, Claude Code) is not in the ledger.
 * - analyses = scanner analyses that ran (scan_cycle_movers) plus signals submitted outside a cycle.
 * - per signal / per analysis / per executed trade = spent ÷ that count: the all-in price of one,
 *   analyses that found nothing included.
 * - realized P&L = net P&L (fees and funding included) of the closed paper positions the window's
 *   signals opened; per day by the day the position closed.
 */
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import { signalStatuses } from '../signals/store.js';
import { Dec, ZERO, toDec, usd } from '../shared/money.js';
import { symbolKey, type AnalystFilter, type ScoredSignal } from './signals.js';

/** Scanner mover outcomes that mean an analysis ran. */
const ANALYSED = ['executed', 'rejected', 'recorded', 'no_signal', 'error'] as const;
export const MAX_COST_SYMBOLS = 10;
export const MAX_COST_DAYS = 14;

/** USD spend for output: 6 decimals (a single analysis can cost fractions of a cent). */
export function spendUsd(value: Dec): number {
  return value.toDecimalPlaces(6, Dec.ROUND_HALF_EVEN).toNumber();
}

const dayKey = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const per = (amount: Dec, count: number): number | null => (count > 0 ? spendUsd(amount.div(count)) : null);

export interface CostLine {
  spentUsd: number;
  signals: number;
  executed: number;
  realizedPnl: number;
}

export interface CostReport {
  spentUsd: number;
  /** Ledger spend in the window by provider (the whole desk, whatever the analyst filter). */
  byProvider: Record<string, number>;
  analyses: number;
  signals: number;
  executed: number;
  closedTrades: number;
  realizedPnl: number;
  /** realizedPnl − spentUsd. */
  netUsd: number;
  perAnalysis: number | null;
  perSignal: number | null;
  perExecutedTrade: number | null;
  /** e.g. "spent $3.10 on analysis to make $41.20". */
  summary: string;
  byAnalyst: Array<CostLine & { analyst: string; analyses: number; perSignal: number | null }>;
  bySymbol: { items: Array<CostLine & { symbol: string }>; hasMore: boolean };
  /** Newest first, at most 14 days. */
  byDay: Array<CostLine & { day: string }>;
}

/** Spend by key (total, day, symbol): ledger rows and scanner-attributed costs, per analyst. */
class SpendBook {
  private readonly ledger = new Map<string, Dec>();
  private readonly attributed = new Map<string, Map<string, Dec>>();

  private static add(map: Map<string, Dec>, key: string, amount: Dec): void {
    map.set(key, (map.get(key) ?? ZERO).plus(amount));
  }

  addLedger(keys: string[], amount: Dec): void {
    for (const k of keys) SpendBook.add(this.ledger, k, amount);
  }

  addAttributed(analyst: string, keys: string[], amount: Dec): void {
    let m = this.attributed.get(analyst);
    if (!m) this.attributed.set(analyst, (m = new Map()));
    for (const k of keys) SpendBook.add(m, k, amount);
  }

  keys(prefix: string): string[] {
    const out = new Set<string>();
    for (const k of this.ledger.keys()) if (k.startsWith(prefix)) out.add(k);
    for (const m of this.attributed.values()) for (const k of m.keys()) if (k.startsWith(prefix)) out.add(k);
    return [...out];
  }

  spend(key: string, analyst: AnalystFilter | null): Dec {
    const ledger = this.ledger.get(key) ?? ZERO;
    let attributed = ZERO;
    for (const m of this.attributed.values()) attributed = attributed.plus(m.get(key) ?? ZERO);
    if (analyst === null) return Dec.max(ledger, attributed);
    if (analyst === 'manual') return Dec.max(ZERO, ledger.minus(attributed));
    return this.attributed.get(analyst)?.get(key) ?? ZERO;
  }
}

interface Tally {
  signals: number;
  executed: number;
  closed: number;
  realized: Dec;
}

const newTally = (): Tally => ({ signals: 0, executed: 0, closed: 0, realized: ZERO });

function usdText(v: Dec): string {
  const d = v.abs().toDecimalPlaces(2, Dec.ROUND_HALF_EVEN);
  return `${v.lt(0) && !d.isZero() ? '-' : ''}$${d.toFixed(2)}`;
}

/** "spent $3.10 on analysis to make $41.20 (net $38.10)" (or lose, or nothing closed yet). */
export function costSummary(spent: Dec, realized: Dec, closedTrades: number): string {
  const head = `spent ${usdText(spent)} on analysis`;
  if (closedTrades === 0) return `${head}; no trade has closed yet`;
  const net = `net ${usdText(realized.minus(spent))}`;
  if (realized.gte(0)) return `${head} to make ${usdText(realized)} (${net})`;
  return `${head} and lost ${usdText(realized.abs())} trading (${net})`;
}

/** The spend of the window: the ledger by provider, day and symbol, and what the scanner attributed to each analyst. */
async function spendOf(db: Kysely<DB>, since: number) {
  const [ledgerRows, movers] = await Promise.all([
    db.selectFrom('token_usage').select(['provider', 'symbol', 'cost_usd', 'created_at']).where('created_at', '>=', since).execute(),
    db
      .selectFrom('scan_cycle_movers')
      .select(['symbol', 'analyst', 'cost_usd', 'started_at', 'finished_at'])
      .where('outcome', 'in', [...ANALYSED])
      .where('started_at', '>=', since)
      .execute(),
  ]);
  const book = new SpendBook();
  const byProvider = new Map<string, Dec>();
  // Perplexity rows by coin, to attribute the ones recorded while a scanner analysis of that coin ran.
  const perplexity = new Map<string, Array<{ at: number; cost: Dec }>>();
  for (const r of ledgerRows) {
    const cost = toDec(r.cost_usd);
    byProvider.set(r.provider, (byProvider.get(r.provider) ?? ZERO).plus(cost));
    const sym = r.symbol === null ? null : symbolKey(r.symbol);
    book.addLedger(['total', `day:${dayKey(r.created_at)}`, ...(sym ? [`sym:${sym}`] : [])], cost);
    if (r.provider === 'perplexity' && sym) {
      let list = perplexity.get(sym);
      if (!list) perplexity.set(sym, (list = []));
      list.push({ at: r.created_at, cost });
    }
  }
  const analysesBy = new Map<string, number>();
  for (const m of movers) {
    const sym = symbolKey(m.symbol);
    let cost = toDec(m.cost_usd);
    if (m.started_at !== null && m.finished_at !== null) {
      for (const p of perplexity.get(sym) ?? []) if (p.at >= m.started_at && p.at <= m.finished_at) cost = cost.plus(p.cost);
    }
    book.addAttributed(m.analyst, ['total', `day:${dayKey(m.started_at ?? since)}`, `sym:${sym}`], cost);
    analysesBy.set(m.analyst, (analysesBy.get(m.analyst) ?? 0) + 1);
  }
  return { book, byProvider, analysesBy };
}

/** Signals, executions and realized P&L of the window's signals, by analyst, day and symbol. */
function tallySignals(signals: readonly ScoredSignal[]): { tallies: Map<string, Tally>; manualSignals: number } {
  const tallies = new Map<string, Tally>();
  const tally = (key: string): Tally => {
    let t = tallies.get(key);
    if (!t) tallies.set(key, (t = newTally()));
    return t;
  };
  let manualSignals = 0;
  for (const s of signals) {
    const sym = symbolKey(s.symbol);
    for (const k of ['total', `an:${s.analyst}`, `day:${dayKey(s.createdAt)}`, `sym:${sym}`]) {
      const t = tally(k);
      t.signals++;
      if (s.status === 'executed') t.executed++;
    }
    if (s.analyst === 'manual') manualSignals++;
    const pnl = s.position?.realizedPnl;
    if (pnl && s.position?.closedAt !== null && s.position?.closedAt !== undefined) {
      for (const k of ['total', `an:${s.analyst}`, `day:${dayKey(s.position.closedAt)}`, `sym:${sym}`]) {
        const t = tally(k);
        t.closed++;
        t.realized = t.realized.plus(pnl);
      }
    }
  }
  return { tallies, manualSignals };
}

const line = (t: Tally, spend: Dec): CostLine => ({ spentUsd: spendUsd(spend), signals: t.signals, executed: t.executed, realizedPnl: usd(t.realized) });

/** The rows of the cost tables: by analyst, by symbol, by day. */
function costTables(spend: Awaited<ReturnType<typeof spendOf>>, t: ReturnType<typeof tallySignals>, signals: readonly ScoredSignal[], a: AnalystFilter | null) {
  const { book, analysesBy } = spend;
  const analysts = new Set<string>([...analysesBy.keys(), ...signals.map((s) => s.analyst)]);
  if (a === null && book.spend('total', 'manual').gt(0)) analysts.add('manual');
  const byAnalyst = [...analysts]
    .filter((name) => a === null || name === a)
    .sort()
    .map((name) => {
      const tally = t.tallies.get(`an:${name}`) ?? newTally();
      const spent = book.spend('total', name as AnalystFilter);
      const count = name === 'manual' ? t.manualSignals : (analysesBy.get(name) ?? 0);
      return { analyst: name, ...line(tally, spent), analyses: count, perSignal: per(spent, tally.signals) };
    });
  const symbolKeys = new Set([...book.keys('sym:'), ...[...t.tallies.keys()].filter((k) => k.startsWith('sym:'))]);
  const symbols = [...symbolKeys]
    .map((k) => ({ symbol: k.slice(4), ...line(t.tallies.get(k) ?? newTally(), book.spend(k, a)) }))
    .filter((r) => r.spentUsd > 0 || r.signals > 0)
    .sort((x, y) => y.spentUsd - x.spentUsd || y.signals - x.signals || x.symbol.localeCompare(y.symbol));
  const dayKeys = new Set([...book.keys('day:'), ...[...t.tallies.keys()].filter((k) => k.startsWith('day:'))]);
  const byDay = [...dayKeys]
    .sort()
    .reverse()
    .slice(0, MAX_COST_DAYS)
    .map((k) => ({ day: k.slice(4), ...line(t.tallies.get(k) ?? newTally(), book.spend(k, a)) }));
  return { byAnalyst, bySymbol: { items: symbols.slice(0, MAX_COST_SYMBOLS), hasMore: symbols.length > MAX_COST_SYMBOLS }, byDay };
}

export async function costReport(
  db: Kysely<DB>,
  filter: { since: number | null; analyst: AnalystFilter | null },
  signals: readonly ScoredSignal[],
): Promise<CostReport> {
  const spend = await spendOf(db, filter.since ?? 0);
  const t = tallySignals(signals);
  const a = filter.analyst;
  const total = t.tallies.get('total') ?? newTally();
  const spent = spend.book.spend('total', a);
  const scannerAnalyses = a === null ? [...spend.analysesBy.values()].reduce((x, y) => x + y, 0) : a === 'manual' ? 0 : (spend.analysesBy.get(a) ?? 0);
  const analyses = scannerAnalyses + (a === null || a === 'manual' ? t.manualSignals : 0);
  return {
    spentUsd: spendUsd(spent),
    byProvider: Object.fromEntries([...spend.byProvider.entries()].sort().map(([k, v]) => [k, spendUsd(v)])),
    analyses,
    signals: total.signals,
    executed: total.executed,
    closedTrades: total.closed,
    realizedPnl: usd(total.realized),
    netUsd: usd(total.realized.minus(spent)),
    perAnalysis: per(spent, analyses),
    perSignal: per(spent, total.signals),
    perExecutedTrade: per(spent, total.executed),
    summary: costSummary(spent, total.realized, total.closed),
    ...costTables(spend, t, signals, a),
  };
}

/** get_pnl_report / pnl-report: the period's LLM spend (desk-wide) next to the portfolio's realized P&L. */
export interface LlmCostBlock {
  spentUsd: number;
  byProvider: Record<string, number>;
  /** Signals for this portfolio in the period, and how many traded. */
  signals: number;
  executed: number;
  perSignal: number | null;
  perExecutedTrade: number | null;
  realizedPnl: number;
  /** realizedPnl − spentUsd. */
  netAfterLlm: number;
  summary: string;
}

export async function llmCostForPeriod(
  db: Kysely<DB>,
  options: { from: number | null; portfolioId: number; realizedPnl: Dec; closedTrades: number },
): Promise<LlmCostBlock> {
  const from = options.from ?? 0;
  const [ledger, signals] = await Promise.all([
    db.selectFrom('token_usage').select(['provider', 'cost_usd']).where('created_at', '>=', from).execute(),
    signalStatuses(db, options.portfolioId, from),
  ]);
  let spent = ZERO;
  const byProvider = new Map<string, Dec>();
  for (const r of ledger) {
    const cost = toDec(r.cost_usd);
    spent = spent.plus(cost);
    byProvider.set(r.provider, (byProvider.get(r.provider) ?? ZERO).plus(cost));
  }
  const executed = signals.filter((s) => s.status === 'executed').length;
  return {
    spentUsd: spendUsd(spent),
    byProvider: Object.fromEntries([...byProvider.entries()].sort().map(([k, v]) => [k, spendUsd(v)])),
    signals: signals.length,
    executed,
    perSignal: per(spent, signals.length),
    perExecutedTrade: per(spent, executed),
    realizedPnl: usd(options.realizedPnl),
    netAfterLlm: usd(options.realizedPnl.minus(spent)),
    summary: costSummary(spent, options.realizedPnl, options.closedTrades),
  };
}
