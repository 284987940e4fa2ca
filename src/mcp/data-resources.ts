/**
 * The desk's data as MCP resources (`cctrader://…`), JSON a host can attach to a conversation and
 * subscribe to. Each holds what a read-only tool answers (the same code path, so the two never
 * disagree) or, for the scan cycle, the cycle's stored report. Each also has a fingerprint: a
 * cheap query whose answer changes when the resource does (a fill, a close, a finished cycle),
 * which the subscription watch compares.
 */
import type { RawBuilder, sql as Sql } from 'kysely';
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import { noProgress } from '../shared/progress.js';
import type { AnyTool } from './define-tool.js';
import { prepareTool, invokeTool } from './tool-prep.js';
import { getPortfolioStatusTool } from './tools/get-portfolio-status.js';
import { getReplayReportTool } from './tools/get-replay-report.js';
import { getSignalHistoryTool } from './tools/get-signal-history.js';
import { getSignalScorecardTool } from './tools/get-signal-scorecard.js';

export interface DataResource {
  /** A URI, or a URI template (RFC 6570 level 1) with one `{variable}`. */
  pattern: string;
  name: string;
  title: string;
  description: string;
  read(deps: Deps, vars: Record<string, string>): Promise<unknown>;
  /** Changes whenever `read` would answer differently (for subscriptions). */
  fingerprint(deps: Deps, vars: Record<string, string>): Promise<string>;
  /** The URIs of a template's instances today, for resources/list. */
  instances?(deps: Deps): Promise<Array<{ vars: Record<string, string>; title: string }>>;
}

/** How many replays resources/list names (the template reaches any of them). */
const LISTED_REPLAYS = 10;
/** Signals in cctrader://signals/recent. */
const RECENT_SIGNALS = 20;

/** A read-only tool's answer, through the same checks as tools/call. */
async function toolAnswer(tool: AnyTool, args: Record<string, unknown>, deps: Deps): Promise<Record<string, unknown>> {
  const { data } = await invokeTool(prepareTool(tool), args, deps, { signal: new AbortController().signal, progress: noProgress });
  return data;
}

/**
 * The first row of a query, as text. kysely's `sql` is imported on first use: the stdio server
 * answers the handshake before the database module is loaded.
 */
async function one(deps: Deps, query: (sql: typeof Sql) => RawBuilder<Record<string, unknown>>): Promise<string> {
  const { sql } = await import('kysely');
  const { rows } = await query(sql).execute(deps.db);
  return JSON.stringify(rows[0] ?? null);
}

const portfolio: DataResource = {
  pattern: 'cctrader://portfolio/{name}',
  name: 'portfolio',
  title: 'Paper portfolio',
  description: 'A paper portfolio: cash, equity, open positions marked to market, exposure (as get_portfolio_status)',
  read: (deps, { name }) => toolAnswer(getPortfolioStatusTool, { portfolio: name }, deps),
  fingerprint: (deps, { name }) =>
    one(
      deps,
      (sql) => sql`SELECT p.id,
        (SELECT count(*) || ':' || coalesce(max(id), 0) FROM paper_trades t WHERE t.portfolio_id = p.id) AS trades,
        (SELECT count(*) || ':' || coalesce(group_concat(id || '/' || coalesce(stop_loss, '') || '/' || coalesce(take_profit, '')), '') FROM paper_positions o
          WHERE o.portfolio_id = p.id AND o.status = 'open') AS open,
        (SELECT group_concat(updated_at) FROM trading_halt) AS halt
      FROM paper_portfolios p WHERE p.name = ${name}`,
    ),
  instances: async (deps) =>
    (await deps.db.selectFrom('paper_portfolios').select('name').orderBy('id').execute()).map((r) => ({
      vars: { name: r.name },
      title: `Portfolio ${r.name}`,
    })),
};

const recentSignals: DataResource = {
  pattern: 'cctrader://signals/recent',
  name: 'signals-recent',
  title: 'Recent signals',
  description: `The last ${RECENT_SIGNALS} trade signals, newest first: levels, status, reason, the position each opened (as get_signal_history)`,
  read: (deps) => toolAnswer(getSignalHistoryTool, { limit: RECENT_SIGNALS }, deps),
  fingerprint: (deps) =>
    one(
      deps,
      (sql) =>
        sql`SELECT count(*) AS n, max(id) AS last, group_concat(status || coalesce(position_id, '')) AS states FROM (SELECT * FROM movers_signals ORDER BY id DESC LIMIT ${RECENT_SIGNALS})`,
    ),
};

const latestCycle: DataResource = {
  pattern: 'cctrader://cycles/latest',
  name: 'cycles-latest',
  title: 'Latest scan cycle',
  description: "The last market-movers scan cycle's report: movers, each one's outcome, signals, rejections, errors, spend",
  read: async (deps) => {
    const report = await (await import('../scanner/store.js')).latestCycleReport(deps.db);
    if (!report) throw new AppError('NOT_FOUND', 'No scan cycle has run yet', { hint: 'run `cctrader scan-movers --once`' });
    return report;
  },
  fingerprint: (deps) =>
    one(
      deps,
      (sql) => sql`SELECT c.id, c.status, c.finished_at,
        (SELECT group_concat(outcome) FROM scan_cycle_movers m WHERE m.cycle_id = c.id) AS outcomes
      FROM scan_cycles c ORDER BY c.started_at DESC, c.id DESC LIMIT 1`,
    ),
};

const scorecard: DataResource = {
  pattern: 'cctrader://scorecard',
  name: 'scorecard',
  title: 'Signal scorecard',
  description: 'How past signals played out: hit rate, average R and calibration by confidence, LLM cost per signal (as get_signal_scorecard)',
  read: (deps) => toolAnswer(getSignalScorecardTool, {}, deps),
  fingerprint: (deps) =>
    one(
      deps,
      (sql) => sql`SELECT (SELECT count(*) || ':' || coalesce(max(id), 0) FROM movers_signals) AS signals,
        (SELECT count(*) || ':' || coalesce(max(updated_at), 0) FROM signal_outcomes) AS outcomes`,
    ),
};

const replay: DataResource = {
  pattern: 'cctrader://replays/{id}',
  name: 'replay',
  title: 'Replay report',
  description: 'A replay of the desk over history: return, drawdown, trades, benchmarks, hit rate, LLM spend (as get_replay_report)',
  read: (deps, { id }) => toolAnswer(getReplayReportTool, { id }, deps),
  fingerprint: (deps, { id }) => one(deps, (sql) => sql`SELECT status, finished_at, length(report) AS size FROM replay_runs WHERE id = ${id}`),
  instances: async (deps) =>
    (await deps.db.selectFrom('replay_runs').select(['id', 'status']).orderBy('created_at', 'desc').limit(LISTED_REPLAYS).execute()).map((r) => ({
      vars: { id: r.id },
      title: `Replay ${r.id} (${r.status})`,
    })),
};

export const dataResources: readonly DataResource[] = [portfolio, recentSignals, latestCycle, scorecard, replay];

/** A template's variables as they are matched in a URI: one path segment each. */
export function uriMatcher(pattern: string): (uri: string) => Record<string, string> | null {
  const names: string[] = [];
  const source = pattern
    .split(/(\{\w+\})/)
    .map((part) => {
      const m = /^\{(\w+)\}$/.exec(part);
      if (!m) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(m[1]!);
      return '([^/?#]+)';
    })
    .join('');
  const re = new RegExp(`^${source}$`);
  return (uri) => {
    const m = re.exec(uri);
    if (!m) return null;
    try {
      return Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)]));
    } catch {
      return null;
    }
  };
}

/** The URI of a template's instance. */
export function expandUri(pattern: string, vars: Record<string, string>): string {
  return pattern.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(vars[name] ?? ''));
}
